// --evidence end to end: the file holds exactly the listed attempts' packets, in capture order,
// with their original bytes and timestamps, and tcpdump and tshark open it.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/open.js';
import { synscope } from '../helpers/cli.js';

interface Report {
  handshakes: { outcome: string; frames: number[]; client: { port: number } }[];
}

interface Rec {
  sec: number;
  nsec: number;
  bytes: string;
  linkType: number;
}

async function records(path: string): Promise<Rec[]> {
  const src = await openCapture(path);
  const out: Rec[] = [];
  await src.run((f) => {
    out.push({
      sec: f.tsSec,
      nsec: f.tsNsec,
      linkType: f.linkType,
      bytes: f.data.toString('hex', f.offset, f.offset + f.caplen),
    });
  });
  return out;
}

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

describe('report/evidence (--evidence)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-evidence-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const capture of ['captures/mixed.pcapng', 'captures/nanosecond.pcap', 'captures/backlog-overflow.pcap']) {
    it(`${capture}: exactly the listed attempts' frames, original bytes and times`, async function () {
      const out = join(dir, `${capture.replace(/\W/g, '_')}.pcap`);
      const r = synscope([
        'read',
        capture,
        '--format',
        'json',
        '--only',
        'refused,rejected,dropped,timed-out,aborted',
        '--evidence',
        out,
      ]);
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      const wanted = report.handshakes.flatMap((h) => h.frames).sort((a, b) => a - b);
      assert.ok(wanted.length > 0, 'the capture has failures');
      const original = await records(capture);
      const written = await records(out);
      assert.deepEqual(
        written,
        wanted.map((n) => original[n - 1]),
        'the same packets, in capture order',
      );

      if (has('tcpdump')) {
        const td = spawnSync('tcpdump', ['-nn', '-r', out], { encoding: 'utf8' });
        assert.equal(td.status, 0, td.stderr);
        assert.equal(td.stdout.trim().split('\n').length, wanted.length, 'tcpdump reads every packet');
      } else this.skip();
    });
  }

  it('tshark reads it too, with the same timestamps as the original frames', function () {
    if (!has('tshark')) this.skip();
    const out = join(dir, 'tshark.pcap');
    const r = synscope([
      'read',
      'captures/nanosecond.pcap',
      '--evidence',
      out,
      '--format',
      'json',
      '--only',
      'refused',
    ]);
    const frames = (JSON.parse(r.stdout) as Report).handshakes.flatMap((h) => h.frames);
    const times = (file: string, filter?: string): string[] => {
      const args = ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch'];
      if (filter !== undefined) args.push('-Y', filter);
      const t = spawnSync('tshark', args, { encoding: 'utf8' });
      assert.equal(t.status, 0, t.stderr);
      return t.stdout.trim().split('\n');
    };
    assert.deepEqual(times(out), times('captures/nanosecond.pcap', `frame.number in {${frames.join(',')}}`));
  });

  it('re-reading the evidence gives the same verdicts', () => {
    const out = join(dir, 'again.pcap');
    const first = JSON.parse(
      synscope(['read', 'captures/backlog-overflow.pcap', '--format', 'json', '--only', 'dropped', '--evidence', out])
        .stdout,
    ) as Report;
    const again = JSON.parse(synscope(['read', out, '--format', 'json', '--only', 'dropped']).stdout) as Report;
    assert.deepEqual(
      again.handshakes.map((h) => [h.client.port, h.outcome]),
      first.handshakes.map((h) => [h.client.port, h.outcome]),
    );
  });

  it('never writes over an input file', () => {
    const r = synscope(['read', 'captures/mixed.pcapng', '--evidence', 'captures/mixed.pcapng']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /mixed\.pcapng/);
    assert.ok(existsSync('captures/mixed.pcapng'));
    assert.equal(synscope(['read', 'captures/mixed.pcapng', '--format', 'json']).status, 0, 'the input is intact');
  });
});
