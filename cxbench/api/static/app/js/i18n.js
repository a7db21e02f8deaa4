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
    navDrivers: "Drivers", navThemes: "Themes",
    reason_too_few_pairs: "too few answers with both", reason_no_variance: "no variation",
    reason_no_benchmark: "no industry cell",
    driversTitle: "Key drivers of NPS",
    driversIntro: "{client} — {touchpoint}, {period}: how strongly each driver goes with the NPS answer (importance: correlation, with its 95 % interval) against how well the client does on it (performance, 0–100). The lines cross at the mean of the client's drivers; top left is where to act first.",
    clientImportance: "Client importance with 95 % interval", industryImportance: "Industry median importance",
    quadrantLegend: "Quadrants split at the mean of the client's drivers.",
    driversRanked: "Drivers ranked (fix first at the top)",
    matrixLabel: "Importance–performance chart of {n} drivers; the table below lists every value.",
    matrixCaption: "Lines at the mean importance {i} and mean performance {p} of the client's drivers. The industry's median importance is drawn only where its cell is published.",
    q_fix_first: "Fix first", q_keep_up: "Keep up", q_watch: "Watch", q_maintain: "Maintain", q_null: "–",
    performanceAxis: "Performance (mean answer, 0–100) →", importanceAxis: "Importance (correlation with NPS) →",
    driverPoint: "{driver}: importance {importance} ({low}–{high}), performance {performance}, {quadrant}",
    rankShort: "#", driver: "Driver", quadrant: "Quadrant", importance: "Importance",
    performance: "Performance", priority: "Priority", pairs: "Answer pairs",
    impactsTitle: "What each touchpoint is worth",
    impactsIntro: "The change in the client's overall NPS if the touchpoint reached its industry's median NPS: its share of the client's NPS answers × (industry median − its NPS). Largest first.",
    impactsLabel: "Bar list of {n} touchpoints by NPS points gained; the table below lists every value.",
    clientNps: "Client NPS", industryMedian: "Industry median", answerShare: "Answer share", impact: "Overall NPS +/−",
    themesTitle: "Comment themes",
    themesIntro: "{client} — {touchpoint}, {period}: the share of detractors' and promoters' comments raising each theme, the industry's shares where published, and the client's own comments below.",
    detractors: "Detractors", promoters: "Promoters", industryShare: "industry share (where published)",
    liftSignificant: "significant difference (detractors vs promoters)",
    themesCaption: "{client} — {touchpoint}, {period}: % of each group's comments; bars on a 0–{max} % scale",
    theme: "Theme", shareOfComments: "Share of comments", difference: "Difference",
    industryDetractors: "Industry, detractors", industryPromoters: "Industry, promoters",
    verbatimsTitle: "The client's comments", allThemes: "All themes", group: "NPS group", allGroups: "All groups",
    group_detractor: "Detractor", group_passive: "Passive", group_promoter: "Promoter", group_none: "No NPS answer",
    themeBars: "{theme}: detractors {d}, promoters {p}",
    comments: "{n} comments", noComments: "No comments for these choices.",
    commentsShown: "Comments {first}–{last} of {total}, newest first. Personal data is masked.",
    newer: "Newer", older: "Older",
    agreedTitle: "Agreed targets",
    agreedIntro: "The targets agreed for {metric} and how they are progressing: the baseline, the latest period with enough answers, the gap left, the change and whether it is significant, and the trend projected to the due period with its 95 % interval. They are set through the API or the CLI.",
    noAgreed: "No targets have been agreed for {metric}.",
    progressStatus: "Status", due: "Due", baseline: "Baseline", latestValue: "Latest",
    gapLeft: "Gap left", covered: "Way covered", projection: "Projection at due",
    st_on_track: "On track", st_at_risk: "At risk", st_off_track: "Off track", st_insufficient_data: "Insufficient data",
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
    navDrivers: "Ajurit", navThemes: "Teemat",
    reason_too_few_pairs: "liian vähän vastauspareja", reason_no_variance: "ei vaihtelua",
    reason_no_benchmark: "ei toimialasolua",
    driversTitle: "NPS:n keskeiset ajurit",
    driversIntro: "{client} — {touchpoint}, {period}: kuinka vahvasti kukin ajuri kulkee suositteluvastauksen kanssa (tärkeys: korrelaatio ja sen 95 %:n väli) suhteessa siihen, kuinka hyvin asiakas siinä onnistuu (suoritus, 0–100). Viivat kulkevat asiakkaan ajurien keskiarvon kohdalla; vasen yläkulma korjataan ensin.",
    clientImportance: "Asiakkaan tärkeys ja 95 %:n väli", industryImportance: "Toimialan tärkeyden mediaani",
    quadrantLegend: "Nelikentän rajat: asiakkaan ajurien keskiarvo.",
    driversRanked: "Ajurit järjestyksessä (korjattavat ensin)",
    matrixLabel: "Tärkeys–suoritus-kaavio {n} ajurista; alla oleva taulukko listaa kaikki arvot.",
    matrixCaption: "Viivat asiakkaan ajurien keskimääräisen tärkeyden {i} ja suorituksen {p} kohdalla. Toimialan tärkeyden mediaani piirretään vain, kun sen solu on julkaistu.",
    q_fix_first: "Korjaa ensin", q_keep_up: "Pidä yllä", q_watch: "Seuraa", q_maintain: "Ylläpidä", q_null: "–",
    performanceAxis: "Suoritus (vastausten keskiarvo, 0–100) →", importanceAxis: "Tärkeys (korrelaatio NPS:n kanssa) →",
    driverPoint: "{driver}: tärkeys {importance} ({low}–{high}), suoritus {performance}, {quadrant}",
    rankShort: "#", driver: "Ajuri", quadrant: "Nelikenttä", importance: "Tärkeys",
    performance: "Suoritus", priority: "Prioriteetti", pairs: "Vastauspareja",
    impactsTitle: "Mitä kukin kohtaamispiste on arvoinen",
    impactsIntro: "Asiakkaan kokonais-NPS:n muutos, jos kohtaamispiste yltäisi toimialansa NPS-mediaaniin: sen osuus asiakkaan NPS-vastauksista × (toimialan mediaani − sen NPS). Suurin ensin.",
    impactsLabel: "Palkkilista {n} kohtaamispisteestä saatavien NPS-pisteiden mukaan; alla oleva taulukko listaa kaikki arvot.",
    clientNps: "Asiakkaan NPS", industryMedian: "Toimialan mediaani", answerShare: "Vastausosuus", impact: "Kokonais-NPS +/−",
    themesTitle: "Kommenttien teemat",
    themesIntro: "{client} — {touchpoint}, {period}: kuinka suuri osa arvostelijoiden ja suosittelijoiden kommenteista mainitsee kunkin teeman, toimialan osuudet kun julkaistu, ja alla asiakkaan omat kommentit.",
    detractors: "Arvostelijat", promoters: "Suosittelijat", industryShare: "toimialan osuus (kun julkaistu)",
    liftSignificant: "merkitsevä ero (arvostelijat vs suosittelijat)",
    themesCaption: "{client} — {touchpoint}, {period}: % ryhmän kommenteista; palkit asteikolla 0–{max} %",
    theme: "Teema", shareOfComments: "Osuus kommenteista", difference: "Ero",
    industryDetractors: "Toimiala, arvostelijat", industryPromoters: "Toimiala, suosittelijat",
    verbatimsTitle: "Asiakkaan kommentit", allThemes: "Kaikki teemat", group: "NPS-ryhmä", allGroups: "Kaikki ryhmät",
    group_detractor: "Arvostelija", group_passive: "Passiivinen", group_promoter: "Suosittelija", group_none: "Ei NPS-vastausta",
    themeBars: "{theme}: arvostelijat {d}, suosittelijat {p}",
    comments: "{n} kommenttia", noComments: "Ei kommentteja näillä valinnoilla.",
    commentsShown: "Kommentit {first}–{last}/{total}, uusin ensin. Henkilötiedot on peitetty.",
    newer: "Uudemmat", older: "Vanhemmat",
    agreedTitle: "Sovitut tavoitteet",
    agreedIntro: "Mittarille {metric} sovitut tavoitteet ja niiden eteneminen: lähtötaso, viimeisin jakso, jolla on riittävästi vastauksia, jäljellä oleva ero, muutos ja sen merkitsevyys sekä trendin ennuste eräpäivän jaksolle 95 %:n väleineen. Tavoitteet asetetaan API:n tai komentorivin kautta.",
    noAgreed: "Mittarille {metric} ei ole sovittu tavoitteita.",
    progressStatus: "Tila", due: "Erääntyy", baseline: "Lähtötaso", latestValue: "Viimeisin",
    gapLeft: "Ero jäljellä", covered: "Matkasta kuljettu", projection: "Ennuste eräpäivänä",
    st_on_track: "Aikataulussa", st_at_risk: "Vaarassa", st_off_track: "Jäljessä", st_insufficient_data: "Liian vähän tietoa",
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
  css: "Asiakaspalvelutyytyväisyys", cxi_relationship: "Suhteen laatu", cxi_value: "Saatu liiketoiminta-arvo",
  cxi_expertise: "Asiantuntemus", cxi_development: "Halu kehittää",
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
