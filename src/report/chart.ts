// `--chart FILE.svg`: the timeline picture of a ticket, written by hand as SVG (no dependency, no
// browser needed to make it): stacked bars of attempts per time bucket by outcome for the failing
// services, a time axis in UTC, a count axis and a legend. At most BUCKETS bars of SERIES.length
// parts: the file stays small whatever the capture.

import { SERIES, type TimelineJson } from './timeline.js';
import { plural } from './text.js';

/** Colours told apart also by most colour-blind readers (Okabe and Ito's palette). */
const COLOURS: Readonly<Record<(typeof SERIES)[number], string>> = {
  established: '#009E73',
  reset: '#56B4E9',
  refused: '#E69F00',
  rejected: '#CC79A7',
  dropped: '#D55E00',
  'timed-out': '#0072B2',
  aborted: '#999999',
  incomplete: '#F0E442',
};
const LABELS: Readonly<Record<(typeof SERIES)[number], string>> = {
  established: 'established',
  reset: 'established, then reset',
  refused: 'refused',
  rejected: 'rejected',
  dropped: 'dropped',
  'timed-out': 'timed-out',
  aborted: 'aborted',
  incomplete: 'incomplete',
};

/** Characters of service names the title line holds at 15 px. */
const TITLE_CHARS = 70;
/** Fewest buckets on the time axis: a capture of two seconds gets no two giant bars. */
const MIN_BARS = 12;
const W = 1000;
const H = 420;
const LEFT = 64;
const RIGHT = W - 240;
const TOP = 56;
const BOTTOM = H - 64;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round step (1, 2 or 5 × 10^k, at least 1) that cuts 0..max into about `parts` parts. */
function niceStep(max: number, parts: number): number {
  const raw = Math.max(1, max / parts);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** "12:22:33" (UTC) of a time in seconds. */
function clock(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(11, 19);
}

/** "1 s", "2 min 8 s", "1 h 4 min": a bucket's width. */
export function widthText(sec: number): string {
  if (sec < 60) return `${sec} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min${sec % 60 === 0 ? '' : ` ${sec % 60} s`}`;
  const m = Math.floor((sec % 3600) / 60);
  return `${Math.floor(sec / 3600)} h${m === 0 ? '' : ` ${m} min`}`;
}

/**
 * The SVG document. `services` names the failing services (for the title); each bar part carries
 * its series and count as data attributes and a tooltip.
 */
export function chartSvg(t: TimelineJson, services: readonly string[], source: string): string {
  const used = t.counts[0]?.length ?? 0;
  // A short capture still gets a time axis of MIN_BARS buckets (empty ones after its last).
  const n = used === 0 ? 0 : Math.max(used, MIN_BARS);
  const totals = new Array<number>(n).fill(0);
  for (const row of t.counts) row.forEach((c, b) => (totals[b]! += c));
  const max = Math.max(0, ...totals);
  const step = niceStep(max, 5);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const y = (v: number): number => BOTTOM - ((BOTTOM - TOP) * v) / top;
  const bw = n === 0 ? 0 : (RIGHT - LEFT) / n;
  const gap = bw > 4 ? 1 : 0;
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"` +
      ` font-family="sans-serif" font-size="12">`,
  );
  o.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  // As many names as fit on the title line (about TITLE_CHARS characters).
  let shown = 0;
  let width = 0;
  while (shown < services.length && (shown === 0 || width + services[shown]!.length + 2 < TITLE_CHARS))
    width += services[shown++]!.length + 2;
  const named =
    shown === services.length
      ? services.join(', ')
      : `${services.slice(0, shown).join(', ')} and ${services.length - shown} more`;
  o.push(
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">` +
      esc(
        services.length === 0
          ? 'TCP handshakes: no failing service'
          : `TCP handshakes by outcome, failing services: ${named}`,
      ) +
      '</text>',
  );
  o.push(
    `<text x="${LEFT}" y="40" fill="#444444">` +
      esc(
        `${source}; attempts per ${widthText(t.widthSec)}, by the time of their first SYN` +
          (t.servicesLeftOut > 0
            ? `; established attempts of ${plural(t.servicesLeftOut, 'service')} not counted`
            : ''),
      ) +
      '</text>',
  );

  // Count axis: grid lines and labels.
  for (let v = 0; v <= top; v += step) {
    const yy = y(v).toFixed(1);
    o.push(`<line x1="${LEFT}" y1="${yy}" x2="${RIGHT}" y2="${yy}" stroke="${v === 0 ? '#000000' : '#dddddd'}"/>`);
    o.push(`<text x="${LEFT - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${v}</text>`);
  }
  o.push(
    `<text transform="translate(16 ${(TOP + BOTTOM) / 2}) rotate(-90)"` +
      ` text-anchor="middle">${esc(`attempts per ${widthText(t.widthSec)}`)}</text>`,
  );

  // Bars, bottom to top in SERIES order.
  for (let b = 0; b < used; b++) {
    let base = 0;
    const x = (LEFT + b * bw + gap / 2).toFixed(1);
    const from = t.startSec + b * t.widthSec;
    for (let s = 0; s < SERIES.length; s++) {
      const c = t.counts[s]![b]!;
      if (c === 0) continue;
      const name = SERIES[s]!;
      const y1 = y(base + c);
      o.push(
        `<rect x="${x}" y="${y1.toFixed(1)}" width="${Math.max(0.5, bw - gap).toFixed(1)}"` +
          ` height="${(y(base) - y1).toFixed(1)}" fill="${COLOURS[name]}"` +
          ` data-series="${name}" data-bucket="${b}" data-count="${c}"><title>${clock(from)} to` +
          ` ${clock(from + t.widthSec)} UTC: ${c} ${LABELS[name]}</title></rect>`,
      );
      base += c;
    }
  }

  // Time axis: a label every few buckets, the date under the first.
  o.push(`<line x1="${LEFT}" y1="${BOTTOM}" x2="${LEFT}" y2="${TOP}" stroke="#000000"/>`);
  const every = Math.max(1, Math.ceil(n / 6));
  for (let b = 0; b <= n; b += every) {
    const x = (LEFT + b * bw).toFixed(1);
    o.push(`<line x1="${x}" y1="${BOTTOM}" x2="${x}" y2="${BOTTOM + 5}" stroke="#000000"/>`);
    o.push(`<text x="${x}" y="${BOTTOM + 18}" text-anchor="middle">${clock(t.startSec + b * t.widthSec)}</text>`);
  }
  const day = new Date(t.startSec * 1000).toISOString().slice(0, 10);
  o.push(
    `<text x="${(LEFT + RIGHT) / 2}" y="${BOTTOM + 40}"` +
      ` text-anchor="middle">${esc(`time of the first SYN (UTC, ${day})`)}</text>`,
  );
  if (n === 0)
    o.push(
      `<text x="${(LEFT + RIGHT) / 2}" y="${(TOP + BOTTOM) / 2}" text-anchor="middle" fill="#444444">no attempt of` +
        ` a failing service</text>`,
    );

  // Legend: the series present, with their totals.
  let ly = TOP + 4;
  for (let s = SERIES.length - 1; s >= 0; s--) {
    const total = t.counts[s]!.reduce((a, c) => a + c, 0);
    if (total === 0) continue;
    const name = SERIES[s]!;
    o.push(`<rect x="${RIGHT + 16}" y="${ly}" width="14" height="14" fill="${COLOURS[name]}"/>`);
    o.push(`<text x="${RIGHT + 36}" y="${ly + 11}">${esc(`${LABELS[name]} (${total})`)}</text>`);
    ly += 22;
  }
  o.push('</svg>\n');
  return o.join('\n');
}
