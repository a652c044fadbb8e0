// Golden captures: every captures/<scenario>.pcap[ng][.gz] against its <scenario>.expected.json,
// whose verdicts come from the errno a real client's connect() returned — never from synscope.
// A folder captures/<scenario>/ is a multi-file set (rotated files, two interfaces): read as one
// capture with `read captures/<scenario>`.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTURES, synscope } from './helpers/cli.js';
import { SYNS_WITHOUT_DOUBT } from '../src/track/attempt.js';
import { framesCompact } from '../src/report/table.js';

interface Endpoint {
  ip: string;
  port: number;
}
/** How a tunnelled attempt was carried, as the record says it (absent for bare traffic). */
interface Tunnel {
  kind: string;
  vni?: number | null;
  key?: number | null;
  session?: number | null;
  label?: number | null;
  outer: unknown;
}
interface ExpectedHandshake {
  client: Endpoint;
  server: Endpoint;
  outcome: string;
  errno: string | null;
  clientErrno: string | null;
  answerFrom?: string;
  resetBy?: string;
  /** Sets: the attempt's packets are in at least this many files (SYNs 1 s apart, files of 1 s or 1 MB). */
  minFiles?: number;
  tunnel?: Tunnel;
  /** What the capture leaves in doubt (client-only, capture-loss); absent: nothing. */
  doubt?: string;
}
interface Expected {
  scenario: string;
  format: string;
  linkTypes: string[];
  timeout?: number;
  /** Sets: how many files tcpdump wrote. */
  files?: number;
  handshakes: ExpectedHandshake[];
  /** Kinds of the findings about what the capture cannot show (absent: none of these kinds). */
  findings?: string[];
  /** Capture loss at least this (gaps) and exactly this (answers without SYN). */
  captureLoss?: { answersWithoutSyn: number; minGaps: number };
  /** Answers stamped before their SYN and paired with it (the answer_before_syn anomaly). */
  answersBeforeSyn?: number;
  timestampsBackwards?: { count: number; firstFrame: number };
}
interface Handshake {
  file: string;
  client: Endpoint;
  server: Endpoint;
  outcome: string;
  errno: string | null;
  start: string;
  synCount: number;
  answer: { kind: string; from: string; afterMs: number } | null;
  frames: number[];
  diagnosis: string;
  spans?: { file: string; frames: number[] }[];
  resetBy?: string;
  tunnel?: Tunnel;
  doubt?: string;
}
interface Report {
  captures: {
    file: string;
    format: string;
    linkTypes: string[];
    packets: number;
    timestampsBackwards?: { count: number; firstFrame: number; maxMs: number };
  }[];
  summary: Record<string, unknown>;
  captureLoss: { acks: number; gaps: number; percent: number; answersWithoutSyn: number };
  services: unknown[];
  findings: { kind: string; text: string }[];
  tracker: { evicted: number; anomalies: Record<string, number> };
  handshakes: Handshake[];
}

/** Findings about what the capture cannot show. */
const COVERAGE_KINDS = new Set(['one-direction', 'capture-loss', 'clock-backwards']);

const OUTCOMES = ['established', 'refused', 'rejected', 'dropped', 'timed-out', 'aborted', 'incomplete'];

/** An attempt's identity: its 4-tuple, and its tunnel (equal 4-tuples in two VNIs are two attempts). */
const key = (h: { client: Endpoint; server: Endpoint; tunnel?: Tunnel }): string =>
  `${h.client.ip} ${h.client.port} > ${h.server.ip} ${h.server.port}` +
  (h.tunnel === undefined ? '' : ` ${h.tunnel.kind} ${h.tunnel.vni ?? h.tunnel.key ?? h.tunnel.session ?? ''}`);

const scenarios = readdirSync(CAPTURES)
  .filter((f) => f.endsWith('.expected.json'))
  .sort();
const captureFiles = readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f));
const sets = readdirSync(CAPTURES).filter((f) => statSync(join(CAPTURES, f)).isDirectory());

describe('golden captures (captures/)', () => {
  it('every capture has an expected file and every expected file a capture', () => {
    const names = new Set(scenarios.map((s) => s.replace(/\.expected\.json$/, '')));
    for (const c of captureFiles)
      assert.ok(names.has(c.replace(/\.(pcap|pcapng)(\.gz)?$/, '')), `${c} has an expected file`);
    for (const c of sets) assert.ok(names.has(c), `${c}/ has an expected file`);
    assert.equal(captureFiles.length + sets.length, scenarios.length);
    assert.ok(sets.length >= 4, 'rotated -G, rotated -C, a dumpcap ring and two interfaces');
    assert.ok(scenarios.length >= 15, `at least 15 scenarios (found ${scenarios.length})`);
  });

  for (const file of scenarios) {
    const name = file.replace(/\.expected\.json$/, '');
    const expected = JSON.parse(readFileSync(join(CAPTURES, file), 'utf8')) as Expected;
    const set = sets.includes(name);
    const capture = set
      ? name
      : (captureFiles.find((c) => c.replace(/\.(pcap|pcapng)(\.gz)?$/, '') === name) ?? `${name}.pcap`);
    const path = join('captures', capture);
    const timeoutArgs = expected.timeout === undefined ? [] : ['--timeout', String(expected.timeout)];
    // Nothing answered any SYN: the capture cannot tell a drop from a one-sided capture, and says so.
    const silent = expected.handshakes.every((h) => h.outcome === 'dropped' || h.outcome === 'incomplete');

    describe(name, () => {
      let report: Report;
      before(() => {
        const r = synscope(['read', path, '--format', 'json', ...timeoutArgs]);
        assert.equal(r.stderr, '');
        assert.equal(r.status, 0);
        report = JSON.parse(r.stdout) as Report;
      });

      it(`json: format ${expected.format}, link types ${expected.linkTypes.join('/')}`, () => {
        assert.equal(report.captures.length, expected.files ?? 1);
        for (const c of report.captures) {
          assert.equal(c.format, expected.format, c.file);
          assert.deepEqual(c.linkTypes, expected.linkTypes, c.file);
        }
      });

      it(`json: exactly the ${expected.handshakes.length} attempts, outcomes and errnos the clients saw`, () => {
        const got = new Map(report.handshakes.map((h) => [key(h), h]));
        assert.deepEqual([...got.keys()].sort(), expected.handshakes.map(key).sort(), 'the same attempts');
        assert.equal(report.handshakes.length, expected.handshakes.length, 'one attempt per connect()');
        for (const e of expected.handshakes) {
          const h = got.get(key(e))!;
          assert.equal(h.outcome, e.outcome, `${key(e)} outcome`);
          assert.equal(h.errno, e.errno, `${key(e)} errno`);
          if (e.answerFrom !== undefined) assert.equal(h.answer?.from, e.answerFrom, `${key(e)} answered by`);
          if (e.resetBy !== undefined) assert.equal(h.resetBy, e.resetBy, `${key(e)} reset by`);
          assert.deepEqual(h.tunnel, e.tunnel, `${key(e)} carried as the capture shows`);
          assert.equal(
            h.doubt,
            e.doubt ??
              (silent && e.outcome === 'dropped' && h.synCount < SYNS_WITHOUT_DOUBT ? 'client-only' : undefined),
            `${key(e)} doubt`,
          );
          if (e.outcome === 'dropped') assert.equal(h.answer, null);
          assert.ok(h.frames.length >= h.synCount, 'every SYN is a frame');
          assert.ok(h.diagnosis.length > 20, 'a diagnosis');
          if (e.minFiles !== undefined)
            assert.ok((h.spans?.length ?? 1) >= e.minFiles, `${key(e)} spans ${e.minFiles} files or more`);
          if (h.spans !== undefined) {
            assert.ok(set, 'only a set has attempts that span files');
            assert.ok(h.spans.length > 1);
            assert.deepEqual(
              h.spans.flatMap((x) => x.frames).sort((a, b) => a - b),
              [...h.frames].sort((a, b) => a - b),
            );
            assert.equal(h.spans[0]?.file, h.file, "the first SYN's file first");
          }
        }
      });

      if (set) {
        it('json: every frame reference of a spanning attempt is one of its packets in that file', function () {
          this.timeout(60_000);
          const spanning = report.handshakes.filter((h) => h.spans !== undefined);
          assert.ok(spanning.length > 0, 'some attempt spans files');
          for (const h of spanning) {
            for (const sp of h.spans!) {
              const out = execFileSync(
                'tshark',
                [
                  '-r',
                  sp.file,
                  '-Y',
                  `frame.number in {${sp.frames.join(',')}}`,
                  '-T',
                  'fields',
                  '-e',
                  'frame.number',
                  '-e',
                  'tcp.srcport',
                  '-e',
                  'tcp.dstport',
                ],
                { encoding: 'utf8' },
              );
              const rows = out
                .trim()
                .split('\n')
                .map((l) => l.split('\t'));
              assert.deepEqual(
                rows.map((r) => Number(r[0])),
                sp.frames,
                `${sp.file}: the frames exist`,
              );
              for (const r of rows) {
                assert.ok(
                  r.includes(String(h.client.port)) && r.includes(String(h.server.port)),
                  `${sp.file} frame ${r[0]} is ${key(h)}`,
                );
              }
            }
          }
        });

        it('lines, table and markdown name the file of every frame', () => {
          const json = report.handshakes.filter((h) => h.outcome !== 'established');
          const lines = synscope(['read', path, '--format', 'lines', ...timeoutArgs]).stdout;
          // Wide enough that no cell wraps (test/cli/width.test.ts checks the narrow ones).
          const table = synscope(['read', path, ...timeoutArgs], undefined, { COLUMNS: '400' }).stdout;
          const md = synscope(['read', path, '--format', 'markdown', ...timeoutArgs]).stdout;
          for (const h of json) {
            for (const sp of h.spans ?? [{ file: h.file, frames: h.frames }]) {
              assert.ok(lines.includes(`${sp.file}:${sp.frames.join(',')}`), `${key(h)} ${sp.file} in lines`);
              assert.ok(table.includes(`${sp.file}:${framesCompact(sp.frames)}`), `${key(h)} ${sp.file} in table`);
              assert.ok(
                md.includes(`tshark -r ${sp.file} -Y 'frame.number in {${sp.frames.join(',')}}'`),
                `${key(h)} ${sp.file} in markdown`,
              );
            }
          }
        });
      }
      it('json: what the capture cannot show (findings, capture loss, clock, reordering)', () => {
        const kinds = report.findings.map((f) => f.kind).filter((k) => COVERAGE_KINDS.has(k));
        assert.deepEqual(kinds, expected.findings ?? (silent ? ['one-direction'] : []));
        const loss = report.captureLoss;
        if (expected.captureLoss === undefined) {
          assert.equal(loss.gaps, 0, 'no ACK of a packet never captured');
          assert.equal(loss.answersWithoutSyn, 0, 'no answer without its SYN');
        } else {
          assert.equal(loss.answersWithoutSyn, expected.captureLoss.answersWithoutSyn);
          assert.ok(loss.gaps >= expected.captureLoss.minGaps, `at least ${expected.captureLoss.minGaps} gaps`);
        }
        assert.equal(loss.percent, loss.acks === 0 ? 0 : Math.round((loss.gaps / loss.acks) * 10000) / 100);
        assert.equal(report.tracker.anomalies['answer_before_syn'], expected.answersBeforeSyn);
        const back = report.captures[0]?.timestampsBackwards;
        if (expected.timestampsBackwards === undefined) assert.equal(back, undefined);
        else {
          assert.equal(back?.count, expected.timestampsBackwards.count);
          assert.equal(back?.firstFrame, expected.timestampsBackwards.firstFrame);
        }
      });

      it('json: the summary counts every outcome', () => {
        for (const o of OUTCOMES) {
          assert.equal(report.summary[o], expected.handshakes.filter((h) => h.outcome === o).length, o);
        }
        assert.equal(report.summary['attempts'], expected.handshakes.length);
        const resets = (by: string): number => expected.handshakes.filter((h) => h.resetBy === by).length;
        assert.deepEqual(report.summary['resets'], { byClient: resets('client'), byServer: resets('server') });
      });

      it('json: listed by start, then frame', () => {
        const starts = report.handshakes.map((h) => `${h.start} ${String(h.frames[0]).padStart(9, '0')}`);
        assert.deepEqual(starts, [...starts].sort());
      });

      it('ndjson: the same handshake objects, one per line, nothing else', () => {
        const r = synscope(['read', path, '--format', 'ndjson', ...timeoutArgs]);
        assert.equal(r.status, 0);
        const lines = r.stdout.split('\n').filter((l) => l !== '');
        assert.deepEqual(
          lines.map((l) => JSON.parse(l) as Handshake),
          report.handshakes,
        );
      });

      it('lines, table and markdown: every failure shows, established ones with --only or when reset later', () => {
        // A connection reset after the handshake is a failure for the application ("connection reset by peer").
        const failed = expected.handshakes.filter((h) => h.outcome !== 'established' || h.resetBy !== undefined);
        const lines = synscope(['read', path, '--format', 'lines', ...timeoutArgs]);
        assert.equal(lines.status, 0);
        const body = lines.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
        assert.equal(body.length, failed.length);
        for (const h of failed) {
          assert.ok(
            body.some(
              (l) =>
                l.includes(`.${h.client.port} > `) &&
                l.includes(`: ${h.outcome}`) &&
                (h.tunnel === undefined || l.includes(`via ${h.tunnel.kind}`)),
            ),
            `${key(h)} in lines`,
          );
          const line = body.find((l) => l.includes(`.${h.client.port} > `) && l.includes(`: ${h.outcome}`));
          assert.ok(line, `${key(h)} in lines`);
          const doubt = report.handshakes.find((x) => key(x) === key(h))?.doubt;
          if (doubt !== undefined) assert.ok(line.endsWith(`, doubt: ${doubt}`), `${key(h)} doubt in lines`);
        }
        const notes = lines.stdout.split('\n').filter((l) => l.startsWith('# finding: '));
        assert.equal(notes.length, report.findings.length, 'every finding as a # line');
        const counted = report.captureLoss.acks > 0 || report.captureLoss.answersWithoutSyn > 0;
        assert.equal(
          /^# capture loss: \d+ of \d+ ACKs? acknowledge/m.test(lines.stdout),
          counted,
          'capture loss in lines',
        );
        const table = synscope(['read', path, ...timeoutArgs], undefined, { COLUMNS: '400' });
        assert.equal(table.status, 0);
        for (const o of OUTCOMES) {
          const n = expected.handshakes.filter((h) => h.outcome === o).length;
          if (n > 0) assert.match(table.stdout, new RegExp(`^${o} +${n}( |$)`, 'm'), `table counts ${n} ${o}`);
        }
        // Paragraphs wrap at the width: compared with their line breaks as spaces.
        const flat = table.stdout.replace(/\s+/g, ' ');
        for (const f of report.findings)
          assert.ok(flat.includes(`finding: ${f.text.replace(/\s+/g, ' ')}`), `${f.kind} in table`);
        assert.equal(/^capture loss: /m.test(table.stdout), counted, 'capture loss in the table');
        for (const h of report.handshakes.filter((x) => x.doubt !== undefined && x.outcome !== 'established')) {
          assert.ok(
            table.stdout.includes(`${h.outcome}${h.errno === null ? '' : ` ${h.errno}`} (doubt: ${h.doubt})`),
            `${key(h)} doubt in table`,
          );
        }
        const md = synscope(['read', path, '--format', 'markdown', ...timeoutArgs]);
        assert.equal(md.status, 0);
        for (const h of failed) {
          const heading = h.resetBy === undefined ? h.outcome : `${h.outcome}, then reset by the ${h.resetBy}`;
          assert.ok(md.stdout.includes(`${heading}: \``), `${heading} in markdown`);
        }
        for (const f of report.findings) assert.ok(md.stdout.includes(`- ${f.text}`), `${f.kind} in markdown`);
        assert.equal(/^\*\*Capture loss: /m.test(md.stdout), counted, 'capture loss in markdown');
        if (report.handshakes.some((h) => h.doubt !== undefined)) assert.match(md.stdout, /^- \*\*Doubt:\*\* /m);
      });
    });
  }
});
