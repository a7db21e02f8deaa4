// Comment themes: for one touchpoint and period, the share of the client's detractors' and
// promoters' comments raising each theme (paired bars, a significant difference marked), the
// industry's shares where their cells are published (a withheld one says so, with no number),
// and below, the client's own comments as served (personal data already masked), newest first.

import { get } from "../api.js";
import { COLOURS } from "../charts.js";
import {
  choices, clientLabel, clientSelect, csvButton, grainSelect, pageHeader, periodSelect, toolbar,
  touchpointName, touchpointSelect,
} from "../controls.js";
import { h, select, svg } from "../dom.js";
import { dateTime, lang, num, periodLabel, reason, signed, t } from "../i18n.js";

const W = 320;
const ROW_H = 40;
const PAGE = 10;
const GROUPS = ["detractor", "passive", "promoter", "none"];

export async function render(ctx) {
  const p = choices(ctx, { grain: "year", period: "", touchpoint: "*", theme: "", group: "", offset: "0" });
  const offset = Math.max(0, Number.parseInt(p.offset, 10) || 0);
  const base = `clients/${encodeURIComponent(p.client)}`;
  const [themes, catalogue, comments] = await Promise.all([
    get(`${base}/themes`, { period: p.period, touchpoint: p.touchpoint, grain: p.grain }),
    get("themes"),
    get(`${base}/comments`, {
      period: p.period, touchpoint: p.touchpoint === "*" ? null : p.touchpoint,
      theme: p.theme, group: p.group, limit: PAGE, offset,
    }),
  ]);
  const names = new Map(catalogue.items.map((th) => [th.theme, lang() === "fi" ? th.name_fi : th.name_en]));
  const themeName = (code) => names.get(code) || code;
  const items = themes.items;
  const client = clientLabel(ctx, p.client);
  const tp = p.touchpoint === "*" ? t("allTouchpoints") : touchpointName(ctx.meta, p.touchpoint);
  const max = Math.max(10, ...items.flatMap((i) => [i.detractors.share, i.promoters.share,
    i.benchmark.share_detractors, i.benchmark.share_promoters].filter((v) => v !== null)));
  const x = (v) => 8 + (v / max) * (W - 34);
  return h("section", { class: "page themes" },
    pageHeader(t("themesTitle"), t("themesIntro", { client, touchpoint: tp, period: periodLabel(p.period) })),
    toolbar(clientSelect(ctx, p), grainSelect(ctx, p), periodSelect(ctx, p), touchpointSelect(ctx, p),
      csvButton(`${base}/themes`, { period: p.period, touchpoint: p.touchpoint, grain: p.grain }, `themes-${p.client}-${p.period}.csv`)),
    h("p", { class: "legend" },
      h("span", { class: "key client" }, "▮ ", t("detractors")),
      h("span", { class: "key industry" }, "▮ ", t("promoters")),
      h("span", {}, "┃ ", t("industryShare")),
      h("span", {}, "★ ", t("liftSignificant"))),
    items.length === 0 ? h("p", { class: "notice" }, t("noData")) :
      h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("themesTitle") },
        h("table", { class: "chart-table", id: "themes-table" },
          h("caption", {}, t("themesCaption", { client, touchpoint: tp, period: periodLabel(p.period), max: num(max, 0) })),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, t("theme")),
            h("th", { scope: "col", class: "chart-col" }, t("shareOfComments")),
            h("th", { scope: "col", class: "num" }, t("detractors")),
            h("th", { scope: "col", class: "num" }, t("promoters")),
            h("th", { scope: "col", class: "num" }, t("difference")),
            h("th", { scope: "col", class: "num" }, t("industryDetractors")),
            h("th", { scope: "col", class: "num" }, t("industryPromoters")))),
          h("tbody", {}, items.map((item) => themeRow(item, themeName(item.theme), x))))),
    h("h2", { id: "verbatims" }, t("verbatimsTitle")),
    toolbar(
      select(t("theme"), "theme", [["", t("allThemes")], ...catalogue.items.map((th) => [th.theme, themeName(th.theme)])],
        p.theme, (theme) => ctx.go({ theme, offset: null })),
      select(t("group"), "group", [["", t("allGroups")], ...GROUPS.map((g) => [g, t(`group_${g}`)])],
        p.group, (group) => ctx.go({ group, offset: null }))),
    verbatims(ctx, comments, offset, themeName));
}

function share(value) { return value === null ? "–" : `${num(value)} %`; }

function industryCell(bench, which) {
  const reasonCode = bench[`${which}_suppressed_reason`];
  const value = bench[`share_${which}`];
  if (reasonCode !== null || value === null) {
    return h("td", { class: "withheld industry", "data-withheld": reasonCode || "none" },
      t("withheld"), h("span", { class: "reason" }, ` (${reason(reasonCode || "suppressed")})`));
  }
  return h("td", { class: "num industry" }, share(value));
}

function themeRow(item, themeLabel, x) {
  const d = item.detractors.share;
  const pr = item.promoters.share;
  const bench = item.benchmark;
  const aria = t("themeBars", { theme: themeLabel, d: share(d), p: share(pr) })
    + (item.lift_significant ? `, ${t("liftSignificant")}` : "");
  const chart = svg("svg", { class: "row-chart theme-bars", width: W, height: ROW_H, viewBox: `0 0 ${W} ${ROW_H}`, role: "img", "aria-label": aria },
    svg("title", {}, aria),
    svg("line", { x1: x(0), x2: x(0), y1: 2, y2: ROW_H - 2, stroke: COLOURS.muted }));
  const bars = [["detractors", d, COLOURS.client, 5], ["promoters", pr, COLOURS.industry, 21]];
  for (const [group, value, colour, y] of bars) {
    if (value !== null) {
      chart.append(svg("rect", { class: `bar ${group}`, x: x(0), y, width: Math.max(1.5, x(value) - x(0)), height: 13, fill: colour }));
    }
    const benchValue = bench[`share_${group}`];
    if (benchValue !== null && bench[`${group}_suppressed_reason`] === null) {
      chart.append(svg("line", { class: `industry-tick ${group}`, x1: x(benchValue), x2: x(benchValue), y1: y - 3, y2: y + 16, stroke: "#1b1f24", "stroke-width": 2 }));
    }
  }
  if (item.lift_significant) {
    chart.append(svg("text", { class: "lift-mark", x: W - 12, y: 17, "text-anchor": "middle" }, "★"));
  }
  return h("tr", { "data-theme": item.theme },
    h("th", { scope: "row" }, themeLabel, h("span", { class: "sub" }, t("comments", { n: num(item.n_theme_comments, 0) }))),
    h("td", { class: "chart-col" }, chart),
    h("td", { class: "num" }, share(d)),
    h("td", { class: "num" }, share(pr)),
    h("td", { class: `num${item.lift_significant ? " significant" : ""}` },
      item.detractor_promoter_difference === null ? "–" : `${signed(item.detractor_promoter_difference)} pp`,
      item.lift_significant ? h("span", { class: "lift", title: t("liftSignificant") }, " ★") : null),
    industryCell(bench, "detractors"),
    industryCell(bench, "promoters"));
}

function verbatims(ctx, page, offset, themeName) {
  if (page.items.length === 0) return h("p", { class: "notice" }, t("noComments"));
  const last = Math.min(page.total, offset + page.items.length);
  return [
    h("p", { class: "legend", id: "comments-count" }, t("commentsShown", { first: num(offset + 1, 0), last: num(last, 0), total: num(page.total, 0) })),
    h("ol", { class: "comments", id: "comments", start: offset + 1 },
      page.items.map((c) => h("li", { class: "comment", "data-comment": c.comment_id },
        h("p", { class: "meta" },
          h("time", { datetime: c.responded_at }, dateTime(c.responded_at)), " · ",
          touchpointName(ctx.meta, c.touchpoint), " · ",
          h("span", { class: `group ${c.group}` }, t(`group_${c.group}`),
            c.nps_score === null ? "" : ` (${num(c.nps_score, 0)})`),
          c.unit ? ` · ${c.unit}` : ""),
        h("blockquote", { class: "text" }, c.text),
        h("p", { class: "tags" }, c.themes.map((code) => h("span", { class: "tag" }, themeName(code))))))),
    h("nav", { class: "pager", "aria-label": t("verbatimsTitle") },
      h("button", { type: "button", id: "comments-prev", disabled: offset === 0,
        onclick: () => ctx.go({ offset: String(Math.max(0, offset - PAGE)) }) }, `← ${t("newer")}`),
      h("button", { type: "button", id: "comments-next", disabled: page.next_offset === null,
        onclick: () => ctx.go({ offset: String(page.next_offset) }) }, `${t("older")} →`)),
  ];
}
