// Shared formatting for every reporter: capture timestamps as ISO 8601 UTC at the precision the
// capture has, durations in milliseconds, and outcome colours (only when asked for).

import type { ByteOut } from './bytes.js';

/** "1 attempt", "2 attempts". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** ISO 8601 UTC of a capture timestamp with `digits` sub-second digits (6 for µs, 9 for ns). */
let cachedSec = Number.NaN;
let cachedBase = '';

export function isoTime(sec: number, nsec: number, digits: number): string {
  // Attempts come in time order: most share their second with the one before.
  if (sec !== cachedSec) {
    cachedSec = sec;
    cachedBase = new Date(sec * 1000).toISOString().slice(0, 19);
  }
  const base = cachedBase;
  if (digits <= 0) return `${base}Z`;
  const frac = String(nsec).padStart(9, '0').slice(0, Math.min(9, digits));
  return `${base}.${frac}Z`;
}

let bytesSec = Number.NaN;
const bytesBase = Buffer.alloc(19);

/** isoTime(sec, nsec, digits) written into `o`, its digits straight from the numbers. */
export function writeIsoTime(o: ByteOut, sec: number, nsec: number, digits: number): void {
  if (sec !== bytesSec) {
    bytesSec = sec;
    bytesBase.write(new Date(sec * 1000).toISOString(), 0, 19, 'latin1');
  }
  o.bytes(bytesBase);
  o.reserve(11);
  const b = o.buf;
  let p = o.pos;
  if (digits > 0) {
    const n = Math.min(9, digits);
    b[p] = 0x2e;
    // The nine digits of nsec, zero-padded, of which the first n are kept.
    let v = Math.floor(nsec / TENS[9 - n]!);
    for (let d = n; d >= 1; d--) {
      const q = Math.floor(v / 10);
      b[p + d] = 48 + (v - q * 10);
      v = q;
    }
    p += n + 1;
  }
  b[p] = 0x5a;
  o.pos = p + 1;
}

const TENS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** ".001" .. ".999" without trailing zeros ("" for 0), by thousandths. */
const FRACTIONS: readonly string[] = Array.from({ length: 1000 }, (_, i) =>
  i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`,
);

/**
 * String(x) for a duration in milliseconds rounded to the microsecond (k / 1000), without the
 * double-to-decimal conversion: the whole part and a fraction from a table. Other numbers go
 * through String(). Below 2^43 / 1000 the decimal k / 1000 is the shortest form that reads back.
 */
export function millisText(x: number): string {
  const k = Math.round(x * 1000);
  if (!(x > 0 && k < 2 ** 43 && k / 1000 === x)) return String(x);
  const whole = Math.floor(k / 1000);
  return `${whole}${FRACTIONS[k - whole * 1000]!}`;
}

/** Milliseconds between two capture timestamps, rounded to the microsecond. */
export function millisBetween(sec1: number, nsec1: number, sec2: number, nsec2: number): number {
  const ms = (sec2 - sec1) * 1000 + (nsec2 - nsec1) / 1e6;
  return Math.round(ms * 1000) / 1000;
}

const COLOURS: Readonly<Record<string, string>> = {
  established: '32',
  refused: '31',
  rejected: '31',
  dropped: '33',
  'timed-out': '33',
  aborted: '35',
  incomplete: '2',
};

/** Wraps an outcome name in its ANSI colour when `color` is on. */
export function paintOutcome(outcome: string, color: boolean): string {
  if (!color) return outcome;
  const c = COLOURS[outcome];
  return c === undefined ? outcome : `\u001b[${c}m${outcome}\u001b[0m`;
}

/** "10.0.0.9:8080", "[2001:db8::1]:443". */
export function endpointText(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * An attempt's frame numbers as text, `sep` between them; when they span inputs, each file's own
 * after its name ("rot-1.pcap:3,4 rot-2.pcap:1"), and with `named` (several inputs) the file's name
 * in front of them also when they are all in one file.
 */
export function framesText(
  h: { file: string; frames: readonly number[]; spans?: readonly { file: string; frames: readonly number[] }[] },
  sep: string,
  named = false,
): string {
  if (h.spans === undefined) return named ? `${h.file}:${h.frames.join(sep)}` : h.frames.join(sep);
  return h.spans.map((s) => `${s.file}:${s.frames.join(sep)}`).join(' ');
}
