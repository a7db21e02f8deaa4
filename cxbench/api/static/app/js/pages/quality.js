// Data quality (admin keys): recent builds and their gates, quarantine by reason, row
// reconciliation and the live snapshot's freshness.

import { get } from "../api.js";
import { COLOURS } from "../charts.js";
import { pageHeader } from "../controls.js";
import { h, svg } from "../dom.js";
import { buildStatus, dateTime, int, num, periodLabel, t } from "../i18n.js";

export async function render() {
  const q = await get("quality", {}, { fresh: true });
  const f = q.freshness;
  return h("section", { class: "page quality" },
    pageHeader(t("qualityTitle"), t("qualityIntro", { build: q.live_build_id })),
    h("div", { class: "cards" },
      card(t("publishedAt"), dateTime(f.published_at), f.age_hours === null ? "" : t("age", { h: num(f.age_hours, 1) })),
      card(t("latestMonth"), periodLabel(f.latest_month), ""),
      card(t("clientsBehind"), `${int(f.clients_behind.length)} / ${int(f.clients_total)}`,
        t("clientsBehindText", { n: int(f.clients_behind.length), total: int(f.clients_total) })),
      q.reconciliation ? card(t("reconciliation"), q.reconciliation.balanced ? `✓ ${t("balanced")}` : `✗ ${t("unbalanced")}`,
        t("files", { n: int(q.reconciliation.files), q: int(q.reconciliation.files_quarantined) })) : null),
    q.reconciliation ? reconciliation(q.reconciliation) : null,
    h("h2", {}, t("quarantine")),
    q.quarantine.length === 0 ? h("p", {}, t("noQuarantine")) : quarantine(q.quarantine),
    h("h2", {}, t("builds")),
    h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("builds") },
      h("table", { class: "data", id: "builds-table" },
        h("thead", {}, h("tr", {}, [t("build"), t("status"), t("started"), t("duration"), t("gates")]
          .map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, q.items.map((b) => h("tr", { class: b.is_live ? "total" : null },
          h("th", { scope: "row" }, h("code", {}, b.build_id), b.is_live ? h("span", { class: "badge" }, t("live")) : null),
          h("td", { class: `status ${b.status}` }, buildStatus(b.status) + (b.failed_gate ? ` (${b.failed_gate})` : "")),
          h("td", {}, dateTime(b.started_at)),
          h("td", { class: "num" }, b.duration_seconds === null ? "–" : t("seconds", { s: num(b.duration_seconds, 0) })),
          h("td", {}, b.gates.map((g) => h("span", { class: g.success ? "gate ok" : "gate fail" },
            `${g.success ? "✓" : "✗"} ${g.gate}: ${g.suite}${g.failed_checks ? ` (${g.failed_checks})` : ""}`)),
            b.dbt_failed ? h("span", { class: "gate fail" }, `✗ dbt (${b.dbt_failed})`) : null)))))));
}

function card(title, value, note) {
  return h("div", { class: "card" }, h("h2", {}, title), h("p", { class: "big" }, value), note ? h("p", { class: "note" }, note) : null);
}

function reconciliation(r) {
  const parts = [
    ["accepted", r.rows_accepted, COLOURS.target],
    ["quarantined", r.rows_quarantined, COLOURS.client],
    ["superseded", r.rows_superseded, COLOURS.industry],
  ];
  const W = 720;
  let at = 0;
  const text = t("reconText", {
    landed: int(r.rows_landed), accepted: int(r.rows_accepted), quarantined: int(r.rows_quarantined),
    superseded: int(r.rows_superseded), state: r.balanced ? t("balanced") : t("unbalanced"),
  });
  const bar = svg("svg", { id: "recon-chart", width: W, height: 28, viewBox: `0 0 ${W} 28`, role: "img", "aria-label": text });
  for (const [key, value, colour] of parts) {
    const w = r.rows_landed ? (value / r.rows_landed) * W : 0;
    if (w > 0) bar.append(svg("rect", { class: `recon ${key}`, x: at, y: 2, width: Math.max(w, 2), height: 24, fill: colour }, svg("title", {}, `${t(key)}: ${int(value)}`)));
    at += w;
  }
  return h("figure", { class: "chart" }, bar, h("figcaption", {}, `${t("build")} ${r.build_id}: ${text}`));
}

function quarantine(reasons) {
  const max = Math.max(...reasons.map((r) => r.rows));
  const W = 420; const ROW = 24; const LABEL = 190;
  const chart = svg("svg", {
    id: "quarantine-chart", width: W + LABEL + 70, height: reasons.length * ROW + 4,
    viewBox: `0 0 ${W + LABEL + 70} ${reasons.length * ROW + 4}`, role: "img",
    "aria-label": reasons.map((r) => `${r.reason}: ${int(r.rows)}`).join("; "),
  });
  reasons.forEach((r, i) => {
    const y = i * ROW + 2;
    chart.append(
      svg("text", { x: LABEL - 8, y: y + 16, "text-anchor": "end", class: "tick" }, r.reason),
      svg("rect", { class: "bar", x: LABEL, y: y + 3, width: Math.max(2, (r.rows / max) * W), height: ROW - 8, fill: COLOURS.client }),
      svg("text", { x: LABEL + Math.max(2, (r.rows / max) * W) + 6, y: y + 16, class: "tick" }, int(r.rows)));
  });
  return h("div", { class: "two" }, chart,
    h("table", { class: "data", id: "quarantine-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("reason")), h("th", { scope: "col", class: "num" }, t("rows")))),
      h("tbody", {}, reasons.map((r) => h("tr", {}, h("th", { scope: "row" }, h("code", {}, r.reason)), h("td", { class: "num" }, int(r.rows)))))));
}
