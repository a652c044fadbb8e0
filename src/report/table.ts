// `--format table`, the default for `read`: what was read, the totals per outcome, the services,
// then the listed handshakes, each failure with its diagnosis underneath; a headline first, and no
// line wider than the terminal (fit.ts).

import { OUTCOMES, type SettledAttempt } from '../track/attempt.js';
import type { HandshakeContext } from './context.js';
import type { LatencyJson, PercentilesJson } from './latency.js';
import { tunnelText, type HandshakeJson } from './record.js';
import { captureLossText, captureLossWarning, type Reporter, type RunReport, type Sink } from './reporter.js';
import { wireLossText } from './findings.js';
import { failures, type ResetsJson } from './summary.js';
import { endpointText, paintOutcome } from './text.js';
import { fitTable, wrap } from './fit.js';
import { headline } from './headline.js';

/** Rows of handshakes shown; the rest are counted (json / ndjson / lines list them all). */
export const TABLE_MAX_ROWS = 200;
/** Services shown. */
export const TABLE_MAX_SERVICES = 30;
/** Diagnoses written under the table. */
const MAX_DIAGNOSES = 10;

const ERRNO_OF: Readonly<Record<string, string>> = {
  established: '',
  refused: 'ECONNREFUSED',
  rejected: 'per ICMP',
  dropped: 'ETIMEDOUT',
  'timed-out': 'ETIMEDOUT',
  aborted: '',
  incomplete: '',
};

/** Service columns for established connections reset later, shown when any was. */
export const RESET_COLUMNS: readonly { key: keyof ResetsJson; head: string }[] = [
  { key: 'byClient', head: 'reset by client' },
  { key: 'byServer', head: 'reset by server' },
];

/** Service columns for connect latency: SYN → SYN/ACK, first SYN → connected, retransmitted connects. */
export const LATENCY_HEADS = ['SYN/ACK ms p50/p95/max', 'connect ms p50/p95/max', 'retransmitted'];

/** "0.031/0.04/0.052" */
export function percentilesText(p: PercentilesJson): string {
  return p.count === 0 ? '' : `${p.p50}/${p.p95}/${p.max}`;
}

function latencyCells(l: LatencyJson | undefined): string[] {
  if (l === undefined) return ['', '', ''];
  return [percentilesText(l.synAckMs), percentilesText(l.connectMs), String(l.retransmitted)];
}

/** "rst +0.035ms", "icmp 3/13 10.77.0.1 +0.015ms" (the sender named when it is not the server), "none". */
export function answerText(h: HandshakeJson): string {
  const a = h.answer;
  if (a === null) return 'none';
  const what = a.kind === 'icmp' ? `icmp ${a.icmpType}/${a.icmpCode}` : a.kind;
  return `${what}${a.from === h.server.ip ? '' : ` ${a.from}`} +${a.afterMs}ms`;
}

/** "27,40-44": runs of three or more as ranges; past 6 groups the middle is counted ("1,3,5,…9 more…,40-44"). */
export function framesCompact(frames: readonly number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < frames.length;) {
    let j = i;
    while (j + 1 < frames.length && frames[j + 1] === frames[j]! + 1) j++;
    if (j - i >= 2) groups.push(`${frames[i]}-${frames[j]}`);
    else for (let k = i; k <= j; k++) groups.push(String(frames[k]));
    i = j + 1;
  }
  if (groups.length <= 6) return groups.join(',');
  return `${groups.slice(0, 3).join(',')},…${groups.length - 5} more…,${groups.slice(-2).join(',')}`;
}

/** The frames cell: each file's own after its name when they span inputs (or `named`, several inputs). */
function framesCell(h: HandshakeJson, named: boolean): string {
  if (h.spans === undefined) return named ? `${h.file}:${framesCompact(h.frames)}` : framesCompact(h.frames);
  return h.spans.map((s) => `${s.file}:${framesCompact(s.frames)}`).join(' ');
}

/** "12:23:43.464" when all start on `day` (YYYY-MM-DD), else "2026-11-25T12:23:43.464". */
function startText(start: string, day: string | null): string {
  const ms = start.replace(/(\.[0-9]{3})[0-9]*Z$/, '$1').replace(/Z$/, '');
  return day === null ? ms : ms.slice(11);
}

export class TableReporter implements Reporter {
  private readonly out: Sink;
  private readonly color: boolean;
  /** Several inputs: every frame list names its file. */
  private readonly several: boolean;
  /** No line is wider than this. */
  private readonly width: number;
  private readonly rows: HandshakeJson[] = [];
  private listed = 0;

  constructor(out: Sink, color: boolean, several = false, width = 80) {
    this.out = out;
    this.color = color;
    this.several = several;
    this.width = width;
  }

  handshake(a: SettledAttempt, c: HandshakeContext): void {
    this.listed++;
    // Only the rows shown become records; the rest are counted.
    if (this.rows.length < TABLE_MAX_ROWS) this.rows.push(c.record(a));
  }

  /** A paragraph, wrapped; its lines after the first indented by two. */
  private say(text: string): void {
    this.out(`${wrap(text, this.width, 2).join('\n')}\n`);
  }

  private table(head: readonly string[], rows: readonly (readonly string[])[]): void {
    this.out(`${fitTable(head, rows, this.width).join('\n')}\n`);
  }

  finish(run: RunReport): void {
    const o = this.out;
    const color = this.color;
    const width = this.width;
    this.say(headline(run, width));
    o('\n');
    for (const c of run.captures) {
      const kind = `${c.format}${c.gzip ? ' (gzip)' : ''}`;
      let line = `${c.file}: ${kind}, ${c.linkTypes.join('/') || 'no interfaces'}, ${c.packets} packets`;
      if (c.first !== null) line += `, ${c.first} to ${c.last}`;
      if (c.unknownLinkPackets > 0) line += `, ${c.unknownLinkPackets} of an unknown link type skipped`;
      if (c.badPackets > 0) line += `, ${c.badPackets} damaged packets skipped`;
      const loss = captureLossText(c);
      if (loss !== null) line += `; ${loss}`;
      this.say(line);
      const warning = captureLossWarning(c);
      if (warning !== null) this.say(`warning: ${warning}`);
      if (c.error !== null) this.say(`reading stopped: ${c.error}`);
    }

    const t = run.summary.totals;
    const sum: string[][] = [];
    const resets = run.summary.resets;
    for (const k of OUTCOMES) {
      if (t[k] === 0) continue;
      sum.push([paintOutcome(k, color), String(t[k]), ERRNO_OF[k] ?? '']);
      // Established, then reset: "connection reset by peer" for the other side's application.
      if (k === 'established' && resets.byClient > 0)
        sum.push(['  reset by client', String(resets.byClient), 'ECONNRESET']);
      if (k === 'established' && resets.byServer > 0)
        sum.push(['  reset by server', String(resets.byServer), 'ECONNRESET']);
    }
    sum.push(['total', String(t.attempts), '']);
    o('\n');
    this.table(['outcome', 'attempts', 'errno'], sum);
    const wire = wireLossText(run.captureLoss);
    if (wire !== null) this.say(wire);
    if (run.tracker.evicted > 0) {
      this.say(`${run.tracker.evicted} attempts were settled early: more were open at once than the table holds.`);
    }

    const services = run.summary.serviceList();
    if (services.length > 0) {
      const present = OUTCOMES.filter((k) => t[k] > 0);
      const resetCols = RESET_COLUMNS.filter((c) => resets[c.key] > 0);
      const shown = services.slice(0, TABLE_MAX_SERVICES);
      const latency = shown.some((s) => s.latency !== undefined) ? LATENCY_HEADS : [];
      const rows = shown.map((s) => [
        s.server.port === null ? `${s.server.ip} (${s.ports} ports)` : endpointText(s.server.ip, s.server.port),
        String(s.attempts),
        ...present.map((k) => String(s[k] ?? '')),
        ...resetCols.map((c) => String(s.resets?.[c.key] || '')),
        ...(latency.length === 0 ? [] : latencyCells(s.latency)),
      ]);
      o('\nservices\n');
      this.table(['server', 'attempts', ...present, ...resetCols.map((c) => c.head), ...latency], rows);
      if (services.length > TABLE_MAX_SERVICES) o(`... and ${services.length - TABLE_MAX_SERVICES} more services\n`);
      const failing = services.filter((s) => failures(s) > 0).length;
      if (failing === 0) o('no failing service\n');
    }
    if (run.findings.length > 0) o('\n');
    for (const f of run.findings) this.say(`finding: ${f.text}`);

    const onlyAll = OUTCOMES.every((k) => run.only.has(k));
    let which = onlyAll ? 'handshakes' : `handshakes (${[...run.only].join(', ')})`;
    if (this.rows.length === 0) {
      o('\n');
      this.say(`no ${which} to list`);
    } else {
      // Time of day when every listed attempt started on one (UTC) day, which is then said once.
      const day = this.rows[0]!.start.slice(0, 10);
      const oneDay = this.rows.every((h) => h.start.startsWith(day));
      if (oneDay) which += `, ${day} UTC`;
      // A tunnel column only when some listed handshake was carried in one.
      const tunnels = this.rows.some((h) => h.tunnel !== undefined);
      const rows = this.rows.map((h) => {
        let outcome = paintOutcome(h.outcome, color);
        if (h.errno !== null) outcome += ` ${h.errno}`;
        if (h.resetBy !== undefined) outcome += ` (reset by ${h.resetBy})`;
        if (h.doubt !== undefined) outcome += ` (doubt: ${h.doubt})`;
        const row = [
          startText(h.start, oneDay ? day : null),
          `${endpointText(h.client.ip, h.client.port)} > ${endpointText(h.server.ip, h.server.port)}`,
          outcome,
          String(h.synCount),
          answerText(h),
          framesCell(h, this.several),
        ];
        if (tunnels) row.push(h.tunnel === undefined ? '' : tunnelText(h.tunnel));
        return row;
      });
      o('\n');
      this.say(which);
      this.table(
        ['start', 'client > server', 'outcome', 'syns', 'answer', 'frames', ...(tunnels ? ['tunnel'] : [])],
        rows,
      );
      if (this.listed > this.rows.length) {
        this.say(`... and ${this.listed - this.rows.length} more (use --format lines, json or ndjson for all)`);
      }
      const shown = new Set<string>();
      let n = 0;
      for (const h of this.rows) {
        if (h.outcome === 'established' && h.resetBy === undefined) continue;
        const key = `${h.outcome} ${h.server.ip} ${h.server.port} ${h.answer?.from ?? ''}`;
        if (shown.has(key)) continue;
        shown.add(key);
        if (n++ === MAX_DIAGNOSES) break;
        o('\n');
        this.say(`${paintOutcome(h.outcome, color)} ${endpointText(h.server.ip, h.server.port)}: ${h.diagnosis}`);
      }
    }
    if (run.evidence !== null) {
      o('\n');
      this.say(`evidence: ${run.evidence.packets} packets written to ${run.evidence.file}`);
    }
  }
}
