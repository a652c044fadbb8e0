// Table output fits the terminal: no line wider than COLUMNS (80 and 120) for every shipped
// capture, each alone, every folder, and all of them at once (frames then name their file); and the
// one-line headline that opens the table and the closing `#` lines of `lines`.

import { strict as assert } from 'node:assert';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTURES, synscope } from '../helpers/cli.js';
import { outputWidth } from '../../src/cli/help.js';

const files = readdirSync(CAPTURES)
  .filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f))
  .sort()
  .map((f) => `captures/${f}`);
const folders = readdirSync(CAPTURES)
  .filter((f) => statSync(join(CAPTURES, f)).isDirectory())
  .sort()
  .map((f) => `captures/${f}`);

function assertFits(args: readonly string[], width: number): string {
  // --only all lists every handshake: the most rows and the widest cells.
  const r = synscope(['read', ...args, '--only', 'all'], undefined, { COLUMNS: String(width) });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.ok(lines.length > 5, `${args.join(' ')}: a report`);
  for (const l of lines) assert.ok(l.length <= width, `${args.join(' ')} at ${width}: ${l.length} columns: ${l}`);
  return r.stdout;
}

describe('cli/width: table output within COLUMNS', () => {
  it('every shipped capture alone at 80 columns', function () {
    this.timeout(120_000);
    assert.ok(files.length > 30);
    for (const f of files) assertFits([f], 80);
  });

  it('every folder, and all captures at once, at 80 and 120 columns', function () {
    this.timeout(120_000);
    assert.ok(folders.length > 0);
    for (const width of [80, 120]) {
      for (const d of folders) assertFits([d], width);
      assertFits(files, width);
    }
  });

  it('the handshakes table uses the width it has: one line per row at 120, two at 80', () => {
    const wide = assertFits(['captures/mixed.pcapng'], 120);
    assert.match(
      wide,
      /^12:23:43\.464 {2}10\.77\.1\.2:40032 > 10\.77\.1\.1:9 +refused ECONNREFUSED +1 +rst \+0\.009ms +11,12$/m,
    );
    const narrow = assertFits(['captures/mixed.pcapng'], 80);
    assert.match(
      narrow,
      /^12:23:43\.464 {2}10\.77\.1\.2:40032 +refused +1 +rst +11,12\n {14}> 10\.77\.1\.1:9 +ECONNREFUSED +\+0\.009ms$/m,
    );
    // The date once above the times of day; 6 SYNs' frames as a range.
    assert.match(narrow, /^handshakes, 2026-11-25 UTC$/m);
    // The answer's sender named when it is not the server.
    assert.match(assertFits(['captures/rejected-no-arp.pcap'], 120), / icmp 3\/1 10\.77\.1\.1 \+3071\.2ms /);
    assert.match(narrow, / 27,40-44$/m);
  });

  it('COLUMNS unset and not a terminal: 80', () => {
    const r = synscope(['read', 'captures/mixed.pcapng'], undefined, { COLUMNS: '' });
    for (const l of r.stdout.split('\n')) assert.ok(l.length <= 80, l);
    assert.ok(r.stdout.split('\n').some((l) => l.length > 75));
  });
});

describe('cli/width: outputWidth', () => {
  it('COLUMNS when a positive whole number, else the terminal, else 80; never below 40', () => {
    assert.equal(outputWidth({ COLUMNS: '132' }, 100), 132);
    assert.equal(outputWidth({}, 100), 100);
    assert.equal(outputWidth({}, undefined), 80);
    for (const bad of ['', 'abc', '0', '-5', '80.5']) assert.equal(outputWidth({ COLUMNS: bad }, 90), 90, bad);
    assert.equal(outputWidth({ COLUMNS: '20' }, undefined), 40);
  });
});

describe('cli/width: the headline', () => {
  it('table: first line, the failed count and the services that failed, fitted to the width', () => {
    const narrow = synscope(['read', 'captures/mixed.pcapng'], undefined, { COLUMNS: '80' }).stdout;
    assert.equal(narrow.split('\n')[0], '5 of 8 attempts failed: 10.77.1.1:9 refused 1, and 4 more services');
    const wide = synscope(['read', 'captures/mixed.pcapng'], undefined, { COLUMNS: '200' }).stdout;
    assert.equal(
      wide.split('\n')[0],
      '5 of 8 attempts failed: 10.77.1.1:9 refused 1, 10.77.1.1:8083 rejected 1, ' +
        '10.77.2.2:9 refused 1, 10.77.2.2:8084 dropped 1, [fd77:2::2]:9 refused 1',
    );
  });

  it('names the finding about a service: listen queue overflow', () => {
    const r = synscope(['read', 'captures/backlog-overflow.pcap'], undefined, { COLUMNS: '120' });
    assert.match(
      r.stdout.split('\n')[0]!,
      /^\d+ of \d+ attempts failed: 10\.77\.2\.2:\d+ dropped \d+ \(listen queue overflow\)/,
    );
  });

  it('nothing failed, nothing seen', () => {
    assert.equal(synscope(['read', 'captures/established.pcap']).stdout.split('\n')[0], 'all 1 attempt established');
    const lines = synscope(['read', 'captures/established.pcap', '--format', 'lines']).stdout;
    assert.match(lines, /^# all 1 attempt established\n# 1 attempt: 1 established/m);
  });

  it('lines: the first of the closing # lines; one line per verdict, however long', () => {
    const r = synscope(['read', 'captures/mixed.pcapng', '--format', 'lines'], undefined, { COLUMNS: '80' });
    const lines = r.stdout.trimEnd().split('\n');
    const first = lines.findIndex((l) => l.startsWith('#'));
    assert.equal(first, 5);
    assert.match(lines[first]!, /^# 5 of 8 attempts failed: 10\.77\.1\.1:9 refused 1, .*\[fd77:2::2\]:9 refused 1$/);
    assert.ok(lines.slice(0, first).some((l) => l.length > 80));
  });
});
