// --chart FILE.svg: a well-formed SVG (parsed by Python's XML parser) whose bars add up, series by
// series, to the json summary's counts for the failing services; small whatever the capture; linked
// from the markdown ticket by a relative path.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT, synscope } from '../helpers/cli.js';

interface Service {
  attempts: number;
  established?: number;
  refused?: number;
  rejected?: number;
  dropped?: number;
  'timed-out'?: number;
  aborted?: number;
  incomplete?: number;
  resets?: { byClient: number; byServer: number };
}

/** The bars' counts per series, read by an XML parser (which refuses a malformed document). */
function bars(svg: string): Record<string, number> {
  const r = spawnSync(
    'python3',
    [
      '-c',
      `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == '{http://www.w3.org/2000/svg}svg', root.tag
out = {}
for r in root.iter('{http://www.w3.org/2000/svg}rect'):
    s = r.get('data-series')
    if s is not None:
        out[s] = out.get(s, 0) + int(r.get('data-count'))
print(json.dumps(out))
`,
      svg,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
}

/** What the json summary says of the failing services, per chart series. */
function expected(input: string): Record<string, number> {
  const r = synscope(['read', input, '--format', 'json']);
  const services = (JSON.parse(r.stdout) as { services: Service[] }).services;
  const out: Record<string, number> = {};
  const put = (k: string, n: number): void => {
    if (n > 0) out[k] = (out[k] ?? 0) + n;
  };
  for (const s of services) {
    const resets = (s.resets?.byClient ?? 0) + (s.resets?.byServer ?? 0);
    const failed = s.attempts - (s.established ?? 0) - (s.incomplete ?? 0) + resets;
    if (failed === 0) continue;
    put('established', (s.established ?? 0) - resets);
    put('reset', resets);
    for (const k of ['refused', 'rejected', 'dropped', 'timed-out', 'aborted', 'incomplete'] as const)
      put(k, s[k] ?? 0);
  }
  return out;
}

describe('cli --chart', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-chart-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const input of [
    'captures/mixed.pcapng',
    'captures/backlog-overflow.pcap',
    'captures/rotated-C',
    'captures/reset-after-accept.pcap',
  ]) {
    it(`${input}: the bars add up to the summary's counts of the failing services`, () => {
      const svg = join(dir, 'c.svg');
      const r = synscope(['read', input, '--format', 'lines', '--chart', svg]);
      assert.equal(r.status, 0, r.stderr);
      const want = expected(input);
      assert.ok(Object.keys(want).length > 0);
      assert.deepEqual(bars(svg), want);
      assert.ok(statSync(svg).size < 150_000);
    });
  }

  it('a long capture (synthetic, 2 hours): at most 96 bars, every attempt counted, the file stays small', function () {
    this.timeout(60_000);
    const pcap = join(dir, 'long.pcap');
    // One unanswered SYN every 10 s for two hours, and one refused attempt a minute.
    const gen = spawnSync(
      'python3',
      [
        '-c',
        `
import struct, sys
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def ip(src, dst, tcp):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, bytes(src), bytes(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + tcp
def tcp(src, dst, sp, dp, seq, ack, flags):
    t = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ph = bytes(src) + bytes(dst) + struct.pack('!BBH', 0, 6, len(t))
    return t[:16] + struct.pack('!H', csum(ph + t)) + t[18:]
c, s = [10, 199, 9, 1], [10, 199, 9, 2]
out = open(sys.argv[1], 'wb')
out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
def rec(t, p):
    out.write(struct.pack('<IIII', int(t), int((t % 1) * 1e6), len(p), len(p))); out.write(p)
for i in range(720):
    t = 1764000000 + i * 10
    rec(t, ip(c, s, tcp(c, s, 20000 + i, 8443, 1000, 0, 0x02)))
    if i % 6 == 0:
        rec(t + 1, ip(c, s, tcp(c, s, 40000 + i, 9, 5000, 0, 0x02)))
        rec(t + 1.0001, ip(s, c, tcp(s, c, 9, 40000 + i, 0, 5001, 0x14)))
`,
        pcap,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(gen.status, 0, gen.stderr);
    const svg = join(dir, 'long.svg');
    const r = synscope(['read', pcap, '--format', 'lines', '--chart', svg]);
    assert.equal(r.status, 0, r.stderr);
    // The last SYN is 0 s before the end: incomplete, not dropped.
    assert.deepEqual(bars(svg), { dropped: 719, incomplete: 1, refused: 120 });
    const text = spawnSync('cat', [svg], { encoding: 'utf8' }).stdout;
    const buckets = new Set([...text.matchAll(/data-bucket="(\d+)"/g)].map((m) => m[1]));
    assert.ok(buckets.size <= 96 && buckets.size > 48, `${buckets.size} bars`);
    assert.match(text, /attempts per 2 min 8 s/); // 96 × 64 s < 2 h ≤ 96 × 128 s
    assert.ok(statSync(svg).size < 150_000);
  });

  it('with --format markdown, the ticket links the chart by a path relative to the working directory', () => {
    const svg = join(dir, 'ticket.svg');
    const r = synscope(['read', 'captures/backlog-overflow.pcap', '--format', 'markdown', '--chart', svg]);
    assert.equal(r.status, 0, r.stderr);
    const rel = relative(ROOT, svg);
    assert.ok(r.stdout.includes(`![timeline of the attempts](${encodeURI(rel)})`), r.stdout.slice(-400));
  });

  it('a chart that cannot be written: one line naming it, exit 2, the report still printed', () => {
    const r = synscope([
      'read',
      'captures/mixed.pcapng',
      '--format',
      'lines',
      '--chart',
      join(dir, 'no', 'such', 'dir.svg'),
    ]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^synscope: --chart \S+dir\.svg: ENOENT/m);
    assert.match(r.stdout, /# 8 attempts/);
  });
});
