// `--format lines`: one tcpdump-like line per handshake, then a short summary. The default
// for live capture, where each line is printed the moment its verdict is reached. The closing `#`
// lines start with the headline ("5 of 8 attempts failed: ...").

import type { SettledAttempt } from '../track/attempt.js';
import type { HandshakeContext } from './context.js';
import { tunnelText, type HandshakeJson } from './record.js';
import { captureLossText, captureLossWarning, type Reporter, type RunReport, type Sink } from './reporter.js';
import type { ResetsJson } from './summary.js';
import { wireLossText } from './findings.js';
import { framesText, paintOutcome, plural } from './text.js';
import { headline } from './headline.js';

/** "10.0.0.5.51234" as tcpdump writes an endpoint (IPv6 too: "2001:db8::1.443"). */
function ep(ip: string, port: number): string {
  return `${ip}.${port}`;
}

export function handshakeLine(h: HandshakeJson, color: boolean, named = false): string {
  let s =
    `${h.start} ${ep(h.client.ip, h.client.port)} > ${ep(h.server.ip, h.server.port)}:` +
    ` ${paintOutcome(h.outcome, color)}`;
  if (h.errno !== null) s += ` ${h.errno}`;
  const a = h.answer;
  if (a === null) s += ', no answer';
  else {
    s += `, ${a.kind}`;
    if (a.kind === 'icmp') s += ` ${a.icmpType}/${a.icmpCode}`;
    s += ` from ${a.from} after ${a.afterMs} ms`;
  }
  if (h.resetBy !== undefined) s += `, reset by ${h.resetBy}`;
  if (h.tunnel !== undefined) s += `, via ${tunnelText(h.tunnel)}`;
  s += `, syns ${h.synCount}, frames ${framesText(h, ',', named)}`;
  if (h.doubt !== undefined) s += `, doubt: ${h.doubt}`;
  return s;
}

/** "1 reset by client, 2 by server" within `open` and `close`; '' when none was reset. */
export function resetsText(r: ResetsJson, open: string, close: string): string {
  if (r.byClient + r.byServer === 0) return '';
  const parts: string[] = [];
  if (r.byClient > 0) parts.push(`${r.byClient} reset by client`);
  if (r.byServer > 0) parts.push(`${r.byServer} ${r.byClient > 0 ? 'by' : 'reset by'} server`);
  return `${open}${parts.join(', ')}${close}`;
}

export function summaryLine(run: RunReport): string {
  const t = run.summary.totals;
  const parts: string[] = [];
  for (const [k, n] of Object.entries(t))
    if (k !== 'attempts' && n > 0)
      parts.push(`${n} ${k}${k === 'established' ? resetsText(run.summary.resets, ' (', ')') : ''}`);
  const packets = run.captures.reduce((n, c) => n + c.packets, 0);
  let s =
    `# ${plural(t.attempts, 'attempt')}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}` +
    ` (${plural(packets, 'packet')}`;
  s += `, ${plural(run.captures.length, 'capture')})`;
  if (run.tracker.evicted > 0) s += `; ${run.tracker.evicted} evicted from a full table`;
  for (const c of run.captures) {
    const loss = captureLossText(c);
    if (loss !== null) s += `; ${c.file}: ${loss}`;
    const warning = captureLossWarning(c);
    if (warning !== null) s += `\n# warning: ${warning}`;
  }
  return s;
}

export class LinesReporter implements Reporter {
  private readonly out: Sink;
  private readonly color: boolean;
  /** Several inputs: every frame list names its file. */
  private readonly several: boolean;
  constructor(out: Sink, color: boolean, several = false) {
    this.out = out;
    this.color = color;
    this.several = several;
  }
  handshake(a: SettledAttempt, c: HandshakeContext): void {
    this.row(c.record(a, false));
  }
  /** A handshake's line (its diagnosis is not shown). */
  row(h: HandshakeJson): void {
    this.out(`${handshakeLine(h, this.color, this.several)}\n`);
  }
  finish(run: RunReport): void {
    // The headline when there was something to say (the summary line says "0 attempts").
    if (run.summary.totals.attempts > 0) this.out(`# ${headline(run)}\n`);
    this.out(`${summaryLine(run)}\n`);
    const wire = wireLossText(run.captureLoss);
    if (wire !== null) this.out(`# ${wire}\n`);
    for (const f of run.findings) this.out(`# finding: ${f.text}\n`);
    if (run.evidence !== null)
      this.out(`# evidence: ${plural(run.evidence.packets, 'packet')} written to ${run.evidence.file}\n`);
  }
}
