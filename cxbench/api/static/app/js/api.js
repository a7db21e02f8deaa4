// The one place the pages talk to the service: /v1 JSON with the key in the Authorization
// header. The key lives in sessionStorage (this tab only, gone when it closes) — never in a
// URL, a cookie or a log line.

const KEY = "cxb.key";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

export function getKey() { return sessionStorage.getItem(KEY); }
export function setKey(key) { sessionStorage.setItem(KEY, key); }
export function forgetKey() { sessionStorage.removeItem(KEY); }

const cache = new Map();

export function clearCache() { cache.clear(); }

/** GET a /v1 path with query parameters; answers are cached for the tab's session. */
export async function get(path, params = {}, { key = getKey(), fresh = false } = {}) {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""),
  ).toString();
  const url = `/v1/${path}${query ? `?${query}` : ""}`;
  if (!fresh && cache.has(url)) return cache.get(url);
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${key}`, Accept: "application/json" },
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, (body && body.detail) || response.statusText);
  }
  if (!fresh) cache.set(url, body);
  return body;
}

/** Download a /v1 answer as CSV, through the same header (a link could not carry the key). */
export async function downloadCsv(path, params, filename) {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""),
  ).toString();
  const response = await fetch(`/v1/${path}?${query}`, {
    headers: { Authorization: `Bearer ${getKey()}`, Accept: "text/csv" },
    credentials: "omit",
  });
  if (!response.ok) throw new ApiError(response.status, response.statusText);
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
