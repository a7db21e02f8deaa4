// Benchmarks: industry × touchpoint for one metric and period. Each published cell shows its
// pooled value ± margin of error, its number of clients and a box of the clients' values on a
// scale shared by the whole grid; a withheld cell shows the reason and no number at all.

import { get } from "../api.js";
import { axis, boxMark, scale } from "../charts.js";
import {
  choices, csvButton, metricRange, grainSelect, industryName, metricName, metricSelect, pageHeader, periodSelect,
  toolbar, touchpointName,
} from "../controls.js";
import { h, svg } from "../dom.js";
import { num, periodLabel, reason, t } from "../i18n.js";

const BOX_W = 104;
const BOX_H = 26;

export async function render(ctx) {
  const p = choices(ctx, { metric: "nps", grain: "year", period: "" });
  const answer = await get("benchmarks", { metric: p.metric, period: p.period });
  const cells = answer.items;
  const industries = ["*", ...ctx.meta.industries.map((i) => i.industry_code)];
  const touchpoints = ["*", ...ctx.meta.touchpoints.map((tp) => tp.touchpoint_code)];
  const byKey = new Map(cells.map((c) => [`${c.industry}|${c.touchpoint}`, c]));
  const published = cells.filter((c) => c.suppressed_reason === null && c.median !== null);
  const x = scale(published.flatMap((c) => [c.p10 ?? c.p25, c.p90 ?? c.p75]), 10, BOX_W - 10, { clampTo: metricRange(ctx.meta, p.metric), ticks: 5 });
  const metric = metricName(ctx.meta, p.metric);

  const head = h("tr", {},
    h("th", { scope: "col", class: "corner" }, `${t("industry")} \\ ${t("touchpoint")}`),
    touchpoints.map((tp) => h("th", { scope: "col" }, touchpointName(ctx.meta, tp))));
  const rows = industries.map((ind) => h("tr", { class: ind === "*" ? "total" : null },
    h("th", { scope: "row" }, industryName(ctx.meta, ind)),
    touchpoints.map((tp) => cellView(ctx, byKey.get(`${ind}|${tp}`), x))));
  const scaleRow = h("tr", { class: "scale-row", "aria-hidden": "true" }, h("td"),
    touchpoints.map(() => h("td", {}, axis(x, BOX_W, 22, (v) => num(v, 0), { sparse: true }))));

  return h("section", { class: "page benchmarks" },
    pageHeader(t("benchTitle"), t("benchIntro", { metric, period: periodLabel(p.period) })),
    toolbar(metricSelect(ctx, p), grainSelect(ctx, p), periodSelect(ctx, p),
      csvButton("benchmarks", { metric: p.metric, period: p.period }, `benchmarks-${p.metric}-${p.period}.csv`)),
    h("p", { class: "legend" }, legendSwatch(), t("legendBox", { lo: num(x.lo, 0), hi: num(x.hi, 0) })),
    h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("benchTitle") },
      h("table", { class: "grid", id: "bench-grid" },
        h("caption", {}, `${metric}, ${periodLabel(p.period)}`),
        h("thead", {}, head), h("tbody", {}, rows, scaleRow))));
}

function legendSwatch() {
  const x = (v) => v;
  return svg("svg", { width: 60, height: 16, viewBox: "0 0 60 16", "aria-hidden": "true", class: "swatch" },
    boxMark(x, { p10: 4, p25: 18, median: 30, p75: 42, p90: 56 }, 2, 12));
}

function cellView(ctx, cell, x) {
  if (!cell) return h("td", { class: "empty" }, "–");
  const id = `${cell.industry}|${cell.touchpoint}`;
  const label = `${industryName(ctx.meta, cell.industry)} × ${touchpointName(ctx.meta, cell.touchpoint)}`;
  if (cell.suppressed_reason !== null || cell.median === null) {
    return h("td", { class: "withheld", "data-cell": id, "data-withheld": cell.suppressed_reason || "suppressed" },
      h("span", { class: "withheld-label" }, t("withheld")),
      h("span", { class: "reason" }, reason(cell.suppressed_reason || "suppressed")));
  }
  const whiskers = cell.p10 !== null && cell.p90 !== null
    ? t("whiskerText", { p10: num(cell.p10), p90: num(cell.p90) }) : "";
  const aria = t("boxLabel", {
    cell: label, median: num(cell.median), p25: num(cell.p25), p75: num(cell.p75), whiskers,
  });
  return h("td", { class: "published", "data-cell": id },
    h("span", { class: "value" }, num(cell.value)),
    h("span", { class: "moe" }, ` ± ${num(cell.moe)}`),
    h("span", { class: "n" }, t("clients", { n: num(cell.n_clients, 0) })),
    svg("svg", {
      class: "mini", width: BOX_W, height: BOX_H, viewBox: `0 0 ${BOX_W} ${BOX_H}`, role: "img",
      "aria-label": aria,
    }, svg("title", {}, aria), boxMark(x, cell, 5, BOX_H - 10)));
}
