// The flags every analysing command shares, checked and turned into one typed Options.
// Every bad value becomes a UsageError that names it.

import { UsageError } from '../errors.js';
import { STDIN_TOKEN } from './exit.js';
import { parseIp } from '../report/address.js';
import { FORMATS, type Format } from '../report/formats.js';
import { OUTCOMES, type Outcome } from '../track/attempt.js';


export interface Options {
  readonly format: Format;
  readonly timeout: number;
  readonly only: ReadonlySet<Outcome>;
  readonly host: Buffer | null;
  readonly hostText: string | null;
  readonly port: number;
  readonly evidence: string | null;
  readonly failOn: ReadonlySet<Outcome>;
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
  evidence?: unknown;
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

/** "refused,dropped" (also repeated flags) → a set of outcomes; unknown names are usage errors. */
export function parseOutcomes(name: string, v: unknown): Set<Outcome> | null {
  if (v === undefined || v === null) return null;
  const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new UsageError(`--${name} needs one or more of: ${OUTCOMES.join(', ')}, or all`);
  const out = new Set<Outcome>();
  for (const p of parts) {
    if (p === 'all') {
      for (const o of OUTCOMES) out.add(o);
      continue;
    }
    const o = OUTCOMES.find((x) => x === p);
    if (o === undefined) throw new UsageError(`--${name}: unknown outcome '${p}' (one of: ${OUTCOMES.join(', ')}, all)`);
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

  const only = parseOutcomes('only', raw.only)
    ?? new Set<Outcome>(format === 'json' || format === 'ndjson' ? OUTCOMES : OUTCOMES.filter((o) => o !== 'established'));
  const failOn = parseOutcomes('fail-on', raw['fail-on']) ?? new Set<Outcome>();

  const hostText = single('host', raw.host) ?? null;
  let host: Buffer | null = null;
  if (hostText !== null) {
    host = parseIp(hostText);
    if (host === null) throw new UsageError(`--host: '${hostText}' is not an IPv4 or IPv6 address`);
  }

  const ps = single('port', raw.port);
  let port = -1;
  if (ps !== undefined) {
    port = Number(ps);
    if (!/^\d+$/.test(ps.trim()) || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port: '${ps}' is not a port number (0-65535)`);
    }
  }

  const evidence = single('evidence', raw.evidence) ?? null;
  if (evidence === '') throw new UsageError(`--evidence needs a file name to write the pcap to (or - for stdout)`);

  return { format, timeout, only, host, hostText, port, evidence, failOn, color };
}
