// Finnish and English: every string the pages show, and locale number/date formatting.
// The language is kept in localStorage (it is not a secret); the API key never is.

const STRINGS = {
  en: {
    appTitle: "cxbench",
    appSubtitle: "Customer-experience benchmarks",
    skip: "Skip to content",
    navBenchmarks: "Benchmarks", navScorecard: "Scorecard", navTrends: "Trends",
    navTargets: "Targets", navUnits: "Units", navQuality: "Data quality",
    language: "Suomeksi", languageLabel: "Vaihda kieli suomeksi",
    signOut: "Sign out", signIn: "Sign in",
    signInTitle: "Sign in with your API key",
    signInHelp: "Paste the key you were given (cxb_…). It stays in this browser tab only and is sent only in the Authorization header; signing out or closing the tab forgets it.",
    keyLabel: "API key",
    signInFailed: "That key was not accepted: {detail}",
    signedInAs: "{role} key", roleAdmin: "Admin", roleConsultant: "Consultant", roleClient: "Client",
    loading: "Loading…",
    metric: "Metric", period: "Period", grain: "Period length", client: "Client",
    touchpoint: "Touchpoint", industry: "Industry", ambition: "Ambition",
    month: "Month", quarter: "Quarter", year: "Year",
    allIndustries: "All industries", allTouchpoints: "All touchpoints",
    withheld: "Withheld", reason_too_few_clients: "too few clients",
    reason_dominant_client: "one client dominates", reason_complementary: "would reveal another cell",
    reason_suppressed: "not published",
    clients: "{n} clients", responses: "{n} answers",
    showTable: "Show as table", showChart: "Show as chart",
    benchTitle: "Benchmarks",
    benchIntro: "Industry × touchpoint for {metric}, {period}. Each cell: pooled value ± 95 % margin of error, the number of contributing clients, and the distribution of the clients' values.",
    legendBox: "Box: p25–p75 of client values; line: median; whiskers: p10–p90 (shown only when published). Shared scale {lo} … {hi}.",
    boxLabel: "{cell}: median {median}, p25–p75 {p25}–{p75}{whiskers}",
    whiskerText: ", p10–p90 {p10}–{p90}",
    withheldLabel: "{cell}: withheld ({reason})",
    scoreTitle: "Scorecard",
    scoreIntro: "{client} — {metric}, {period}: the client's value with its 95 % interval (dot and line) against its industry's distribution (box).",
    value: "Value", interval: "95 % interval", n: "n", rank: "Percentile rank",
    change: "Change vs {previous}", changeShort: "Change", vsPrevious: "vs {previous}", significant: "significant",
    notSignificant: "not significant", industryDist: "Industry p25–median–p75",
    noBenchmark: "industry withheld ({reason})",
    scoreLabel: "{tp}: {value} ({low}–{high}); industry {bench}",
    trendsTitle: "Trends",
    trendsIntro: "{client} — {metric}, {touchpoint}, by {grain}: the client's value with its 95 % band against the industry median and p25–p75 band.",
    clientSeries: "Client value and 95 % band", industrySeries: "Industry median and p25–p75",
    trendLabel: "Line chart of {n} periods from {first} to {last}; the table below lists every value.",
    median: "Median", band: "p25–p75",
    targetsTitle: "Targets",
    targetsIntro: "{client} — {metric}, {period}: current value → target at the industry's {ambition} per touchpoint, the gap, and what closing it takes.",
    current: "Current", target: "Target", gap: "Gap", met: "met", takes: "What it takes",
    levers: "Per 100 answers: turn {dp} detractors into promoters, or {pp} passives into promoters.",
    leversShort: "Detractors alone cannot close it ({d} per 100 today).",
    answersNeeded: "{need} answers in each of two periods to detect the change ({have} this period: {enough}).",
    enough: "enough", notEnough: "not enough",
    noTarget: "No target: the industry benchmark is withheld ({reason}).",
    targetLabel: "{tp}: current {current}, target {target}",
    unitsTitle: "Units",
    unitsIntro: "{client} — {metric}, {touchpoint}, {period}: each unit with its 95 % interval against the whole client (vertical line). Units are compared within the client only.",
    unit: "Unit", vsRest: "vs rest of client", unitRank: "Rank",
    unitLabel: "{unit}: {value} ({low}–{high})", noUnits: "This client has no units for these choices.",
    clientValue: "Client value {value}",
    qualityTitle: "Data quality",
    qualityIntro: "Recent builds and their gates, quarantine by reason, row reconciliation and freshness of the live snapshot {build}.",
    freshness: "Freshness", publishedAt: "Published", age: "{h} h ago", latestMonth: "Newest month",
    clientsBehind: "Clients behind", clientsBehindText: "{n} of {total} clients have no answers in the newest month.",
    builds: "Recent builds", build: "Build", status: "Status", started: "Started", duration: "Duration",
    gates: "Gates", live: "live", seconds: "{s} s",
    status_published: "published", status_failed: "failed", status_running: "running",
    status_interrupted: "interrupted",
    quarantine: "Quarantine by reason", reason: "Reason", rows: "Rows",
    noQuarantine: "No rows quarantined.",
    reconciliation: "Reconciliation", landed: "landed", accepted: "accepted", quarantined: "quarantined",
    superseded: "superseded", balanced: "balances", unbalanced: "does NOT balance",
    files: "{n} files, {q} quarantined as a whole",
    reconText: "{landed} landed = {accepted} accepted + {quarantined} quarantined + {superseded} superseded: {state}.",
    latest: "Newest month",
    noData: "No data for these choices.",
    forbiddenClient: "Your key does not give access to client {client}.",
    forbiddenAdmin: "The data-quality page needs an admin key.",
    errorGeneric: "The service answered: {detail}",
    sessionEnded: "Your key is no longer accepted; please sign in again.",
    chooseClient: "Show your own client instead",
    csv: "Download CSV",
    footer: "Live build {build}.",
  },
  fi: {
    appTitle: "cxbench",
    appSubtitle: "Asiakaskokemuksen vertailuarvot",
    skip: "Siirry sisältöön",
    navBenchmarks: "Vertailuarvot", navScorecard: "Tuloskortti", navTrends: "Kehitys",
    navTargets: "Tavoitteet", navUnits: "Yksiköt", navQuality: "Datan laatu",
    language: "In English", languageLabel: "Switch the language to English",
    signOut: "Kirjaudu ulos", signIn: "Kirjaudu",
    signInTitle: "Kirjaudu API-avaimella",
    signInHelp: "Liitä saamasi avain (cxb_…). Se säilyy vain tässä selainvälilehdessä ja lähetetään vain Authorization-otsakkeessa; uloskirjautuminen tai välilehden sulkeminen unohtaa sen.",
    keyLabel: "API-avain",
    signInFailed: "Avainta ei hyväksytty: {detail}",
    signedInAs: "{role}-avain", roleAdmin: "Ylläpitäjä", roleConsultant: "Konsultti", roleClient: "Asiakas",
    loading: "Ladataan…",
    metric: "Mittari", period: "Jakso", grain: "Jakson pituus", client: "Asiakas",
    touchpoint: "Kohtaamispiste", industry: "Toimiala", ambition: "Tavoitetaso",
    month: "Kuukausi", quarter: "Neljännes", year: "Vuosi",
    allIndustries: "Kaikki toimialat", allTouchpoints: "Kaikki kohtaamispisteet",
    withheld: "Ei julkaistu", reason_too_few_clients: "liian vähän asiakkaita",
    reason_dominant_client: "yksi asiakas hallitsee", reason_complementary: "paljastaisi toisen solun",
    reason_suppressed: "ei julkaistu",
    clients: "{n} asiakasta", responses: "{n} vastausta",
    showTable: "Näytä taulukkona", showChart: "Näytä kaaviona",
    benchTitle: "Vertailuarvot",
    benchIntro: "Toimiala × kohtaamispiste, {metric}, {period}. Kussakin solussa yhdistetty arvo ± 95 %:n virhemarginaali, mukana olevien asiakkaiden määrä ja asiakaskohtaisten arvojen jakauma.",
    legendBox: "Laatikko: asiakasarvojen p25–p75; viiva: mediaani; viikset: p10–p90 (vain kun julkaistu). Yhteinen asteikko {lo} … {hi}.",
    boxLabel: "{cell}: mediaani {median}, p25–p75 {p25}–{p75}{whiskers}",
    whiskerText: ", p10–p90 {p10}–{p90}",
    withheldLabel: "{cell}: ei julkaistu ({reason})",
    scoreTitle: "Tuloskortti",
    scoreIntro: "{client} — {metric}, {period}: asiakkaan arvo ja sen 95 %:n luottamusväli (piste ja viiva) toimialan jakaumaa (laatikko) vasten.",
    value: "Arvo", interval: "95 %:n väli", n: "n", rank: "Persentiilisijoitus",
    change: "Muutos vs {previous}", changeShort: "Muutos", vsPrevious: "vrt. {previous}", significant: "merkitsevä",
    notSignificant: "ei merkitsevä", industryDist: "Toimialan p25–mediaani–p75",
    noBenchmark: "toimiala ei julkaistu ({reason})",
    scoreLabel: "{tp}: {value} ({low}–{high}); toimiala {bench}",
    trendsTitle: "Kehitys",
    trendsIntro: "{client} — {metric}, {touchpoint}, jaksona {grain}: asiakkaan arvo ja 95 %:n vyöhyke toimialan mediaania ja p25–p75-vyöhykettä vasten.",
    clientSeries: "Asiakkaan arvo ja 95 %:n vyöhyke", industrySeries: "Toimialan mediaani ja p25–p75",
    trendLabel: "Viivakaavio {n} jaksosta, {first} – {last}; alla oleva taulukko listaa kaikki arvot.",
    median: "Mediaani", band: "p25–p75",
    targetsTitle: "Tavoitteet",
    targetsIntro: "{client} — {metric}, {period}: nykyarvo → tavoite toimialan {ambition}-tasolla kohtaamispisteittäin, ero ja mitä sen kurominen vaatii.",
    current: "Nyt", target: "Tavoite", gap: "Ero", met: "saavutettu", takes: "Mitä se vaatii",
    levers: "Sataa vastausta kohden: {dp} arvostelijaa suosittelijoiksi tai {pp} passiivista suosittelijoiksi.",
    leversShort: "Arvostelijat yksin eivät riitä (nyt {d} sadasta).",
    answersNeeded: "{need} vastausta kummallakin kahdella jaksolla muutoksen havaitsemiseen (tällä jaksolla {have}: {enough}).",
    enough: "riittää", notEnough: "ei riitä",
    noTarget: "Ei tavoitetta: toimialan vertailuarvoa ei julkaista ({reason}).",
    targetLabel: "{tp}: nyt {current}, tavoite {target}",
    unitsTitle: "Yksiköt",
    unitsIntro: "{client} — {metric}, {touchpoint}, {period}: yksiköt 95 %:n luottamusväleineen koko asiakasta (pystyviiva) vasten. Yksiköitä verrataan vain asiakkaan sisällä.",
    unit: "Yksikkö", vsRest: "vs muu asiakas", unitRank: "Sija",
    unitLabel: "{unit}: {value} ({low}–{high})", noUnits: "Asiakkaalla ei ole yksiköitä näillä valinnoilla.",
    clientValue: "Asiakkaan arvo {value}",
    qualityTitle: "Datan laatu",
    qualityIntro: "Viimeisimmät ajot ja niiden tarkistukset, karanteeni syittäin, rivien täsmäytys ja voimassa olevan julkaisun {build} tuoreus.",
    freshness: "Tuoreus", publishedAt: "Julkaistu", age: "{h} t sitten", latestMonth: "Uusin kuukausi",
    clientsBehind: "Jäljessä olevat asiakkaat", clientsBehindText: "{n}/{total} asiakkaalla ei ole vastauksia uusimmalta kuukaudelta.",
    builds: "Viimeisimmät ajot", build: "Ajo", status: "Tila", started: "Alkoi", duration: "Kesto",
    gates: "Tarkistukset", live: "käytössä", seconds: "{s} s",
    status_published: "julkaistu", status_failed: "epäonnistui", status_running: "käynnissä",
    status_interrupted: "keskeytynyt",
    quarantine: "Karanteeni syittäin", reason: "Syy", rows: "Rivejä",
    noQuarantine: "Ei karanteenirivejä.",
    reconciliation: "Täsmäytys", landed: "saapunut", accepted: "hyväksytty", quarantined: "karanteenissa",
    superseded: "korvattu", balanced: "täsmää", unbalanced: "EI täsmää",
    files: "{n} tiedostoa, {q} karanteenissa kokonaan",
    reconText: "{landed} saapunut = {accepted} hyväksytty + {quarantined} karanteenissa + {superseded} korvattu: {state}.",
    latest: "Uusin kuukausi",
    noData: "Ei tietoja näillä valinnoilla.",
    forbiddenClient: "Avaimesi ei anna pääsyä asiakkaaseen {client}.",
    forbiddenAdmin: "Datan laatu -sivu vaatii ylläpitäjän avaimen.",
    errorGeneric: "Palvelu vastasi: {detail}",
    sessionEnded: "Avaintasi ei enää hyväksytä; kirjaudu uudelleen.",
    chooseClient: "Näytä oma asiakkaasi",
    csv: "Lataa CSV",
    footer: "Käytössä ajo {build}.",
  },
};

const NAMES_FI = {
  retail: "Vähittäiskauppa", grocery: "Päivittäistavarakauppa", banking: "Pankit",
  insurance: "Vakuutus", telecom: "Tietoliikenne", energy: "Energia ja vesihuolto",
  b2b_services: "Yrityspalvelut", public_services: "Julkiset palvelut", healthcare: "Terveydenhuolto",
  logistics: "Logistiikka ja pakettipalvelut",
  sales: "Myynti ja osto", onboarding: "Käyttöönotto", customer_service: "Asiakaspalvelu",
  delivery: "Toimitus", billing: "Laskutus", web: "Verkkosivut ja itsepalvelu", app: "Mobiilisovellus",
  complaints: "Reklamaatiot", renewal: "Uusiminen ja jatko",
  nps: "Suositteluindeksi (NPS)", csat: "Tyytyväisyys (top-2-box)", ces: "Asioinnin helppous (CES 2.0)",
  osat: "Kokonaistyytyväisyys", cx_index: "CX-indeksi", comment: "Kommenttiosuus",
};

const LOCALES = { en: "en-GB", fi: "fi-FI" };
let language = localStorage.getItem("cxb.lang") || ((navigator.language || "").startsWith("fi") ? "fi" : "en");
if (!STRINGS[language]) language = "fi";
const formatters = new Map();

export function lang() { return language; }
export function setLang(value) {
  language = STRINGS[value] ? value : "fi";
  localStorage.setItem("cxb.lang", language);
  formatters.clear();
  document.documentElement.lang = language;
}

export function t(key, params = {}) {
  const text = STRINGS[language][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

function formatter(digits) {
  const key = `n${digits}`;
  if (!formatters.has(key)) {
    formatters.set(key, new Intl.NumberFormat(LOCALES[language], {
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    }));
  }
  return formatters.get(key);
}

/** A number for the locale (Finnish: decimal comma, narrow space grouping, real minus sign). */
export function num(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return formatter(digits).format(value);
}
export function int(value) { return num(value, 0); }
export function signed(value, digits = 1) {
  if (value === null || value === undefined) return "–";
  return (value > 0 ? "+" : "") + num(value, digits);
}

export function dateTime(iso) {
  if (!iso) return "–";
  return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: "medium", timeStyle: "short" })
    .format(new Date(iso));
}

/** 2025 → 2025; 2025-Q3 → Q3 2025; 2025-07 → Jul 2025 / heinä 2025. */
export function periodLabel(period) {
  if (!period) return "–";
  const quarter = /^(\d{4})-Q([1-4])$/.exec(period);
  if (quarter) return language === "fi" ? `${quarter[2]}. nelj. ${quarter[1]}` : `Q${quarter[2]} ${quarter[1]}`;
  const month = /^(\d{4})-(\d{2})$/.exec(period);
  if (month) {
    return new Intl.DateTimeFormat(LOCALES[language], { month: "short", year: "numeric" })
      .format(new Date(Date.UTC(+month[1], +month[2] - 1, 15)));
  }
  return period;
}

/** Industry, touchpoint and metric names: Finnish from here, English from /v1/meta. */
export function name(code, fallback) {
  if (code === "*") return "";
  if (language === "fi" && NAMES_FI[code]) return NAMES_FI[code];
  return fallback || code;
}

export function reason(code) {
  const key = `reason_${code}`;
  return STRINGS.en[key] ? t(key) : String(code);
}

export function buildStatus(status) {
  const key = `status_${status}`;
  return STRINGS.en[key] ? t(key) : String(status);
}

export function roleName(role) {
  return t({ admin: "roleAdmin", consultant: "roleConsultant", client: "roleClient" }[role] || role);
}
