// Key drivers of NPS: an importance–performance chart (each driver's correlation with the NPS
// answer, its 95 % interval as a whisker, against its mean normalised answer), the industry's
// median importance where that cell is published, the ranked table with the same numbers, and
// what each touchpoint reaching its industry's median NPS would add to the overall NPS.

import { get } from "../api.js";
import { COLOURS, scale } from "../charts.js";
import {
  choices, clientLabel, clientSelect, csvButton, grainSelect, pageHeader, periodSelect, toolbar,
  touchpointName, touchpointSelect,
} from "../controls.js";
import { h, svg } from "../dom.js";
import { name, num, periodLabel, reason, signed, t } from "../i18n.js";

const W = 760;
const H = 440;
const M = { left: 58, right: 150, top: 18, bottom: 46 };
const QUADRANTS = ["fix_first", "keep_up", "watch", "maintain"];

export async function render(ctx) {
  const p = choices(ctx, { grain: "year", period: "", touchpoint: "*" });
  if (p.grain === "month") { p.grain = "quarter"; p.period = (ctx.meta.periods.quarter || []).slice(-1)[0]; }
  const path = `clients/${encodeURIComponent(p.client)}/drivers`;
  const answer = await get(path, { period: p.period, touchpoint: p.touchpoint });
  const items = answer.items;
  const impacts = [...answer.touchpoint_impacts]
    .sort((a, b) => (b.impact_on_client_nps ?? -Infinity) - (a.impact_on_client_nps ?? -Infinity));
  const client = clientLabel(ctx, p.client, answer.client_name);
  const tp = p.touchpoint === "*" ? t("allTouchpoints") : touchpointName(ctx.meta, p.touchpoint);
  return h("section", { class: "page drivers" },
    pageHeader(t("driversTitle"), t("driversIntro", { client, touchpoint: tp, period: periodLabel(p.period) })),
    toolbar(clientSelect(ctx, p), grainSelect(ctx, p, ["year", "quarter"]), periodSelect(ctx, p), touchpointSelect(ctx, p),
      csvButton(path, { period: p.period, touchpoint: p.touchpoint }, `drivers-${p.client}-${p.period}.csv`)),
    items.length === 0 ? h("p", { class: "notice" }, t("noData")) : [
      h("p", { class: "legend" },
        h("span", { class: "key client" }, "● ", t("clientImportance")),
        h("span", { class: "key industry" }, "◇ ", t("industryImportance")),
        h("span", {}, t("quadrantLegend"))),
      matrix(items),
      h("h2", {}, t("driversRanked")),
      table(items)],
    h("h2", {}, t("impactsTitle")),
    h("p", { class: "intro" }, t("impactsIntro")),
    impacts.length === 0 ? h("p", { class: "notice" }, t("noData")) : impactList(ctx, impacts));
}

function driverName(item) { return name(item.driver, item.driver_name); }

function matrix(items) {
  const shown = items.filter((i) => i.importance !== null);
  const y = scale(shown.flatMap((i) => [i.importance_ci_low, i.importance_ci_high, i.industry_median_importance]),
    H - M.bottom, M.top, { clampTo: [-1, 1] });
  const x = scale(shown.map((i) => i.performance), M.left, W - M.right, { clampTo: [0, 100] });
  const meanI = shown.reduce((s, i) => s + i.importance, 0) / (shown.length || 1);
  const meanP = shown.reduce((s, i) => s + i.performance, 0) / (shown.length || 1);
  const chart = svg("svg", {
    id: "drivers-chart", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": t("matrixLabel", { n: shown.length }),
  }, svg("title", {}, t("matrixLabel", { n: shown.length })));
  for (const v of y.ticks()) {
    chart.append(svg("line", { class: "gridline", x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }),
      svg("text", { class: "tick", x: M.left - 6, y: y(v) + 3, "text-anchor": "end" }, num(v, 2)));
  }
  for (const v of x.ticks()) {
    chart.append(svg("line", { class: "gridline", x1: x(v), x2: x(v), y1: M.top, y2: H - M.bottom }),
      svg("text", { class: "tick", x: x(v), y: H - M.bottom + 14, "text-anchor": "middle" }, num(v, 0)));
  }
  // The quadrant lines sit where the mart reads the matrix: the mean of the client's drivers.
  chart.append(
    svg("line", { class: "quadrant-line", x1: M.left, x2: W - M.right, y1: y(meanI), y2: y(meanI) }),
    svg("line", { class: "quadrant-line", x1: x(meanP), x2: x(meanP), y1: M.top, y2: H - M.bottom }),
    svg("text", { class: "quadrant-name", x: M.left + 6, y: M.top + 12 }, t("q_fix_first")),
    svg("text", { class: "quadrant-name", x: W - M.right - 6, y: M.top + 12, "text-anchor": "end" }, t("q_keep_up")),
    svg("text", { class: "quadrant-name", x: M.left + 6, y: H - M.bottom - 6 }, t("q_watch")),
    svg("text", { class: "quadrant-name", x: W - M.right - 6, y: H - M.bottom - 6, "text-anchor": "end" }, t("q_maintain")),
    svg("text", { class: "axis-title", x: (M.left + W - M.right) / 2, y: H - 8, "text-anchor": "middle" }, t("performanceAxis")),
    svg("text", { class: "axis-title", transform: `translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)`, "text-anchor": "middle" }, t("importanceAxis")));
  const labels = [];
  for (const item of [...shown].sort((a, b) => a.rank - b.rank)) {
    const cx = x(item.performance);
    const cy = y(item.importance);
    const label = t("driverPoint", {
      driver: driverName(item), importance: num(item.importance, 2), low: num(item.importance_ci_low, 2),
      high: num(item.importance_ci_high, 2), performance: num(item.performance), quadrant: t(`q_${item.quadrant}`),
    });
    const group = svg("g", { class: `driver ${item.quadrant}`, "data-driver": item.driver });
    if (item.importance_ci_low !== null && item.importance_ci_high !== null) {
      group.append(
        svg("line", { class: "ci", x1: cx, x2: cx, y1: y(item.importance_ci_low), y2: y(item.importance_ci_high), stroke: COLOURS.client, "stroke-width": 1.5 }),
        svg("line", { x1: cx - 4, x2: cx + 4, y1: y(item.importance_ci_low), y2: y(item.importance_ci_low), stroke: COLOURS.client, "stroke-width": 1.5 }),
        svg("line", { x1: cx - 4, x2: cx + 4, y1: y(item.importance_ci_high), y2: y(item.importance_ci_high), stroke: COLOURS.client, "stroke-width": 1.5 }));
    }
    if (item.industry_median_importance !== null) {
      const iy = y(item.industry_median_importance);
      group.append(svg("path", {
        class: "industry-point", d: `M${cx - 11},${iy} l5,-5 l5,5 l-5,5 Z`, fill: "#fff", stroke: COLOURS.industry, "stroke-width": 1.8,
      }, svg("title", {}, `${driverName(item)}: ${t("industryImportance")} ${num(item.industry_median_importance, 2)}`)));
    }
    group.append(svg("circle", { class: "driver-point", cx, cy, r: 6, fill: COLOURS.client, stroke: "#fff", "stroke-width": 1.5 },
      svg("title", {}, label)));
    // A label beside its point: right, else left, else nudged down until it clears the points
    // and the labels already placed (boxes estimated from the text length).
    const text = `${item.rank}. ${driverName(item)}`;
    const width = text.length * 6.4;
    const clear = (box) => !labels.some((l) => box.x < l.x + l.w && l.x < box.x + box.w && box.y - 11 < l.y && l.y - 11 < box.y)
      && !shown.some((o) => {
        const ox = x(o.performance);
        const top = y(o.importance_ci_high ?? o.importance) - 6;
        const bottom = y(o.importance_ci_low ?? o.importance) + 6;
        return ox > box.x - 4 && ox < box.x + box.w + 4 && top < box.y + 3 && bottom > box.y - 12;
      })
      && box.x > M.left && box.x + box.w < W - 4;
    let box = null;
    for (let step = 0; step < 16 && !box; step++) {
      for (const dy of step === 0 ? [4] : [4 + step * 12, 4 - step * 12]) {
        const right = { x: cx + 9, y: cy + dy, w: width, anchor: "start" };
        const left = { x: cx - 9 - width, y: cy + dy, w: width, anchor: "end" };
        box = [right, left].find(clear) || null;
        if (box) break;
      }
    }
    box = box || { x: cx + 9, y: cy + 4, w: width, anchor: "start" };
    labels.push(box);
    if (Math.abs(box.y - 4 - cy) > 8) {
      group.append(svg("line", { class: "leader", x1: cx, y1: cy, x2: box.anchor === "start" ? box.x - 2 : box.x + box.w + 2, y2: box.y - 4, stroke: "#9aa3ad" }));
    }
    group.append(svg("text", { class: "driver-label", x: box.anchor === "start" ? box.x : box.x + box.w, y: box.y, "text-anchor": box.anchor }, text));
    chart.append(group);
  }
  return h("figure", { class: "chart" }, chart, h("figcaption", {}, t("matrixCaption", { i: num(meanI, 2), p: num(meanP) })));
}

function table(items) {
  return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("driversRanked") },
    h("table", { class: "data", id: "drivers-table" },
      h("caption", {}, t("driversRanked")),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col", class: "num" }, t("rankShort")),
        h("th", { scope: "col" }, t("driver")),
        h("th", { scope: "col" }, t("quadrant")),
        h("th", { scope: "col", class: "num" }, t("importance")),
        h("th", { scope: "col", class: "num" }, t("interval")),
        h("th", { scope: "col", class: "num" }, t("performance")),
        h("th", { scope: "col", class: "num" }, t("priority")),
        h("th", { scope: "col", class: "num" }, t("industryImportance")),
        h("th", { scope: "col", class: "num" }, t("pairs")))),
      h("tbody", {}, items.map((item) => h("tr", { "data-driver": item.driver },
        h("td", { class: "num" }, item.rank),
        h("th", { scope: "row" }, driverName(item)),
        h("td", {}, item.quadrant ? h("span", { class: `quadrant ${item.quadrant}` }, t(`q_${item.quadrant}`)) : h("span", { class: "withheld" }, reason(item.missing_reason || "suppressed"))),
        h("td", { class: "num strong" }, num(item.importance, 2)),
        h("td", { class: "num" }, item.importance_ci_low === null ? "–" : `${num(item.importance_ci_low, 2)} … ${num(item.importance_ci_high, 2)}`),
        h("td", { class: "num" }, num(item.performance)),
        h("td", { class: "num" }, num(item.priority, 1)),
        item.industry_median_importance === null
          ? h("td", { class: "withheld industry", "data-withheld": item.industry_suppressed_reason || "none" },
            item.industry_suppressed_reason ? `${t("withheld")} (${reason(item.industry_suppressed_reason)})` : "–")
          : h("td", { class: "num industry" }, num(item.industry_median_importance, 2)),
        h("td", { class: "num" }, num(item.n_pairs, 0)))))));
}

function impactList(ctx, impacts) {
  const ROW = 30;
  const LABEL = 230;
  const BAR = 360;
  const values = impacts.map((i) => i.impact_on_client_nps).filter((v) => v !== null);
  const span = Math.max(1e-6, ...values.map(Math.abs));
  const lo = Math.min(0, ...values);
  const x = (v) => LABEL + ((v - lo) / (Math.max(0, ...values) - lo || span)) * BAR;
  const height = impacts.length * ROW + 8;
  const chart = svg("svg", {
    id: "impacts-chart", width: LABEL + BAR + 130, height, viewBox: `0 0 ${LABEL + BAR + 130} ${height}`, role: "img",
    "aria-label": t("impactsLabel", { n: impacts.length }),
  });
  chart.append(svg("line", { class: "zero", x1: x(0), x2: x(0), y1: 0, y2: height, stroke: COLOURS.muted }));
  impacts.forEach((item, i) => {
    const y = i * ROW + 4;
    const tp = touchpointName(ctx.meta, item.touchpoint);
    chart.append(svg("text", { class: "bar-label", x: LABEL - 8, y: y + ROW / 2 + 1, "text-anchor": "end" }, tp));
    if (item.impact_on_client_nps === null) {
      chart.append(svg("text", { class: "withheld-text", x: x(0) + 6, y: y + ROW / 2 + 1 },
        item.missing_reason ? `${t("withheld")} (${reason(item.missing_reason)})` : t("withheld")));
      return;
    }
    const v = item.impact_on_client_nps;
    const x0 = Math.min(x(0), x(v));
    chart.append(svg("rect", {
      class: `bar impact ${v >= 0 ? "gain" : "ahead"}`, x: x0, y: y + 5, width: Math.max(2, Math.abs(x(v) - x(0))), height: ROW - 12,
      fill: v >= 0 ? COLOURS.client : COLOURS.industry,
    }, svg("title", {}, `${tp}: ${signed(v, 2)}`)),
    svg("text", { class: "bar-value", x: Math.max(x(0), x(v)) + 6, y: y + ROW / 2 + 1 }, signed(v, 2)));
  });
  return [values.length ? h("figure", { class: "chart" }, chart) : null,
    h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("impactsTitle") },
      h("table", { class: "data", id: "impacts-table" },
        h("caption", {}, t("impactsTitle")),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("touchpoint")),
          h("th", { scope: "col", class: "num" }, t("clientNps")),
          h("th", { scope: "col", class: "num" }, t("industryMedian")),
          h("th", { scope: "col", class: "num" }, t("gap")),
          h("th", { scope: "col", class: "num" }, t("answerShare")),
          h("th", { scope: "col", class: "num" }, t("impact")))),
        h("tbody", {}, impacts.map((item) => h("tr", {},
          h("th", { scope: "row" }, touchpointName(ctx.meta, item.touchpoint)),
          h("td", { class: "num" }, num(item.nps)),
          item.industry_median === null
            ? h("td", { class: "withheld" }, item.missing_reason ? `${t("withheld")} (${reason(item.missing_reason)})` : t("withheld"))
            : h("td", { class: "num" }, num(item.industry_median)),
          h("td", { class: "num" }, signed(item.gap)),
          h("td", { class: "num" }, `${num(item.answer_share * 100, 0)} %`),
          h("td", { class: "num strong" }, signed(item.impact_on_client_nps, 2)))))))];
}
