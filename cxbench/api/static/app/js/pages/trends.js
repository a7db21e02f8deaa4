// Trends: the client's monthly or quarterly value with its 95 % band, against its industry's
// median and p25–p75 band (drawn only for periods whose industry cell is published).

import { get } from "../api.js";
import { COLOURS, scale } from "../charts.js";
import {
  choices, metricRange, clientLabel, clientSelect, grainSelect, metricName, metricSelect, pageHeader, toolbar,
  touchpointName, touchpointSelect,
} from "../controls.js";
import { h, svg } from "../dom.js";
import { num, periodLabel, reason, t } from "../i18n.js";

const W = 1100;
const H = 320;
const M = { top: 16, right: 40, bottom: 44, left: 48 };

export async function render(ctx) {
  const p = choices(ctx, { metric: "nps", grain: "quarter", touchpoint: "*" });
  if (p.grain === "year") p.grain = "quarter";
  const card = await get(`clients/${encodeURIComponent(p.client)}/scorecard`, {
    metric: p.metric, touchpoint: p.touchpoint, grain: p.grain,
  });
  const items = card.items;
  const metric = metricName(ctx.meta, p.metric);
  const client = clientLabel(ctx, p.client, card.client_name);
  const tp = touchpointName(ctx.meta, p.touchpoint);
  return h("section", { class: "page trends" },
    pageHeader(t("trendsTitle"), t("trendsIntro", { client, metric, touchpoint: tp, grain: t(p.grain).toLowerCase() })),
    toolbar(clientSelect(ctx, p), metricSelect(ctx, p), touchpointSelect(ctx, p),
      grainSelect(ctx, p, ["quarter", "month"])),
    items.length === 0 ? h("p", { class: "notice" }, t("noData")) : [
      h("p", { class: "legend" },
        h("span", { class: "key client" }, "◆ ", t("clientSeries")),
        h("span", { class: "key industry" }, "— ", t("industrySeries"))),
      h("figure", { class: "chart" }, chart(items, metricRange(ctx.meta, p.metric)), h("figcaption", { class: "sr-only" },
        t("trendLabel", { n: items.length, first: periodLabel(items[0].period), last: periodLabel(items[items.length - 1].period) }))),
      table(items, `${client} — ${metric}, ${tp}`)]);
}

function published(item) {
  return item.benchmark && item.benchmark.suppressed_reason === null && item.benchmark.median !== null;
}

function chart(items, range) {
  const n = items.length;
  const xAt = (i) => M.left + (n === 1 ? (W - M.left - M.right) / 2 : (i * (W - M.left - M.right)) / (n - 1));
  const y = scale(items.flatMap((i) => [i.ci_low, i.ci_high, i.value,
    published(i) ? i.benchmark.p25 : null, published(i) ? i.benchmark.p75 : null]), H - M.bottom, M.top, { clampTo: range });
  const root = svg("svg", {
    id: "trend-chart", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": t("trendLabel", { n, first: periodLabel(items[0].period), last: periodLabel(items[n - 1].period) }),
  });
  for (const tick of y.ticks()) {
    root.append(
      svg("line", { x1: M.left, x2: W - M.right, y1: y(tick), y2: y(tick), class: "gridline" }),
      svg("text", { x: M.left - 8, y: y(tick) + 4, "text-anchor": "end", class: "tick" }, num(tick, 0)));
  }
  const every = Math.ceil(n / 12);
  items.forEach((item, i) => {
    if (i % every === 0 || i === n - 1) {
      root.append(svg("text", { x: xAt(i), y: H - M.bottom + 18, "text-anchor": "middle", class: "tick" }, periodLabel(item.period)));
    }
  });
  // Industry band and median, in runs of consecutive published periods.
  for (const run of runs(items.map((item, i) => [item, i]).filter(([item]) => published(item)))) {
    if (run.length === 1) {
      // A lone published period: its p25–p75 as a short bar, since a band needs two.
      const [[it, i]] = run;
      root.append(svg("rect", { class: "industry-band", x: xAt(i) - 6, y: y(it.benchmark.p75), width: 12, height: Math.max(1, y(it.benchmark.p25) - y(it.benchmark.p75)), fill: COLOURS.industry, "fill-opacity": 0.16 }));
    }
    const upper = run.map(([it, i]) => `${xAt(i)},${y(it.benchmark.p75)}`);
    const lower = run.slice().reverse().map(([it, i]) => `${xAt(i)},${y(it.benchmark.p25)}`);
    root.append(svg("polygon", { class: "industry-band", points: [...upper, ...lower].join(" "), fill: COLOURS.industry, "fill-opacity": 0.16 }));
    root.append(svg("polyline", { class: "industry-median", points: run.map(([it, i]) => `${xAt(i)},${y(it.benchmark.median)}`).join(" "), fill: "none", stroke: COLOURS.industry, "stroke-width": 2, "stroke-dasharray": "6 4" }));
    for (const [it, i] of run) root.append(svg("circle", { class: "industry-point", cx: xAt(i), cy: y(it.benchmark.median), r: 3, fill: COLOURS.industry }));
  }
  const band = [
    ...items.map((it, i) => `${xAt(i)},${y(it.ci_high ?? it.value)}`),
    ...items.map((it, i) => [it, i]).reverse().map(([it, i]) => `${xAt(i)},${y(it.ci_low ?? it.value)}`),
  ];
  root.append(
    svg("polygon", { class: "client-band", points: band.join(" "), fill: COLOURS.client, "fill-opacity": 0.14 }),
    svg("polyline", { class: "client-line", points: items.map((it, i) => `${xAt(i)},${y(it.value)}`).join(" "), fill: "none", stroke: COLOURS.client, "stroke-width": 2.5 }));
  items.forEach((it, i) => {
    const cx = xAt(i); const cy = y(it.value);
    root.append(svg("path", { class: "client-point", d: `M${cx},${cy - 5} L${cx + 5},${cy} L${cx},${cy + 5} L${cx - 5},${cy} Z`, fill: COLOURS.client },
      svg("title", {}, `${periodLabel(it.period)}: ${num(it.value)} (${num(it.ci_low)}–${num(it.ci_high)})`)));
  });
  return root;
}

function runs(indexed) {
  const out = [];
  for (const entry of indexed) {
    const last = out[out.length - 1];
    if (last && last[last.length - 1][1] === entry[1] - 1) last.push(entry); else out.push([entry]);
  }
  return out;
}

function table(items, caption) {
  return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": caption },
    h("table", { class: "data", id: "trend-table" }, h("caption", {}, caption),
      h("thead", {}, h("tr", {},
        [t("period"), t("value"), t("interval"), t("n"), t("median"), t("band")].map((c, i) =>
          h("th", { scope: "col", class: i ? "num" : null }, c)))),
      h("tbody", {}, items.map((it) => h("tr", {},
        h("th", { scope: "row" }, periodLabel(it.period)),
        h("td", { class: "num strong" }, num(it.value)),
        h("td", { class: "num" }, `${num(it.ci_low)} – ${num(it.ci_high)}`),
        h("td", { class: "num" }, num(it.n, 0)),
        published(it)
          ? [h("td", { class: "num" }, num(it.benchmark.median)), h("td", { class: "num" }, `${num(it.benchmark.p25)} – ${num(it.benchmark.p75)}`)]
          : h("td", { class: "withheld", colspan: 2 }, `${t("withheld")}: ${reason(it.benchmark ? it.benchmark.suppressed_reason : "suppressed")}`))))));
}
