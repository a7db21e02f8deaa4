// Hand-drawn SVG charts. Colours are the Okabe–Ito palette (safe for the common colour-vision
// deficiencies), and every mark that carries meaning also differs in shape or position.
// Each chart gets role="img" and a text label; the pages also show the numbers in a table.

import { svg } from "./dom.js";

export const COLOURS = {
  industry: "#0072B2", // blue
  client: "#D55E00",   // vermilion
  target: "#009E73",   // bluish green
  muted: "#767676",
};

/** A linear scale from [lo, hi] to [a, b], with a little padding and round ends. */
export function scale(values, a, b, { pad = 0.04, clampTo = null, ticks = 5 } = {}) {
  const finite = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const span = hi - lo;
  lo -= span * pad; hi += span * pad;
  const step = niceStep((hi - lo) / ticks);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  if (clampTo) { lo = Math.max(lo, clampTo[0]); hi = Math.min(hi, clampTo[1]); }
  const f = (v) => a + ((v - lo) / (hi - lo)) * (b - a);
  f.lo = lo; f.hi = hi; f.step = step;
  f.ticks = () => {
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step / 1e6; v += step) out.push(Math.round(v / step) * step);
    return out;
  };
  return f;
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

/** One box-and-whisker mark: p25–p75 box, median line, p10–p90 whiskers only when both exist. */
export function boxMark(x, cell, y, height, colour = COLOURS.industry) {
  const group = svg("g", { class: "boxplot" });
  const mid = y + height / 2;
  if (cell.p10 !== null && cell.p10 !== undefined && cell.p90 !== null && cell.p90 !== undefined) {
    group.append(
      svg("line", { class: "whisker", x1: x(cell.p10), x2: x(cell.p25), y1: mid, y2: mid, stroke: colour }),
      svg("line", { class: "whisker", x1: x(cell.p75), x2: x(cell.p90), y1: mid, y2: mid, stroke: colour }),
      svg("line", { class: "whisker-cap", x1: x(cell.p10), x2: x(cell.p10), y1: y + height * 0.25, y2: y + height * 0.75, stroke: colour }),
      svg("line", { class: "whisker-cap", x1: x(cell.p90), x2: x(cell.p90), y1: y + height * 0.25, y2: y + height * 0.75, stroke: colour }),
    );
  }
  group.append(
    svg("rect", {
      class: "box", x: x(cell.p25), y, width: Math.max(1.5, x(cell.p75) - x(cell.p25)), height,
      fill: colour, "fill-opacity": 0.22, stroke: colour,
    }),
    svg("line", { class: "median", x1: x(cell.median), x2: x(cell.median), y1: y, y2: y + height, stroke: colour, "stroke-width": 2.5 }),
  );
  return group;
}

/** The client's value (a diamond) with its 95 % interval (a line with caps). */
export function intervalMark(x, value, low, high, y, height, colour = COLOURS.client) {
  const mid = y + height / 2;
  const group = svg("g", { class: "interval" });
  if (low !== null && high !== null && low !== undefined && high !== undefined) {
    group.append(
      svg("line", { class: "ci", x1: x(low), x2: x(high), y1: mid, y2: mid, stroke: colour, "stroke-width": 2 }),
      svg("line", { x1: x(low), x2: x(low), y1: mid - 4, y2: mid + 4, stroke: colour, "stroke-width": 2 }),
      svg("line", { x1: x(high), x2: x(high), y1: mid - 4, y2: mid + 4, stroke: colour, "stroke-width": 2 }),
    );
  }
  const cx = x(value);
  group.append(svg("path", {
    class: "point", d: `M${cx},${mid - 6} L${cx + 6},${mid} L${cx},${mid + 6} L${cx - 6},${mid} Z`,
    fill: colour, stroke: "#fff", "stroke-width": 1,
  }));
  return group;
}

/** A horizontal axis with ticks, for charts laid out in table rows. */
export function axis(x, width, height, format, { sparse = false } = {}) {
  const group = svg("svg", { class: "axis", width, height, viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });
  // Sparse: the ends and zero only, for narrow charts.
  const ticks = sparse ? x.ticks().filter((v, i, all) => i === 0 || i === all.length - 1 || v === 0) : x.ticks();
  for (const tick of ticks) {
    group.append(
      svg("line", { x1: x(tick), x2: x(tick), y1: height - 6, y2: height, stroke: COLOURS.muted }),
      svg("text", { x: x(tick), y: height - 9, "text-anchor": "middle", class: "tick" }, format(tick)),
    );
  }
  return group;
}
