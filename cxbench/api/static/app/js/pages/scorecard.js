// Scorecard: per touchpoint, the client's value and 95 % interval drawn against its industry's
// published distribution, the percentile rank, and the change vs the previous period.

import { get } from "../api.js";
import { axis, boxMark, COLOURS, intervalMark, scale } from "../charts.js";
import {
  choices, csvButton, metricRange, clientLabel, clientSelect, grainSelect, metricName, metricSelect, pageHeader,
  periodSelect, toolbar, touchpointName,
} from "../controls.js";
import { h, svg } from "../dom.js";
import { num, periodLabel, reason, signed, t } from "../i18n.js";

const W = 300;
const ROW_H = 30;

export async function render(ctx) {
  const p = choices(ctx, { metric: "nps", grain: "year", period: "" });
  const card = await get(`clients/${encodeURIComponent(p.client)}/scorecard`, {
    metric: p.metric, period: p.period,
  });
  const items = card.items;
  const x = scale(items.flatMap((i) => [
    i.ci_low, i.ci_high, i.value,
    i.benchmark && (i.benchmark.p10 ?? i.benchmark.p25), i.benchmark && (i.benchmark.p90 ?? i.benchmark.p75),
  ]), 16, W - 16, { clampTo: metricRange(ctx.meta, p.metric) });
  const metric = metricName(ctx.meta, p.metric);
  const client = clientLabel(ctx, p.client, card.client_name);
  const rows = items.map((item) => row(ctx, item, x));
  return h("section", { class: "page scorecard" },
    pageHeader(t("scoreTitle"), t("scoreIntro", { client, metric, period: periodLabel(p.period) })),
    toolbar(clientSelect(ctx, p), metricSelect(ctx, p), grainSelect(ctx, p), periodSelect(ctx, p),
      csvButton(`clients/${encodeURIComponent(p.client)}/scorecard`, { metric: p.metric, period: p.period }, `scorecard-${p.client}-${p.period}.csv`)),
    legend(),
    items.length === 0 ? h("p", { class: "notice" }, t("noData")) :
      h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("scoreTitle") },
        h("table", { class: "chart-table", id: "scorecard-table" },
          h("caption", {}, `${client} — ${metric}, ${periodLabel(p.period)}`),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, t("touchpoint")),
            h("th", { scope: "col", class: "chart-col" }, axis(x, W, 22, (v) => num(v, 0))),
            h("th", { scope: "col", class: "num" }, t("value")),
            h("th", { scope: "col", class: "num" }, t("interval")),
            h("th", { scope: "col", class: "num" }, t("n")),
            h("th", { scope: "col", class: "bench" }, t("industryDist")),
            h("th", { scope: "col", class: "num" }, t("rank")),
            h("th", { scope: "col" }, t("changeShort")))),
          h("tbody", {}, rows))));
}

export function legend() {
  return h("p", { class: "legend" },
    svg("svg", { width: 48, height: 16, viewBox: "0 0 48 16", "aria-hidden": "true", class: "swatch" },
      boxMark((v) => v, { p10: 2, p25: 12, median: 24, p75: 34, p90: 46 }, 2, 12)),
    ` ${t("industryDist")} (p10–p90) `,
    svg("svg", { width: 40, height: 16, viewBox: "0 0 40 16", "aria-hidden": "true", class: "swatch" },
      intervalMark((v) => v, 20, 6, 34, 0, 16)),
    ` ${t("value")}, ${t("interval")}`);
}

function row(ctx, item, x) {
  const b = item.benchmark;
  const published = b && b.suppressed_reason === null && b.median !== null;
  const tp = touchpointName(ctx.meta, item.touchpoint);
  const bench = published
    ? `${num(b.p25)} – ${num(b.median)} – ${num(b.p75)}`
    : t("noBenchmark", { reason: reason(b ? b.suppressed_reason : "suppressed") });
  const aria = t("scoreLabel", {
    tp, value: num(item.value), low: num(item.ci_low), high: num(item.ci_high), bench,
  });
  const chart = svg("svg", { class: "row-chart", width: W, height: ROW_H, viewBox: `0 0 ${W} ${ROW_H}`, role: "img", "aria-label": aria },
    svg("title", {}, aria),
    published ? boxMark(x, b, 6, ROW_H - 12, COLOURS.industry) : null,
    intervalMark(x, item.value, item.ci_low, item.ci_high, 0, ROW_H));
  return h("tr", { class: item.touchpoint === "*" ? "total" : null },
    h("th", { scope: "row" }, tp),
    h("td", { class: "chart-col" }, chart),
    h("td", { class: "num strong" }, num(item.value)),
    h("td", { class: "num" }, `${num(item.ci_low)} – ${num(item.ci_high)}`),
    h("td", { class: "num" }, num(item.n, 0)),
    h("td", { class: published ? "bench" : "bench withheld" }, bench),
    h("td", { class: "num" }, item.percentile_rank === null ? "–" : num(item.percentile_rank, 0)),
    h("td", {}, change(item)));
}

export function change(item) {
  if (item.change === null || item.change === undefined) return "–";
  const arrow = item.change > 0 ? "▲" : item.change < 0 ? "▼" : "■";
  const significant = item.change_significant === true;
  return h("span", { class: significant ? "change significant" : "change" },
    h("span", { "aria-hidden": "true" }, `${arrow} `), signed(item.change),
    h("span", { class: "sig" }, significant ? ` (${t("significant")})` : ""),
    h("span", { class: "prev" }, ` ${t("vsPrevious", { previous: periodLabel(item.previous_period) })}`));
}
