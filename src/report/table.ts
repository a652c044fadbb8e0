// `--format table`, the default for `read`: what was read, the totals per outcome, the services,
// then the listed handshakes (cli-table3), each failure with its diagnosis underneath.

import Table from 'cli-table3';
import { OUTCOMES } from '../track/attempt.js';
import type { LatencyJson, PercentilesJson } from './latency.js';
import { tunnelText, type HandshakeJson } from './record.js';
import { captureLossText, captureLossWarning, type Reporter, type RunReport, type Sink } from './reporter.js';
import { wireLossText } from './findings.js';
import { failures, type ResetsJson } from './summary.js';
import { endpointText, framesText, paintOutcome } from './text.js';

/** Rows of handshakes shown; the rest are counted (json / ndjson / lines list them all). */
export const TABLE_MAX_ROWS = 200;
/** Services shown. */
export const TABLE_MAX_SERVICES = 30;
/** Diagnoses written under the table. */
const MAX_DIAGNOSES = 10;

const ERRNO_OF: Readonly<Record<string, string>> = {
  established: '', refused: 'ECONNREFUSED', rejected: 'per ICMP', dropped: 'ETIMEDOUT', 'timed-out': 'ETIMEDOUT',
  aborted: '', incomplete: '',
};

/** Service columns for established connections reset later, shown when any was. */
export const RESET_COLUMNS: readonly { key: keyof ResetsJson; head: string }[] = [
  { key: 'byClient', head: 'reset by client' }, { key: 'byServer', head: 'reset by server' },
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

/** Compact tables: a rule under the header only, as `column -t` readers expect. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function plainStyle(color: boolean): { head: string[]; border: string[] } {
  return color ? { head: ['bold'], border: [] } : { head: [], border: [] };
}

function answerText(h: HandshakeJson): string {
  const a = h.answer;
  if (a === null) return 'none';
  const what = a.kind === 'icmp' ? `icmp ${a.icmpType}/${a.icmpCode}` : a.kind;
  return `${what} from ${a.from} +${a.afterMs} ms`;
}

export class TableReporter implements Reporter {
  private readonly out: Sink;
  private readonly color: boolean;
  /** Several inputs: every frame list names its file. */
  private readonly several: boolean;
  private readonly rows: HandshakeJson[] = [];
  private listed = 0;

  constructor(out: Sink, color: boolean, several = false) {
    this.out = out;
    this.color = color;
    this.several = several;
  }

  handshake(h: HandshakeJson): void {
    this.listed++;
    if (this.rows.length < TABLE_MAX_ROWS) this.rows.push(h);
  }

  finish(run: RunReport): void {
    const o = this.out;
    const color = this.color;
    for (const c of run.captures) {
      const kind = `${c.format}${c.gzip ? ' (gzip)' : ''}`;
      let line = `${c.file}: ${kind}, ${c.linkTypes.join('/') || 'no interfaces'}, ${c.packets} packets`;
      if (c.first !== null) line += `, ${c.first} to ${c.last}`;
      if (c.unknownLinkPackets > 0) line += `, ${c.unknownLinkPackets} of an unknown link type skipped`;
      if (c.badPackets > 0) line += `, ${c.badPackets} damaged packets skipped`;
      const loss = captureLossText(c);
      if (loss !== null) line += `; ${loss}`;
      o(`${line}\n`);
      const warning = captureLossWarning(c);
      if (warning !== null) o(`  warning: ${warning}\n`);
      if (c.error !== null) o(`  reading stopped: ${c.error}\n`);
    }

    const t = run.summary.totals;
    const sum = new Table({ head: ['outcome', 'attempts', 'errno'], style: plainStyle(color), chars: COMPACT });
    const resets = run.summary.resets;
    for (const k of OUTCOMES) {
      if (t[k] === 0) continue;
      sum.push([paintOutcome(k, color), String(t[k]), ERRNO_OF[k] ?? '']);
      // Established, then reset: "connection reset by peer" for the other side's application.
      if (k === 'established' && resets.byClient > 0) sum.push(['  reset by client', String(resets.byClient), 'ECONNRESET']);
      if (k === 'established' && resets.byServer > 0) sum.push(['  reset by server', String(resets.byServer), 'ECONNRESET']);
    }
    sum.push(['total', String(t.attempts), '']);
    o(`\n${sum.toString()}\n`);
    const wire = wireLossText(run.captureLoss);
    if (wire !== null) o(`${wire}\n`);
    if (run.tracker.evicted > 0) {
      o(`${run.tracker.evicted} attempts were settled early: more were open at once than the table holds.\n`);
    }

    const services = run.summary.serviceList();
    if (services.length > 0) {
      const present = OUTCOMES.filter((k) => t[k] > 0);
      const resetCols = RESET_COLUMNS.filter((c) => resets[c.key] > 0);
      const shown = services.slice(0, TABLE_MAX_SERVICES);
      const latency = shown.some((s) => s.latency !== undefined) ? LATENCY_HEADS : [];
      const st = new Table({
        head: ['server', 'attempts', ...present, ...resetCols.map((c) => c.head), ...latency], style: plainStyle(color), chars: COMPACT,
      });
      for (const s of shown) {
        const name = s.server.port === null ? `${s.server.ip} (${s.ports} ports)` : endpointText(s.server.ip, s.server.port);
        st.push([
          name, String(s.attempts), ...present.map((k) => String(s[k] ?? '')), ...resetCols.map((c) => String(s.resets?.[c.key] || '')),
          ...(latency.length === 0 ? [] : latencyCells(s.latency)),
        ]);
      }
      o(`\nservices\n${st.toString()}\n`);
      if (services.length > TABLE_MAX_SERVICES) o(`... and ${services.length - TABLE_MAX_SERVICES} more services\n`);
      const failing = services.filter((s) => failures(s) > 0).length;
      if (failing === 0) o('no failing service\n');
    }
    if (run.findings.length > 0) o('\n');
    for (const f of run.findings) o(`finding: ${f.text}\n`);

    const onlyAll = OUTCOMES.every((k) => run.only.has(k));
    const which = onlyAll ? 'handshakes' : `handshakes (${[...run.only].join(', ')})`;
    if (this.rows.length === 0) {
      o(`\nno ${which} to list\n`);
    } else {
      // A tunnel column only when some listed handshake was carried in one.
      const tunnels = this.rows.some((h) => h.tunnel !== undefined);
      const ht = new Table({
        head: ['start', 'client', 'server', 'outcome', 'errno', 'syns', 'answer', 'frames', ...(tunnels ? ['tunnel'] : [])],
        style: plainStyle(color), chars: COMPACT,
      });
      for (const h of this.rows) {
        const row = [
          h.start, endpointText(h.client.ip, h.client.port), endpointText(h.server.ip, h.server.port),
          paintOutcome(h.outcome, color) + (h.resetBy === undefined ? '' : ` (reset by ${h.resetBy})`)
            + (h.doubt === undefined ? '' : ` (doubt: ${h.doubt})`),
          h.errno ?? '', String(h.synCount), answerText(h), framesText(h, ',', this.several),
        ];
        if (tunnels) row.push(h.tunnel === undefined ? '' : tunnelText(h.tunnel));
        ht.push(row);
      }
      o(`\n${which}\n${ht.toString()}\n`);
      if (this.listed > this.rows.length) {
        o(`... and ${this.listed - this.rows.length} more (use --format lines, json or ndjson for all)\n`);
      }
      const shown = new Set<string>();
      let n = 0;
      for (const h of this.rows) {
        if (h.outcome === 'established' && h.resetBy === undefined) continue;
        const key = `${h.outcome} ${h.server.ip} ${h.server.port} ${h.answer?.from ?? ''}`;
        if (shown.has(key)) continue;
        shown.add(key);
        if (n++ === MAX_DIAGNOSES) break;
        o(`\n${paintOutcome(h.outcome, color)} ${endpointText(h.server.ip, h.server.port)}: ${h.diagnosis}\n`);
      }
    }
    if (run.evidence !== null) o(`\nevidence: ${run.evidence.packets} packets written to ${run.evidence.file}\n`);
  }
}
