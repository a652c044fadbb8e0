// The flags every analysing command shares, checked and turned into one typed Options.
// Every bad value becomes a UsageError that names it.

import { UsageError } from '../errors.js';
import { STDIN_TOKEN } from './exit.js';
import { parseIp } from '../report/address.js';
import { evidenceTarget } from '../report/evidence-writer.js';
import { FORMATS, type Format } from '../report/formats.js';
import { OUTCOMES, type Listed } from '../track/attempt.js';
import {
  NET_BYTES,
  TIME_ABSOLUTE,
  TIME_OF_DAY,
  TIME_OFFSET,
  type HostNets,
  type PortSet,
  type Selection,
  type TimeSpec,
} from '../track/select.js';

export interface Options {
  readonly format: Format;
  readonly timeout: number;
  readonly only: ReadonlySet<Listed>;
  /** --host, --port, --since, --until. */
  readonly select: Selection;
  /** --vxlan-port: UDP ports decoded as VXLAN besides 4789 and 8472. */
  readonly vxlanPorts: readonly number[];
  readonly evidence: string | null;
  /** --chart: the SVG timeline's file, or null. */
  readonly chart: string | null;
  readonly failOn: ReadonlySet<Listed>;
  readonly color: boolean;
}

/** The raw values yargs hands over (strings where the user typed strings). */
export interface RawOptions {
  [key: string]: unknown;
  format?: unknown;
  timeout?: unknown;
  only?: unknown;
  host?: unknown;
  port?: unknown;
  since?: unknown;
  until?: unknown;
  'vxlan-port'?: unknown;
  evidence?: unknown;
  chart?: unknown;
  'fail-on'?: unknown;
}

/** The one string value of a flag (a repeated flag is a usage error); '-' stays '-'. */
export function single(name: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    if (v.length > 1) throw new UsageError(`--${name} was given ${v.length} times; give it once`);
    return single(name, v[0]);
  }
  if (typeof v === 'boolean') throw new UsageError(`--${name} needs a value`);
  const text = String(v);
  return text === STDIN_TOKEN ? '-' : text;
}

/**
 * "refused,dropped" (also repeated flags) → a set of outcomes, and `reset` for established
 * connections reset later; unknown names are usage errors.
 */
export function parseOutcomes(name: string, v: unknown): Set<Listed> | null {
  if (v === undefined || v === null) return null;
  const parts = (Array.isArray(v) ? v : [v])
    .flatMap((x) => String(x).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) throw new UsageError(`--${name} needs one or more of: ${OUTCOMES.join(', ')}, reset, or all`);
  const out = new Set<Listed>();
  for (const p of parts) {
    if (p === 'all') {
      for (const o of OUTCOMES) out.add(o);
      continue;
    }
    const o = p === 'reset' ? p : OUTCOMES.find((x) => x === p);
    if (o === undefined)
      throw new UsageError(`--${name}: unknown outcome '${p}' (one of: ${OUTCOMES.join(', ')}, reset, all)`);
    out.add(o);
  }
  return out;
}

export function parseOptions(raw: RawOptions, defaults: { format: Format }, color: boolean): Options {
  const f = single('format', raw.format) ?? defaults.format;
  const format = FORMATS.find((x) => x === f);
  if (format === undefined) throw new UsageError(`--format: unknown format '${f}' (one of: ${FORMATS.join(', ')})`);

  const ts = single('timeout', raw.timeout);
  let timeout = 3;
  if (ts !== undefined) {
    timeout = Number(ts);
    if (ts.trim() === '' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new UsageError(`--timeout: '${ts}' is not a positive number of seconds`);
    }
  }

  // By default the text formats list the failures, and the established connections that were reset
  // later: "connection reset by peer" is a failure for the application.
  const only =
    parseOutcomes('only', raw.only) ??
    new Set<Listed>(
      format === 'json' || format === 'ndjson' ? OUTCOMES : [...OUTCOMES.filter((o) => o !== 'established'), 'reset'],
    );
  const failOn = parseOutcomes('fail-on', raw['fail-on']) ?? new Set<Listed>();

  const since = parseTime('since', single('since', raw.since));
  const until = parseTime('until', single('until', raw.until));
  const select: Selection = { hosts: parseHosts(raw.host), ports: parsePorts(raw.port), since, until };

  const evidence = single('evidence', raw.evidence) ?? null;
  if (evidence === '') throw new UsageError(`--evidence needs a file name to write the pcap to (or - for stdout)`);

  const chart = single('chart', raw.chart) ?? null;
  if (chart === '' || chart === '-') throw new UsageError('--chart needs a file name to write the SVG timeline to');

  const vxlanPorts = listOf(raw['vxlan-port']).map((part) => {
    const n = Number(part);
    if (!/^\d{1,5}$/.test(part) || n < 1 || n > 65535)
      throw new UsageError(`--vxlan-port: '${part}' is not a UDP port number (1-65535)`);
    return n;
  });

  return { format, timeout, only, select, vxlanPorts, evidence, chart, failOn, color };
}

/** Every value of a flag given once or more, each split at commas. */
function listOf(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim());
}

/**
 * --host: addresses and networks, comma-separated or repeated: `10.0.0.9`, `10.0.0.0/8`,
 * `fd77:2::2`, `[fd77:2::2]` (as synscope prints it), `fd77::/16`, `[fd77::]/16`.
 */
export function parseHosts(v: unknown): HostNets | null {
  const parts = listOf(v);
  if (parts.length === 0) return null;
  const nets = new Uint8Array(parts.length * NET_BYTES);
  parts.forEach((text, k) => {
    const m = /^(?:\[([^\]]*)\]|([^/[\]]*))(?:\/(\d{1,3}))?$/.exec(text);
    const addr = m === null ? null : parseIp(m[1] ?? m[2] ?? '');
    const bits = m?.[3] === undefined ? (addr?.length ?? 0) * 8 : Number(m[3]);
    if (m === null || addr === null || (m[1] !== undefined && !text.includes(':')) || bits > addr.length * 8) {
      throw new UsageError(
        `--host: '${text}' is not an IPv4 or IPv6 address or network (10.0.0.9, 10.0.0.0/8, [fd77::2], fd77::/16)`,
      );
    }
    const e = k * NET_BYTES;
    nets[e] = addr.length;
    nets[e + 1] = bits;
    nets.set(addr, e + 2);
  });
  return nets;
}

/** --port: ports and ranges, comma-separated or repeated: `443`, `80,443,8000-8100`. */
export function parsePorts(v: unknown): PortSet | null {
  const parts = listOf(v);
  if (parts.length === 0) return null;
  const set = new Uint8Array(65536);
  for (const text of parts) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
    const lo = m === null ? -1 : Number(m[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (m === null || lo > 65535 || hi > 65535 || hi < lo) {
      throw new UsageError(`--port: '${text}' is not a port number (0-65535) or a range (8000-8100)`);
    }
    set.fill(1, lo, hi + 1);
  }
  return set;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds and a fraction of up to 9 digits as [seconds, nanoseconds]. */
function secNsec(whole: string, frac: string | undefined): [number, number] {
  return [Number(whole), frac === undefined ? 0 : Number(frac.padEnd(9, '0'))];
}

/**
 * --since / --until: an ISO 8601 time (`2026-11-25T12:22:00Z`, `2026-11-25 12:22:00.5`, with
 * `Z`, an offset like `+01:00`, or no zone: UTC), a time of day in UTC (`12:22`, `12:22:05.25`: on
 * the day of the capture's first packet), or an offset from the capture's first packet
 * (`+30s`, `+1m30s`, `+2h`, `+250ms`, `+90`: seconds).
 */
export function parseTime(name: string, text: string | undefined): TimeSpec | null {
  if (text === undefined) return null;
  const t = text.trim();
  const bad = (): UsageError =>
    new UsageError(
      `--${name}: '${text}' is not a time ` +
        "(2026-11-25T12:22:00Z, 12:22 or 12:22:05 UTC in the capture's day, or +30s after its first packet)",
    );
  if (t.startsWith('+')) {
    // Every part with its unit (+1m30s), or one bare number of seconds (+90).
    if (!/^\+(?:(?:\d+(?:\.\d+)?(?:ms|h|m|s))+|\d+(?:\.\d+)?)$/.test(t)) throw bad();
    let ms = 0;
    for (const m of t.slice(1).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)?/g))
      ms += Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] ?? 1) * 1000;
    const whole = Math.floor(ms / 1000);
    return { kind: TIME_OFFSET, sec: whole, nsec: Math.round((ms - whole * 1000) * 1e6) };
  }
  const tod = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(t);
  if (tod !== null) {
    const [h, m, sec] = [Number(tod[1]), Number(tod[2]), Number(tod[3] ?? 0)];
    if (h > 23 || m > 59 || sec > 59) throw bad();
    const [, nsec] = secNsec('0', tod[4]);
    return { kind: TIME_OF_DAY, sec: h * 3600 + m * 60 + sec, nsec };
  }
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      t,
    );
  if (iso === null) throw bad();
  const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 6].map((i) => Number(iso[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) throw bad();
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  if (new Date(ms).getUTCDate() !== d) throw bad(); // 2026-02-30
  let offset = 0;
  const zone = iso[8];
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 3600 + Number(z[3] ?? 0) * 60);
  }
  const [, nsec] = secNsec('0', iso[7]);
  return { kind: TIME_ABSOLUTE, sec: ms / 1000 - offset, nsec };
}

/**
 * Refuses an --evidence target before anything is read or captured (a directory, a socket, one of
 * `inputs`...) with a UsageError that names the option; true when the target is stdout (the report
 * then goes to stderr).
 */
export function evidenceToStdout(path: string, inputs: readonly string[] = []): boolean {
  let target;
  try {
    target = evidenceTarget(path, inputs);
  } catch (e) {
    throw e instanceof UsageError ? new UsageError(`--evidence ${path}: ${e.message}`) : e;
  }
  return target.kind === 'fd' && target.fd === 1;
}
