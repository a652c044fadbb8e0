// The markdown ticket stands alone: with --evidence its frame numbers are the evidence file's (the
// reader of the ticket has that file, not the original capture), and tshark run on the evidence file
// with the ticket's own command shows the very packets the original capture holds at the attempt's
// frames. Without --evidence the numbers stay those of the inputs.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, synscope } from '../helpers/cli.js';

interface Listed {
  file: string;
  client: { ip: string; port: number };
  start: string;
  frames: number[];
  spans?: { file: string; frames: number[] }[];
}

/** tshark's one line per packet (time, addresses, ports, flags) for the given frames of a file, in time order. */
function packets(file: string, frames: readonly number[]): string[] {
  const r = spawnSync(
    'tshark',
    [
      '-r',
      file,
      '-Y',
      `frame.number in {${frames.join(',')}}`,
      '-T',
      'fields',
      '-e',
      'frame.time_epoch',
      '-e',
      'ip.src',
      '-e',
      'ipv6.src',
      '-e',
      'tcp.srcport',
      '-e',
      'tcp.dstport',
      '-e',
      'tcp.flags',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

/** The ticket's frames per attempt: "start client" → frame numbers, from the Frames lines and the group rows. */
function ticketFrames(md: string): Map<string, { numbers: number[]; file: string | null }> {
  const out = new Map<string, { numbers: number[]; file: string | null }>();
  const groups = md.split('\n### ').slice(1);
  for (const g of groups) {
    const client = /^\d+\. [^`]*`([^`]+)`/.exec(g)![1]!;
    const start = /\*\*When:\*\* (\S+)/.exec(g)![1]!;
    const line = /\*\*Frames:\*\* ([0-9, ]+) in `([^`]+)` — `tshark -r (\S+) -Y 'frame.number in \{([0-9,]+)\}'`/.exec(
      g,
    );
    assert.ok(line, `one file and its tshark command in: ${g.slice(0, 400)}`);
    assert.equal(line[2], line[3], 'the tshark command reads the file the frames are in');
    assert.equal(line[1]!.replace(/ /g, ''), line[4], 'the command filters the frames listed');
    out.set(`${start} ${client}`, { numbers: line[4]!.split(',').map(Number), file: line[2]! });
    for (const row of g.matchAll(/^\| (\S+) \| `([^`]+)` \| \d+ \| [^|]+ \| ([0-9 ]+) \|$/gm)) {
      out.set(`${row[1]} ${row[2]}`, { numbers: row[3]!.split(' ').map(Number), file: null });
    }
  }
  return out;
}

/** The ticket's name of a listed attempt: its start and its client as the ticket prints it. */
function keyOf(h: Listed): string {
  return `${h.start} ${h.client.ip.includes(':') ? `[${h.client.ip}]` : h.client.ip}:${h.client.port}`;
}

describe('cli markdown ticket frames', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-ticket-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // backlog-overflow: one group of 6 attempts with interleaved frames; rotated-C: attempts spanning 4 files.
  for (const input of ['captures/backlog-overflow.pcap', 'captures/rotated-C', 'captures/mixed.pcapng']) {
    it(`${input}: with --evidence, the ticket's frames are the evidence file's, the original's packets`, () => {
      const evidence = join(dir, `${input.replace(/\W/g, '_')}.pcap`);
      const r = synscope(['read', input, '--format', 'markdown', '--evidence', evidence]);
      assert.equal(r.status, 0, r.stderr);
      const listed = (JSON.parse(synscope(['read', input, '--format', 'json']).stdout) as { handshakes: Listed[] })
        .handshakes;
      const byKey = new Map(listed.map((h) => [keyOf(h), h]));
      const ticket = ticketFrames(r.stdout);
      assert.ok(ticket.size >= 3, `attempts in the ticket: ${ticket.size}`);
      for (const [key, t] of ticket) {
        if (t.file !== null) assert.equal(t.file, evidence);
        const h = byKey.get(key);
        assert.ok(h, `${key} is a listed attempt`);
        const original = (h.spans ?? [h]).flatMap((s) => packets(s.file, s.frames)).sort();
        assert.equal(original.length, h.frames.length);
        assert.deepEqual(packets(evidence, t.numbers), original, key);
      }
    });
  }

  it("without --evidence, the frames and the tshark command are the original capture's", () => {
    const input = 'captures/backlog-overflow.pcap';
    const r = synscope(['read', input, '--format', 'markdown']);
    assert.equal(r.status, 0, r.stderr);
    const listed = (JSON.parse(synscope(['read', input, '--format', 'json']).stdout) as { handshakes: Listed[] })
      .handshakes;
    const byKey = new Map(listed.map((h) => [keyOf(h), h]));
    const ticket = ticketFrames(r.stdout);
    assert.equal(ticket.size, 6);
    for (const [key, t] of ticket) {
      const h = byKey.get(key);
      assert.ok(h, key);
      assert.deepEqual(t.numbers, h.frames);
      if (t.file !== null) assert.equal(t.file, input);
    }
    assert.doesNotMatch(r.stdout, /frame numbers above are this file's/);
  });

  it('stdin with --evidence: the streamed evidence file is numbered too', () => {
    const evidence = join(dir, 'stdin.pcap');
    const input = 'captures/mixed.pcapng';
    const bytes = spawnSync('cat', [input], { cwd: ROOT }).stdout;
    const r = synscope(['read', '-', '--format', 'markdown', '--evidence', evidence], bytes);
    assert.equal(r.status, 0, r.stderr);
    const listed = (JSON.parse(synscope(['read', input, '--format', 'json']).stdout) as { handshakes: Listed[] })
      .handshakes;
    const byKey = new Map(listed.map((h) => [keyOf(h), h]));
    for (const [key, t] of ticketFrames(r.stdout)) {
      const h = byKey.get(key)!;
      assert.deepEqual(packets(evidence, t.numbers), packets(input, h.frames), key);
    }
  });

  it('no "1 attempts" nor "1 packets" in the markdown or lines of any shipped capture with one of them', () => {
    for (const input of [
      'captures/established.pcap',
      'captures/refused-closed-port.pcap',
      'captures/reset-after-accept.pcap',
    ]) {
      for (const format of ['markdown', 'lines']) {
        const r = synscope(['read', input, '--format', format, '--only', 'all', '--evidence', join(dir, 'one.pcap')]);
        assert.doesNotMatch(r.stdout, /\b1 (attempts|packets|failures|groups|services|SYNs)\b/, `${input} ${format}`);
      }
    }
  });
});
