// Units: the client's units against each other and against the whole client — never against
// other clients' units.

import { get } from "../api.js";
import { axis, COLOURS, intervalMark, scale } from "../charts.js";
import {
  choices, metricRange, clientLabel, clientSelect, grainSelect, metricName, metricSelect, pageHeader,
  periodSelect, toolbar, touchpointName, touchpointSelect,
} from "../controls.js";
import { h, svg } from "../dom.js";
import { num, periodLabel, signed, t } from "../i18n.js";

const W = 320;
const ROW_H = 28;

export async function render(ctx) {
  const p = choices(ctx, { metric: "nps", grain: "year", period: "", touchpoint: "*" });
  const card = await get(`clients/${encodeURIComponent(p.client)}/scorecard`, {
    metric: p.metric, period: p.period, touchpoint: p.touchpoint, unit: "*",
  });
  const items = [...card.items].sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity));
  const clientValue = items.length ? items[0].unit_comparison.client_value : null;
  const x = scale(items.flatMap((i) => [i.ci_low, i.ci_high, i.value, clientValue]), 16, W - 16, { clampTo: metricRange(ctx.meta, p.metric) });
  const metric = metricName(ctx.meta, p.metric);
  const client = clientLabel(ctx, p.client, card.client_name);
  const tp = touchpointName(ctx.meta, p.touchpoint);
  return h("section", { class: "page units" },
    pageHeader(t("unitsTitle"), t("unitsIntro", { client, metric, touchpoint: tp, period: periodLabel(p.period) })),
    toolbar(clientSelect(ctx, p), metricSelect(ctx, p), touchpointSelect(ctx, p), grainSelect(ctx, p), periodSelect(ctx, p)),
    items.length === 0 ? h("p", { class: "notice" }, t("noUnits")) : [
      h("p", { class: "legend" }, h("span", { class: "key client" }, "◆ ", t("value"), ", ", t("interval")),
        h("span", { class: "key" }, "┆ ", t("clientValue", { value: num(clientValue) }))),
      h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("unitsTitle") },
        h("table", { class: "chart-table", id: "units-table" },
          h("caption", {}, `${client} — ${metric}, ${tp}, ${periodLabel(p.period)}`),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, t("unit")),
            h("th", { scope: "col", class: "chart-col" }, axis(x, W, 22, (v) => num(v, 0))),
            h("th", { scope: "col", class: "num" }, t("value")),
            h("th", { scope: "col", class: "num" }, t("interval")),
            h("th", { scope: "col", class: "num" }, t("n")),
            h("th", { scope: "col", class: "num" }, t("vsRest")),
            h("th", { scope: "col", class: "num" }, t("unitRank")))),
          h("tbody", {}, items.map((item) => row(item, x, clientValue)))))]);
}

function row(item, x, clientValue) {
  const c = item.unit_comparison;
  const aria = t("unitLabel", { unit: item.unit, value: num(item.value), low: num(item.ci_low), high: num(item.ci_high) });
  const chart = svg("svg", { class: "row-chart", width: W, height: ROW_H, viewBox: `0 0 ${W} ${ROW_H}`, role: "img", "aria-label": aria },
    svg("title", {}, aria),
    svg("line", { class: "client-ref", x1: x(clientValue), x2: x(clientValue), y1: 0, y2: ROW_H, stroke: COLOURS.muted, "stroke-dasharray": "3 3" }),
    intervalMark(x, item.value, item.ci_low, item.ci_high, 0, ROW_H));
  const significant = c.diff_vs_rest_significant === true;
  return h("tr", {},
    h("th", { scope: "row" }, item.unit),
    h("td", { class: "chart-col" }, chart),
    h("td", { class: "num strong" }, num(item.value)),
    h("td", { class: "num" }, `${num(item.ci_low)} – ${num(item.ci_high)}`),
    h("td", { class: "num" }, num(item.n, 0)),
    h("td", { class: significant ? "num significant" : "num" }, c.diff_vs_rest === null ? "–" :
      `${signed(c.diff_vs_rest)}${significant ? ` (${t("significant")})` : ""}`),
    h("td", { class: "num" }, c.is_ranked && c.unit_rank !== null ? `${num(c.unit_rank, 0)} / ${num(c.n_units_ranked, 0)}` : "–"));
}
