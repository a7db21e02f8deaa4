// The choices pages share: client, metric, period length and period, touchpoint.

import { downloadCsv } from "./api.js";
import { h, select } from "./dom.js";
import { name, periodLabel, t } from "./i18n.js";

export const GRAINS = ["year", "quarter", "month"];

/** The metric's possible range, [value_min, value_max], to keep chart scales inside it. */
export function metricRange(meta, code) {
  const metric = meta.metrics.find((m) => m.metric_code === code);
  return metric ? [metric.value_min, metric.value_max] : null;
}

export function metricName(meta, code) {
  const metric = meta.metrics.find((m) => m.metric_code === code);
  return name(code, metric ? metric.metric_name : code);
}

export function industryName(meta, code) {
  if (code === "*") return t("allIndustries");
  const found = meta.industries.find((i) => i.industry_code === code);
  return name(code, found ? found.industry_name : code);
}

export function touchpointName(meta, code) {
  if (code === "*") return t("allTouchpoints");
  const found = meta.touchpoints.find((tp) => tp.touchpoint_code === code);
  return name(code, found ? found.touchpoint_name : code);
}

/** The page's choices with defaults filled in: the newest period of the grain asked for. */
export function choices(ctx, defaults) {
  const p = { ...defaults, ...ctx.params };
  if (!ctx.meta.metrics.some((m) => m.metric_code === p.metric)) p.metric = "nps";
  if (p.grain !== undefined) {
    if (!GRAINS.includes(p.grain)) p.grain = defaults.grain || "year";
    const periods = ctx.meta.periods[p.grain] || [];
    if (p.period !== undefined && !periods.includes(p.period)) p.period = periods[periods.length - 1];
  }
  return p;
}

export function metricSelect(ctx, p) {
  return select(t("metric"), "metric",
    ctx.meta.metrics.map((m) => [m.metric_code, metricName(ctx.meta, m.metric_code)]),
    p.metric, (metric) => ctx.go({ metric }));
}

export function grainSelect(ctx, p, grains = GRAINS) {
  return select(t("grain"), "grain", grains.map((g) => [g, t(g)]), p.grain,
    (grain) => ctx.go({ grain, period: null }));
}

export function periodSelect(ctx, p) {
  const periods = [...(ctx.meta.periods[p.grain] || [])].reverse();
  return select(t("period"), "period", periods.map((x) => [x, periodLabel(x)]), p.period,
    (period) => ctx.go({ period }));
}

export function touchpointSelect(ctx, p) {
  const codes = ["*", ...ctx.meta.touchpoints.map((tp) => tp.touchpoint_code)];
  return select(t("touchpoint"), "touchpoint", codes.map((c) => [c, touchpointName(ctx.meta, c)]),
    p.touchpoint, (touchpoint) => ctx.go({ touchpoint }));
}

/** A client key has one client and no picker; others pick among the clients their key sees. */
export function clientSelect(ctx, p) {
  if (ctx.me.items.length <= 1 && ctx.me.role === "client") return null;
  const options = ctx.me.items.map((c) => [c.client_id, `${c.client_name} (${c.client_id})`]);
  if (!ctx.me.items.some((c) => c.client_id === p.client)) options.unshift([p.client, p.client]);
  return select(t("client"), "client", options, p.client, (client) => ctx.go({ client }));
}

export function clientLabel(ctx, clientId, fallbackName) {
  const found = ctx.me.items.find((c) => c.client_id === clientId);
  return found ? found.client_name : fallbackName || clientId;
}

export function toolbar(...fields) {
  return h("form", { class: "toolbar", onsubmit: (e) => e.preventDefault() }, fields.filter(Boolean));
}

export function pageHeader(title, intro) {
  return [h("h1", { tabindex: "-1" }, title), h("p", { class: "intro" }, intro)];
}

/** Download what the page shows as CSV (the same /v1 answer, Accept: text/csv). */
export function csvButton(path, params, filename) {
  return h("div", { class: "field" }, h("span", { class: "spacer", "aria-hidden": "true" }, " "),
    h("button", { type: "button", class: "csv", onclick: () => downloadCsv(path, params, filename) }, t("csv")));
}
