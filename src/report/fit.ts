// Text that fits a terminal width: paragraphs wrapped on word boundaries (a number stays with its
// unit, a '>' with the address after it, a `command` stays whole when it fits) and tables whose
// columns wrap, or split into several tables that repeat the first column, so that no line is wider
// than asked.

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Columns a string takes on the terminal (ANSI colours take none). */
export function visibleLength(s: string): number {
  return s.includes('\u001b') ? s.replace(ANSI, '').length : s.length;
}

const NUMBER = /^[+-]?[0-9]+(?:[.,][0-9]+)?$/;

function ticks(w: string): number {
  let n = 0;
  for (const c of w) if (c === '`') n++;
  return n;
}

/** The words of `text`: a number glued to the word after it ("0.009 ms"), a `...` span kept as one. */
function tokens(text: string, width: number): string[] {
  const raw = text.split(' ').filter((w) => w !== '');
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    let w = raw[i]!;
    if (ticks(w) % 2 === 1) {
      // A command in backticks: whole when it fits on a line.
      let j = i + 1;
      let span = w;
      while (j < raw.length && ticks(raw[j - 1]!) % 2 === (j - 1 === i ? 1 : 0)) span += ` ${raw[j++]!}`;
      if (ticks(span) % 2 === 0 && visibleLength(span) <= width) {
        out.push(span);
        i = j - 1;
        continue;
      }
    }
    // "0.009 ms", "6 SYNs", "> 10.0.0.1:80": never parted.
    if ((NUMBER.test(w) || w === '>') && i + 1 < raw.length) w += ` ${raw[++i]!}`;
    out.push(w);
  }
  return out;
}

/** Cuts a word wider than `width`: after a ',', ':' or '/' when one is near, else anywhere. */
function cut(word: string, width: number): string[] {
  const parts: string[] = [];
  let w = word;
  while (visibleLength(w) > width) {
    let at = -1;
    for (let k = width - 1; k >= Math.floor(width / 2); k--) {
      const c = w[k];
      if (c === ',' || c === ':' || c === '/') {
        at = k + 1;
        break;
      }
    }
    if (at <= 0) at = width;
    parts.push(w.slice(0, at));
    w = w.slice(at);
  }
  parts.push(w);
  return parts;
}

/**
 * `text` as lines at most `width` wide, broken between words; the lines after the first start with
 * `indent` spaces. Explicit newlines in `text` are kept.
 */
export function wrap(text: string, width: number, indent = 0): string[] {
  const out: string[] = [];
  const pad = ' '.repeat(indent);
  for (const para of text.split('\n')) {
    // Leading spaces are kept ("  reset by client" under "established").
    let line = (out.length === 0 ? '' : pad) + /^ */.exec(para)![0];
    let start = line.length;
    for (const t of tokens(para, width - indent)) {
      for (const piece of cut(t, Math.max(1, width - indent))) {
        const len = visibleLength(line);
        if (len > start && len + 1 + visibleLength(piece) > width) {
          out.push(line);
          line = pad;
          start = indent;
        }
        line += visibleLength(line) > start ? ` ${piece}` : piece;
      }
    }
    out.push(line);
  }
  return out;
}

/** Columns between two cells. */
const GAP = 2;

function naturalWidth(cells: readonly string[]): number {
  let w = 0;
  for (const c of cells) for (const l of c.split('\n')) w = Math.max(w, visibleLength(l));
  return w;
}

function minimumWidth(cells: readonly string[], width: number): number {
  let w = 1;
  for (const c of cells) for (const t of tokens(c.replace(/\n/g, ' '), width)) w = Math.max(w, visibleLength(t));
  return w;
}

/** The widths that fit `width`: natural ones when they do, else the widest shrunk towards their minimum. */
function columnWidths(cols: readonly string[][], width: number): number[] | null {
  const nat = cols.map((c) => naturalWidth(c));
  const min = cols.map((c) => Math.min(naturalWidth(c), minimumWidth(c, width)));
  const gaps = GAP * (cols.length - 1);
  if (min.reduce((a, b) => a + b, 0) + gaps > width) return null;
  const w = nat.slice();
  let over = w.reduce((a, b) => a + b, 0) + gaps - width;
  while (over > 0) {
    // Take one column from the column with the most room above its minimum, relative to its width.
    let best = -1;
    for (let i = 0; i < w.length; i++) {
      if (w[i]! <= min[i]!) continue;
      if (best < 0 || w[i]! - min[i]! > w[best]! - min[best]!) best = i;
    }
    if (best < 0) return null;
    w[best]!--;
    over--;
  }
  return w;
}

function render(head: readonly string[], rows: readonly (readonly string[])[], widths: readonly number[]): string[] {
  const out: string[] = [];
  const line = (cells: readonly string[]): void => {
    const wrapped = cells.map((c, i) => wrap(c, widths[i]!));
    const height = Math.max(...wrapped.map((l) => l.length));
    for (let r = 0; r < height; r++) {
      let s = '';
      for (let i = 0; i < cells.length; i++) {
        const text = wrapped[i]![r] ?? '';
        s += i === cells.length - 1 ? text : text + ' '.repeat(widths[i]! - visibleLength(text) + GAP);
      }
      out.push(s.trimEnd());
    }
  };
  line(head);
  out.push(widths.map((w) => '-'.repeat(w)).join(' '.repeat(GAP)));
  for (const r of rows) line(r);
  return out;
}

/**
 * A table of `head` and `rows` in lines at most `width` wide: cells wrap between words; when the
 * columns cannot all fit even wrapped, the table is cut into several, each repeating the first column
 * (the later ones without the rows that are empty in them).
 */
export function fitTable(head: readonly string[], rows: readonly (readonly string[])[], width: number): string[] {
  const col = (i: number): string[] => [head[i]!, ...rows.map((r) => r[i] ?? '')];
  const all = head.map((_, i) => col(i));
  const widths = columnWidths(all, width);
  if (widths !== null) return render(head, rows, widths);
  // Several tables: the first column, then as many of the others as fit.
  const out: string[] = [];
  let i = 1;
  while (i < head.length) {
    let j = i + 1;
    while (j < head.length && columnWidths([all[0]!, ...all.slice(i, j + 1)], width) !== null) j++;
    const pick = [0, ...Array.from({ length: j - i }, (_, k) => i + k)];
    // After the first table, rows with nothing in these columns are left out.
    const kept = rows.filter((r) => i === 1 || pick.some((k) => k > 0 && (r[k] ?? '') !== ''));
    const sub = pick.map((k) => [head[k]!, ...kept.map((r) => r[k] ?? '')]);
    // One column that cannot fit beside the first even alone: its words are cut.
    const w = columnWidths(sub, width) ?? forced(sub, width);
    if (out.length > 0) out.push('');
    out.push(
      ...render(
        pick.map((k) => head[k]!),
        kept.map((r) => pick.map((k) => r[k] ?? '')),
        w,
      ),
    );
    i = j;
  }
  return out;
}

/** Widths for columns too wide even at their minimum: shared out, words cut. */
function forced(cols: readonly string[][], width: number): number[] {
  const room = Math.max(cols.length, width - GAP * (cols.length - 1));
  const nat = cols.map((c) => naturalWidth(c));
  const total = nat.reduce((a, b) => a + b, 0);
  const w = nat.map((n) => Math.max(1, Math.floor((n * room) / total)));
  return w;
}
