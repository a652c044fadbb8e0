// `--format markdown`: the incident-ticket text. What was analysed, the totals, the failing
// services, then each failure group with its evidence, diagnosis and next step. Grouped and
// capped so that 10 000 failures still make a short ticket.

import { OUTCOMES, RESET_NONE, type SettledAttempt } from '../track/attempt.js';
import type { HandshakeContext } from './context.js';
import { ERRNO_MESSAGES } from './diagnosis.js';
import { tunnelText, type HandshakeJson } from './record.js';
import {
  captureLossText,
  captureLossWarning,
  type EvidenceFrames,
  type Reporter,
  type RunReport,
  type Sink,
} from './reporter.js';
import { wireLossText } from './findings.js';
import { failures } from './summary.js';
import { RESET_COLUMNS, percentilesText } from './table.js';
import { endpointText, framesText, plural } from './text.js';

/** Failure groups written in full; attempts listed per group. */
export const MD_MAX_GROUPS = 20;
export const MD_ROWS_PER_GROUP = 5;
const MD_MAX_SERVICES = 20;
/**
 * Numbers in a diagnosis (delays with their unit, "1 ms" or "3.05 s"; counts; TTLs), left out when
 * failures are grouped by their text.
 */
const DIGITS = /[0-9]+(?:\.[0-9]+)?(?: m?s\b)?/g;

interface Group {
  readonly first: HandshakeJson;
  readonly rows: HandshakeJson[];
  count: number;
}

/** "1/2/3" as "1 / 2 / 3". */
function slashes(s: string): string {
  return s.replace(/\//g, ' / ');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function answerText(h: HandshakeJson): string {
  const a = h.answer;
  if (a === null)
    return h.doubt === 'client-only'
      ? "none captured (the capture holds nothing from the server's side)"
      : 'none (no SYN/ACK, RST or ICMP error came back)';
  const who =
    a.from === h.server.ip ? `${a.from} (the server)` : `${a.from} (not the server: a router or firewall on the path)`;
  const what =
    a.kind === 'synack' ? 'SYN/ACK' : a.kind === 'rst' ? 'TCP RST' : `ICMP type ${a.icmpType} code ${a.icmpCode}`;
  return `${what} from ${who} after ${a.afterMs} ms`;
}

function errnoText(h: HandshakeJson): string {
  if (h.resetBy === 'server')
    return 'connected, then `ECONNRESET` — `connection reset by peer` on a later read or write';
  if (h.resetBy === 'client') return 'connected; the client then reset the connection (its server saw `ECONNRESET`)';
  return h.errno === null ? 'no error' : `\`${h.errno}\` — \`${ERRNO_MESSAGES[h.errno]}\``;
}

/** Where a ticket's frame numbers point: the evidence file when there is one, else the inputs. */
interface FrameNames {
  /** The evidence file and its numbering, or null. */
  readonly evidence: { readonly file: string; readonly frames: EvidenceFrames } | null;
  /** Inputs that are live interfaces, not files. */
  readonly live: ReadonlySet<string>;
}

/** The attempt's frames as numbered in the evidence file, in order; null if one of them is not in it. */
function evidenceNumbers(h: HandshakeJson, frames: EvidenceFrames): number[] | null {
  const out: number[] = [];
  for (const s of h.spans ?? [h]) {
    const m = frames.get(s.file);
    for (const f of s.frames) {
      const n = m?.get(f);
      if (n === undefined) return null;
      out.push(n);
    }
  }
  return out.sort((x, y) => x - y);
}

/** The "Frames:" line: where to find the attempt's packets, and the tshark command that shows them. */
function framesLine(h: HandshakeJson, names: FrameNames): string {
  const ev = names.evidence;
  const numbers = ev === null ? null : evidenceNumbers(h, ev.frames);
  if (ev !== null && numbers !== null) {
    return (
      `${numbers.join(', ')} in \`${ev.file}\` — \`tshark -r ${ev.file} -Y 'frame.number in` +
      ` {${numbers.join(',')}}'\``
    );
  }
  return (h.spans ?? [h])
    .map((s) =>
      names.live.has(s.file)
        ? `${s.frames.join(', ')} of the live capture on interface \`${s.file}\` (\`--evidence FILE\` saves them)`
        : `${s.frames.join(', ')} in \`${s.file}\` — \`tshark -r ${s.file} -Y 'frame.number in` +
          ` {${s.frames.join(',')}}'\``,
    )
    .join('; ');
}

/** The frames cell of a group's row: evidence-file numbers when there is one. */
function rowFrames(h: HandshakeJson, names: FrameNames): string {
  const numbers = names.evidence === null ? null : evidenceNumbers(h, names.evidence.frames);
  return numbers === null ? framesText(h, ' ') : numbers.join(' ');
}

/** The outcome as a failure's heading names it. */
function outcomeText(h: HandshakeJson): string {
  return h.resetBy === undefined ? h.outcome : `${h.outcome}, then reset by the ${h.resetBy}`;
}

export class MarkdownReporter implements Reporter {
  private readonly out: Sink;
  private readonly groups = new Map<string, Group>();
  private readonly extraGroups = new Set<string>();
  private extraAttempts = 0;

  constructor(out: Sink) {
    this.out = out;
  }

  handshake(a: SettledAttempt, c: HandshakeContext): void {
    const f = c.facts;
    if (f.outcome === 'established' && f.resetBy === RESET_NONE) return;
    this.row(c.record(a));
  }

  /** A handshake with its diagnosis: grouped with those that tell the same story. */
  row(h: HandshakeJson): void {
    if (h.outcome === 'established' && h.resetBy === undefined) return;
    // One group, one story: its heading and diagnosis are its first attempt's, so only attempts whose
    // diagnosis says the same thing join it — the same outcome, errno, answer (an ICMP type and code:
    // a router's "no ARP answer" and a firewall's "administratively prohibited" both mean
    // EHOSTUNREACH) and sender, to the same service, and the same text but for its numbers (delays,
    // SYN counts, TTLs): who reset an established connection, a listen-queue overflow or an injected
    // reset all show in the text. The rows give each attempt's own numbers.
    const a = h.answer;
    const answer = a === null ? '' : `${a.kind}\u0000${a.from}\u0000${a.icmpType ?? ''}\u0000${a.icmpCode ?? ''}`;
    const story = h.diagnosis.replace(DIGITS, '#');
    const key =
      `${h.file}\u0000${h.outcome}\u0000${h.errno ?? ''}\u0000${h.server.ip}\u0000${h.server.port}` +
      `\u0000${answer}\u0000${story}`;
    let g = this.groups.get(key);
    if (g === undefined) {
      if (this.groups.size >= MD_MAX_GROUPS) {
        this.extraAttempts++;
        if (this.extraGroups.size < 100_000) this.extraGroups.add(key);
        return;
      }
      g = { first: h, rows: [], count: 0 };
      this.groups.set(key, g);
    }
    g.count++;
    // One more than shown: a sixth row is shown rather than "…and 1 more".
    if (g.rows.length <= MD_ROWS_PER_GROUP) g.rows.push(h);
  }

  finish(run: RunReport): void {
    const o = this.out;
    const t = run.summary.totals;
    const failed = t.refused + t.rejected + t.dropped + t['timed-out'] + t.aborted;
    const resets = run.summary.resets;
    const reset = resets.byClient + resets.byServer;
    o(
      `## TCP handshakes: ${failed} of ${t.attempts}` +
        ` failed${reset === 0 ? '' : `, ${reset} reset after connecting`}\n\n`,
    );
    o('**Analysed**\n\n');
    const live = new Set<string>();
    for (const c of run.captures) {
      if (c.received !== undefined) live.add(c.file);
      o(
        `- ${c.received !== undefined ? `interface \`${c.file}\` (live capture)` : `\`${c.file}\``}:` +
          ` ${c.format}${c.gzip ? ' (gzip)' : ''}, ${c.linkTypes.join('/') || 'no interfaces'},` +
          ` ${plural(c.packets, 'packet')}`,
      );
      if (c.first !== null) o(`, ${c.first} to ${c.last}`);
      const loss = captureLossText(c);
      if (loss !== null) o(`; ${loss}`);
      o('\n');
      const warning = captureLossWarning(c);
      if (warning !== null) o(`  - **warning**: ${warning}\n`);
      if (c.error !== null) o(`  - reading stopped: ${c.error}\n`);
    }
    o(`- \`--timeout ${run.timeout}\` s: an unanswered SYN counts as dropped after that long\n\n`);

    o('**Summary**\n\n| outcome | attempts | what the application saw |\n| --- | ---: | --- |\n');
    const SAW: Readonly<Record<string, string>> = {
      established: 'connected',
      refused: '`ECONNREFUSED` (connection refused)',
      rejected: "the ICMP error's errno (see below)",
      dropped: '`ETIMEDOUT` (connection timed out / i/o timeout)',
      'timed-out': '`ETIMEDOUT` (connection timed out / i/o timeout)',
      aborted: 'nothing: the client itself gave up',
      incomplete: 'not known yet: the capture ends too early',
    };
    for (const k of OUTCOMES) {
      if (t[k] === 0) continue;
      o(`| ${k} | ${t[k]} | ${SAW[k] ?? ''} |\n`);
      if (k !== 'established') continue;
      if (resets.byClient > 0)
        o(
          `| established, then reset by the client | ${resets.byClient} | the server: \`ECONNRESET\` (connection` +
            ` reset by peer) |\n`,
        );
      if (resets.byServer > 0)
        o(
          `| established, then reset by the server | ${resets.byServer} | \`ECONNRESET\` (connection reset by peer)` +
            ` on a later read or write |\n`,
        );
    }
    o(`| **total** | **${t.attempts}** | |\n\n`);
    const wire = wireLossText(run.captureLoss);
    if (wire !== null) o(`**C${wire.slice(1)}** (as Zeek's capture_loss counts).\n\n`);
    if (run.tracker.evicted > 0)
      o(
        `> ${plural(run.tracker.evicted, 'attempt was', 'attempts were')} settled early: more were open at once` +
          ` than the table holds.\n\n`,
      );

    const failing = run.summary.serviceList().filter((s) => failures(s) > 0);
    if (failing.length > 0) {
      const cols = OUTCOMES.filter((k) => k !== 'incomplete' && t[k] > 0);
      const resetCols = RESET_COLUMNS.filter((c) => resets[c.key] > 0);
      const heads = [...cols, ...resetCols.map((c) => c.head)];
      o(
        `**Failing services**\n\n| server | attempts | ${heads.join(' | ')} |\n| --- | ---:` +
          ` |${heads.map(() => ' ---: |').join('')}\n`,
      );
      for (const s of failing.slice(0, MD_MAX_SERVICES)) {
        const name =
          s.server.port === null ? `${s.server.ip} (${s.ports} ports)` : endpointText(s.server.ip, s.server.port);
        const cells = [...cols.map((k) => String(s[k] ?? 0)), ...resetCols.map((c) => String(s.resets?.[c.key] ?? 0))];
        o(`| \`${name}\` | ${s.attempts} | ${cells.join(' | ')} |\n`);
      }
      if (failing.length > MD_MAX_SERVICES)
        o(`\n…and ${plural(failing.length - MD_MAX_SERVICES, 'more failing service')}.\n`);
      o('\n');
    }
    const timed = run.summary.serviceList().filter((s) => s.latency !== undefined);
    if (timed.length > 0) {
      // Slowest connects first.
      timed.sort((x, y) => (y.latency?.connectMs.p95 ?? 0) - (x.latency?.connectMs.p95 ?? 0));
      o(
        '**Connect latency** (ms, p50 / p95 / max)\n\n| server | connects | SYN → SYN/ACK | first SYN → connected |' +
          ' needed retransmissions |\n| --- | ---: | ---: | ---: | ---: |\n',
      );
      for (const s of timed.slice(0, MD_MAX_SERVICES)) {
        const l = s.latency!;
        const name =
          s.server.port === null ? `${s.server.ip} (${s.ports} ports)` : endpointText(s.server.ip, s.server.port);
        o(
          `| \`${name}\` | ${l.connectMs.count} | ${slashes(percentilesText(l.synAckMs))} |` +
            ` ${slashes(percentilesText(l.connectMs))} | ${l.retransmitted} |\n`,
        );
      }
      if (timed.length > MD_MAX_SERVICES) o(`\n…and ${plural(timed.length - MD_MAX_SERVICES, 'more service')}.\n`);
      o('\n');
    }
    if (run.findings.length > 0) {
      o('**Findings**\n\n');
      for (const f of run.findings) o(`- ${f.text}\n`);
      o('\n');
    }

    if (this.groups.size === 0) {
      o(failed === 0 ? 'No failed handshake.\n' : 'No failure matches `--only`.\n');
    } else {
      o('**Failures**\n\n');
      const ev = run.evidence;
      const names: FrameNames = {
        evidence: ev !== null && ev.frames !== undefined ? { file: ev.file, frames: ev.frames } : null,
        live,
      };
      let i = 0;
      for (const g of this.groups.values()) {
        const h = g.first;
        i++;
        const more = g.count > 1 ? ` (${g.count} attempts)` : '';
        o(
          `### ${i}. ${outcomeText(h)}: \`${endpointText(h.client.ip, h.client.port)}\` →` +
            ` \`${endpointText(h.server.ip, h.server.port)}\`${more}\n\n`,
        );
        o(`- **When:** ${h.start}${g.count > 1 ? ` (first of ${g.count})` : ''}\n`);
        o(`- **Application saw:** ${errnoText(h)}\n`);
        o(`- **Answer:** ${answerText(h)}\n`);
        o(`- **SYNs sent:** ${h.synCount}\n`);
        if (h.tunnel !== undefined) o(`- **Carried in:** ${tunnelText(h.tunnel)}\n`);
        o(`- **Frames:** ${framesLine(h, names)}\n`);
        if (h.doubt !== undefined)
          o(
            `- **Doubt:** ${
              h.doubt === 'client-only'
                ? "the capture holds no packet from the server's side: an answer may exist that it did not record"
                : 'the capture misses packets: the answer may be one of them'
            }\n`,
          );
        o(`- **Diagnosis:** ${cell(h.diagnosis)}\n`);
        if (g.count > 1) {
          o(`\n| start | client | SYNs | answer | frames |\n| --- | --- | ---: | --- | --- |\n`);
          const shown = g.count > g.rows.length ? g.rows.slice(0, MD_ROWS_PER_GROUP) : g.rows;
          for (const r of shown) {
            o(
              `| ${r.start} | \`${endpointText(r.client.ip, r.client.port)}\` | ${r.synCount} |` +
                ` ${r.answer === null ? 'none' : cell(answerText(r))} | ${rowFrames(r, names)} |\n`,
            );
          }
          if (g.count > shown.length) o(`\n…and ${g.count - shown.length} more like these.\n`);
        }
        o('\n');
      }
      if (this.extraAttempts > 0) {
        o(
          `…and ${plural(this.extraAttempts, 'more failure')} in ${plural(this.extraGroups.size, 'other group')}` +
            ` (\`--format json\` lists them all).\n\n`,
        );
      }
    }
    if (run.evidence !== null) {
      const numbered = run.evidence.frames !== undefined ? "; the frame numbers above are this file's" : '';
      o(
        `**Evidence:** \`${run.evidence.file}\` (${plural(run.evidence.packets, 'packet')}: every packet of the` +
          ` failures above, original timestamps${numbered}).\n`,
      );
    }
    if (run.chart !== undefined)
      o(
        `${run.evidence !== null ? '\n' : ''}**Timeline** (attempts by outcome for the failing services,` +
          ` \`${run.chart}\`):\n\n![timeline of the attempts](${encodeURI(run.chart)})\n`,
      );
  }
}
