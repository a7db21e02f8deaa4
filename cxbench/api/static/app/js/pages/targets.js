// Targets: per touchpoint, current value → the industry's p50/p75/p90, the gap, and what
// closing it takes (NPS: conversions per 100 answers; every metric: answers needed).

import { get } from "../api.js";
import { axis, COLOURS, intervalMark, scale } from "../charts.js";
import {
  choices, csvButton, metricRange, clientLabel, clientSelect, grainSelect, metricName, metricSelect, pageHeader,
  periodSelect, toolbar, touchpointName,
} from "../controls.js";
import { h, select, svg } from "../dom.js";
import { num, periodLabel, reason, signed, t } from "../i18n.js";

const W = 300;
const ROW_H = 30;
const AMBITIONS = ["p50", "p75", "p90"];

export async function render(ctx) {
  const p = choices(ctx, { metric: "nps", grain: "year", period: "", ambition: "p75" });
  if (!AMBITIONS.includes(p.ambition)) p.ambition = "p75";
  const answer = await get(`clients/${encodeURIComponent(p.client)}/targets`, {
    metric: p.metric, period: p.period, ambition: p.ambition,
  });
  const items = answer.items;
  const base = `clients/${encodeURIComponent(p.client)}/targets`;
  const progress = await Promise.all((answer.agreed || []).map((a) =>
    get(`${base}/${encodeURIComponent(a.touchpoint)}/${encodeURIComponent(a.metric)}/progress`)));
  const x = scale(items.flatMap((i) => [i.current - (i.moe || 0), i.current + (i.moe || 0), i.target]), 16, W - 16, { clampTo: metricRange(ctx.meta, p.metric) });
  const metric = metricName(ctx.meta, p.metric);
  const client = clientLabel(ctx, p.client);
  return h("section", { class: "page targets" },
    pageHeader(t("targetsTitle"), t("targetsIntro", { client, metric, period: periodLabel(p.period), ambition: p.ambition })),
    toolbar(clientSelect(ctx, p), metricSelect(ctx, p), grainSelect(ctx, p), periodSelect(ctx, p),
      select(t("ambition"), "ambition", AMBITIONS.map((a) => [a, a]), p.ambition, (ambition) => ctx.go({ ambition })),
      csvButton(`clients/${encodeURIComponent(p.client)}/targets`, { metric: p.metric, period: p.period, ambition: p.ambition }, `targets-${p.client}-${p.period}.csv`)),
    h("p", { class: "legend" },
      h("span", { class: "key client" }, "◆ ", t("current")), " → ",
      h("span", { class: "key target" }, "● ", t("target"))),
    items.length === 0 ? h("p", { class: "notice" }, t("noData")) :
      h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("targetsTitle") },
        h("table", { class: "chart-table", id: "targets-table" },
          h("caption", {}, `${client} — ${metric}, ${periodLabel(p.period)}, ${p.ambition}`),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, t("touchpoint")),
            h("th", { scope: "col", class: "chart-col" }, axis(x, W, 22, (v) => num(v, 0))),
            h("th", { scope: "col", class: "num" }, t("current")),
            h("th", { scope: "col", class: "num" }, t("target")),
            h("th", { scope: "col", class: "num" }, t("gap")),
            h("th", { scope: "col" }, t("takes")))),
          h("tbody", {}, items.map((item) => row(ctx, item, x))))),
    h("h2", { id: "agreed" }, t("agreedTitle")),
    h("p", { class: "intro" }, t("agreedIntro", { metric })),
    agreedTable(ctx, progress, metric));
}

const STATUS_MARK = { on_track: "✓", at_risk: "!", off_track: "✗", insufficient_data: "?" };

/** The agreed targets (read-only here: they are written through the API or the CLI). */
function agreedTable(ctx, progress, metric) {
  if (progress.length === 0) return h("p", { class: "notice", id: "no-agreed" }, t("noAgreed", { metric }));
  const value = (v) => (v === null ? "–" : h("span", {}, `${num(v.value)} `, h("span", { class: "sub-inline" }, `${periodLabel(v.period)}, n ${num(v.n, 0)}`)));
  return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("agreedTitle") },
    h("table", { class: "data", id: "agreed-table" },
      h("caption", {}, t("agreedTitle")),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("touchpoint")),
        h("th", { scope: "col" }, t("progressStatus")),
        h("th", { scope: "col", class: "num" }, t("target")),
        h("th", { scope: "col", class: "num" }, t("due")),
        h("th", { scope: "col", class: "num" }, t("baseline")),
        h("th", { scope: "col", class: "num" }, t("latestValue")),
        h("th", { scope: "col", class: "num" }, t("gapLeft")),
        h("th", { scope: "col", class: "num" }, t("covered")),
        h("th", { scope: "col", class: "num" }, t("changeShort")),
        h("th", { scope: "col", class: "num" }, t("projection")))),
      h("tbody", {}, progress.map((pr) => h("tr", { "data-touchpoint": pr.touchpoint, "data-status": pr.status },
        h("th", { scope: "row" }, touchpointName(ctx.meta, pr.touchpoint),
          pr.target.note ? h("span", { class: "sub" }, pr.target.note) : null),
        h("td", {}, h("span", { class: `status-badge ${pr.status}` }, `${STATUS_MARK[pr.status] || ""} ${t(`st_${pr.status}`)}`),
          h("span", { class: "sub", lang: "en" }, pr.status_reason)),
        h("td", { class: "num strong" }, num(pr.target.target_value),
          pr.target.basis !== "custom" ? h("span", { class: "sub" }, pr.target.basis) : null),
        h("td", { class: "num" }, periodLabel(pr.target.due_period)),
        h("td", { class: "num" }, value(pr.baseline)),
        h("td", { class: "num" }, pr.latest === null ? "–" : [value(pr.latest),
          pr.latest.moe === null ? null : h("span", { class: "sub" }, `± ${num(pr.latest.moe)}`)]),
        h("td", { class: "num" }, pr.is_met ? `✓ ${t("met")}` : signed(pr.gap_left)),
        h("td", { class: "num" }, pr.share_covered === null ? "–" : `${num(pr.share_covered * 100, 0)} %`),
        h("td", { class: `num${pr.change_significant ? " significant" : ""}` }, signed(pr.change),
          pr.change_significant === null ? null : h("span", { class: "sub" }, pr.change_significant ? t("significant") : t("notSignificant"))),
        h("td", { class: "num" }, pr.projection === null ? "–" : [num(pr.projection.value),
          h("span", { class: "sub" }, `${num(pr.projection.low)} … ${num(pr.projection.high)}`)]))))));
}

function row(ctx, item, x) {
  const tp = touchpointName(ctx.meta, item.touchpoint);
  const hasTarget = item.target !== null;
  const aria = hasTarget
    ? t("targetLabel", { tp, current: num(item.current), target: num(item.target) })
    : `${tp}: ${t("noTarget", { reason: reason(item.benchmark_suppressed_reason || "suppressed") })}`;
  const chart = svg("svg", { class: "row-chart", width: W, height: ROW_H, viewBox: `0 0 ${W} ${ROW_H}`, role: "img", "aria-label": aria },
    svg("title", {}, aria),
    hasTarget ? svg("line", { class: "gap-line", x1: x(item.current), x2: x(item.target), y1: ROW_H / 2, y2: ROW_H / 2, stroke: COLOURS.target, "stroke-width": 2, "stroke-dasharray": "4 3" }) : null,
    intervalMark(x, item.current, item.moe === null ? null : item.current - item.moe, item.moe === null ? null : item.current + item.moe, 0, ROW_H),
    hasTarget ? svg("circle", { class: "target-mark", cx: x(item.target), cy: ROW_H / 2, r: 6, fill: COLOURS.target, stroke: "#fff" }) : null);
  return h("tr", { class: item.touchpoint === "*" ? "total" : null },
    h("th", { scope: "row" }, tp),
    h("td", { class: "chart-col" }, chart),
    h("td", { class: "num strong" }, num(item.current)),
    hasTarget ? h("td", { class: "num" }, num(item.target)) : h("td", { class: "withheld num" }, t("withheld")),
    h("td", { class: "num" }, hasTarget ? (item.is_met ? `✓ ${t("met")}` : signed(item.gap)) : "–"),
    h("td", { class: "takes" }, takes(item)));
}

function takes(item) {
  if (item.target === null) return t("noTarget", { reason: reason(item.benchmark_suppressed_reason || "suppressed") });
  if (item.is_met) return `✓ ${t("met")}`;
  const parts = [];
  if (item.nps) {
    parts.push(t("levers", { dp: num(item.nps.detractors_to_promoters_per_100), pp: num(item.nps.passives_to_promoters_per_100) }));
    if (item.nps.detractors_to_promoters_per_100 > item.nps.detractors_per_100) {
      parts.push(t("leversShort", { d: num(item.nps.detractors_per_100) }));
    }
  }
  if (item.answers_needed_per_period !== null) {
    parts.push(t("answersNeeded", {
      need: num(item.answers_needed_per_period, 0), have: num(item.n, 0),
      enough: item.has_enough_answers ? t("enough") : t("notEnough"),
    }));
  }
  return parts.map((text) => h("span", { class: "line" }, text));
}
