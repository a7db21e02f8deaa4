// The dashboard shell: sign-in, navigation (hash routes that carry page choices only, never
// the key), the language switch, and the page modules.

import { ApiError, clearCache, forgetKey, get, getKey, setKey } from "./api.js";
import { h } from "./dom.js";
import { lang, roleName, setLang, t } from "./i18n.js";
import * as benchmarks from "./pages/benchmarks.js";
import * as drivers from "./pages/drivers.js";
import * as quality from "./pages/quality.js";
import * as scorecard from "./pages/scorecard.js";
import * as targets from "./pages/targets.js";
import * as themes from "./pages/themes.js";
import * as trends from "./pages/trends.js";
import * as units from "./pages/units.js";

const PAGES = {
  benchmarks: { module: benchmarks, nav: "navBenchmarks" },
  scorecard: { module: scorecard, nav: "navScorecard", client: true },
  trends: { module: trends, nav: "navTrends", client: true },
  targets: { module: targets, nav: "navTargets", client: true },
  drivers: { module: drivers, nav: "navDrivers", client: true },
  themes: { module: themes, nav: "navThemes", client: true },
  units: { module: units, nav: "navUnits", client: true },
  quality: { module: quality, nav: "navQuality", admin: true },
};

const state = { meta: null, me: null, notice: null };
const main = document.getElementById("main");
const header = document.getElementById("header");
let renderCount = 0;

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const page = PAGES[path] ? path : "benchmarks";
  return { page, params: Object.fromEntries(new URLSearchParams(query || "")) };
}

export function go(page, params) {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""),
  ).toString();
  const hash = `#/${page}${query ? `?${query}` : ""}`;
  if (location.hash === hash) render(); else location.hash = hash;
}

function drawHeader(page) {
  const signedIn = Boolean(state.me);
  const nav = signedIn
    ? h("nav", { "aria-label": "main" }, h("ul", {},
      Object.entries(PAGES)
        .filter(([, p]) => !p.admin || state.me.role === "admin")
        .map(([id, p]) => h("li", {}, h("a", {
          href: `#/${id}`, "aria-current": id === page ? "page" : null, "data-page": id,
        }, t(p.nav))))))
    : null;
  header.replaceChildren(
    h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "◆"),
      h("span", { class: "title" }, t("appTitle")), h("span", { class: "subtitle" }, t("appSubtitle"))),
    nav || h("span"),
    h("div", { class: "tools" },
      signedIn ? h("span", { class: "role" }, t("signedInAs", { role: roleName(state.me.role) })) : null,
      h("button", {
        type: "button", class: "link", lang: lang() === "fi" ? "en" : "fi", id: "lang",
        "aria-label": t("languageLabel"),
        onclick: () => { setLang(lang() === "fi" ? "en" : "fi"); render(); },
      }, t("language")),
      signedIn ? h("button", { type: "button", id: "signout", onclick: signOut }, t("signOut")) : null),
  );
}

function signOut() {
  forgetKey();
  clearCache();
  state.me = null;
  state.meta = null;
  location.hash = "";
  render();
}

function drawSignIn() {
  drawHeader(null);
  const input = h("input", {
    id: "key", name: "key", type: "password", autocomplete: "off", spellcheck: "false",
    required: true, "aria-describedby": "key-help",
  });
  const message = h("p", { class: "error", role: "alert", id: "signin-error" }, state.notice || "");
  state.notice = null;
  const form = h("form", {
    class: "signin", id: "signin",
    onsubmit: async (event) => {
      event.preventDefault();
      const key = input.value.trim();
      try {
        const me = await get("clients", {}, { key, fresh: true });
        setKey(key);
        state.me = me;
        input.value = "";
        render();
      } catch (error) {
        message.textContent = t("signInFailed", { detail: error.detail || error.message });
      }
    },
  },
  h("h1", { tabindex: "-1" }, t("signInTitle")),
  h("p", { id: "key-help" }, t("signInHelp")),
  h("label", { for: "key" }, t("keyLabel")), input,
  h("button", { type: "submit" }, t("signIn")), message);
  main.replaceChildren(form);
  input.focus();
}

async function render() {
  document.documentElement.lang = lang();
  document.title = t("appTitle");
  if (!getKey()) { drawSignIn(); return; }
  const { page, params } = parseHash();
  const count = ++renderCount;
  const started = performance.now();
  main.setAttribute("aria-busy", "true");
  try {
    if (!state.me) state.me = await get("clients");
    if (!state.meta) state.meta = await get("meta");
    drawHeader(page);
    const spec = PAGES[page];
    const ctx = {
      params,
      meta: state.meta,
      me: state.me,
      go: (next) => go(page, { ...params, ...next }),
    };
    if (spec.client && !params.client && state.me.items.length) {
      ctx.params = { ...params, client: state.me.items[0].client_id };
    }
    const content = await spec.module.render(ctx);
    if (count !== renderCount) return; // a newer navigation won
    const focused = document.activeElement && document.activeElement.id;
    const footer = h("p", { class: "footer" }, t("footer", { build: state.meta.build_id }));
    main.replaceChildren(content, footer);
    main.dataset.page = page;
    main.dataset.renderMs = String(Math.round(performance.now() - started));
    main.dataset.drawnAt = String(Math.round(performance.now())); // ms since the tab navigated
    // Keyboard users keep their place: the control they changed, else the page's heading.
    const again = focused && document.getElementById(focused);
    const heading = main.querySelector("h1");
    if (again) again.focus({ preventScroll: true });
    else if (heading && document.activeElement === document.body) heading.focus({ preventScroll: true });
  } catch (error) {
    if (count !== renderCount) return;
    if (error instanceof ApiError && error.status === 401) {
      forgetKey();
      state.me = null;
      state.notice = t("sessionEnded");
      drawSignIn();
      return;
    }
    main.replaceChildren(errorPanel(error, page, params));
    main.dataset.page = page;
    main.dataset.renderMs = String(Math.round(performance.now() - started));
  } finally {
    main.removeAttribute("aria-busy");
  }
}

function errorPanel(error, page, params) {
  let text = t("errorGeneric", { detail: error.detail || error.message });
  if (error instanceof ApiError && error.status === 403) {
    text = PAGES[page].admin ? t("forbiddenAdmin") : t("forbiddenClient", { client: params.client || "" });
  }
  const own = state.me && state.me.items.length ? state.me.items[0].client_id : null;
  return h("section", { class: "panel notice", role: "alert", id: "problem" },
    h("h1", { tabindex: "-1" }, t(PAGES[page].nav)),
    h("p", {}, text),
    own && PAGES[page].client
      ? h("p", {}, h("a", { href: `#/${page}?client=${encodeURIComponent(own)}` }, t("chooseClient")))
      : null);
}

window.addEventListener("hashchange", render);
render();
