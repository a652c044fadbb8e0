// Several inputs as one timeline (src/capture/merge.ts): the k-way merge on timestamps with ties
// by input order, as mergecap merges; rotated files one at a time; pcap and pcapng, gzip and not;
// damage in one input ends that input only.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Timeline } from '../../src/capture/merge.js';
import { openCapture } from '../../src/capture/open.js';
import type { PullSource } from '../../src/capture/source.js';
import type { CaptureFormatError } from '../../src/errors.js';
import { buildPcap, buildPcapng, gzip, type PcapRecord } from '../helpers/capture-files.js';

/** A record at `ms` milliseconds past a fixed second, its payload tagging it. */
const rec = (ms: number, tag: string): PcapRecord => ({
  tsSec: 1_700_000_000 + Math.floor(ms / 1000),
  tsSub: (ms % 1000) * 1000,
  data: Buffer.from(tag),
});

interface Seen {
  tags: string[];
  /** `${fileIndex}:${number}` per frame, in delivery order. */
  refs: string[];
  done: { index: number; packets: number; error: string | null }[];
  maxOpen: number;
}

async function merge(paths: readonly string[], windowBytes?: number): Promise<Seen> {
  const seen: Seen = { tags: [], refs: [], done: [], maxOpen: 0 };
  const t = new Timeline(
    paths.length,
    (i): Promise<PullSource> => openCapture(paths[i]!, windowBytes === undefined ? {} : { windowBytes }),
    {
      done: (index: number, source: PullSource | null, error: CaptureFormatError | null) => {
        seen.done.push({ index, packets: source?.packets ?? 0, error: error === null ? null : error.message });
      },
    },
  );
  await t.run((f) => {
    seen.tags.push(f.data.toString('latin1', f.offset, f.offset + f.caplen));
    seen.refs.push(`${f.fileIndex}:${f.number}`);
  });
  seen.maxOpen = t.maxOpen;
  return seen;
}

describe('capture/merge: several inputs, one timeline', () => {
  let dir: string;
  const file = (name: string, bytes: Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-merge-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('rotated files, given in any order: in the order of their first packet, one open at a time', async () => {
    const a = file('a.pcap', buildPcap([rec(0, 'a1'), rec(10, 'a2')]).bytes);
    const b = file('b.pcap', buildPcap([rec(20, 'b1'), rec(30, 'b2')]).bytes);
    const c = file('c.pcap.gz', gzip(buildPcap([rec(40, 'c1')]).bytes));
    const s = await merge([c, a, b]);
    assert.deepEqual(s.tags, ['a1', 'a2', 'b1', 'b2', 'c1']);
    assert.deepEqual(s.refs, ['1:1', '1:2', '2:1', '2:2', '0:1'], 'frame numbers stay per file');
    assert.equal(s.maxOpen, 1);
    assert.deepEqual(
      s.done.map((d) => [d.index, d.packets]),
      [
        [1, 2],
        [2, 2],
        [0, 1],
      ],
    );
  });

  it('overlapping files: packet by packet by time; equal times by input order (mergecap)', async () => {
    const a = file('if1.pcap', buildPcap([rec(0, 'a0'), rec(5, 'a5'), rec(5, 'a5b'), rec(9, 'a9')]).bytes);
    const ng = buildPcapng([
      {
        blocks: [
          { kind: 'idb', linkType: 1 },
          { kind: 'epb', iface: 0, ts: 1_700_000_000_002_000n, data: Buffer.from('b2') },
          { kind: 'epb', iface: 0, ts: 1_700_000_000_005_000n, data: Buffer.from('b5') },
          { kind: 'epb', iface: 0, ts: 1_700_000_000_012_000n, data: Buffer.from('b12') },
        ],
      },
    ]);
    const b = file('if2.pcapng', ng.bytes);
    const s = await merge([a, b]);
    assert.deepEqual(s.tags, ['a0', 'b2', 'a5', 'a5b', 'b5', 'a9', 'b12']);
    assert.equal(s.maxOpen, 2);
    const r = await merge([b, a]);
    assert.deepEqual(r.tags, ['a0', 'b2', 'b5', 'a5', 'a5b', 'a9', 'b12'], 'ties go to the input given first');
  });

  it('a file that starts inside another one opens then, and the earlier one stays open', async () => {
    const long = file('long.pcap', buildPcap([rec(0, 'L0'), rec(100, 'L100'), rec(300, 'L300')]).bytes);
    const short = file('short.pcap', buildPcap([rec(150, 'S150'), rec(200, 'S200')]).bytes);
    const late = file('late.pcap', buildPcap([rec(400, 'Z400')]).bytes);
    const s = await merge([late, short, long], 64);
    assert.deepEqual(s.tags, ['L0', 'L100', 'S150', 'S200', 'L300', 'Z400']);
    assert.equal(s.maxOpen, 2);
  });

  it('empty files, unreadable ones and damage: each input ends alone, the others go on', async () => {
    const good = file('good.pcap', buildPcap([rec(0, 'g0'), rec(50, 'g50')]).bytes);
    const empty = file('empty.pcap', buildPcap([]).bytes);
    const whole = buildPcap([rec(10, 'd10'), rec(20, 'd20'), rec(30, 'd30')]).bytes;
    const cut = file('cut.pcap', whole.subarray(0, whole.length - 2));
    const junk = file('junk.pcap', Buffer.from('not a capture at all'));
    const s = await merge([good, empty, cut, junk, join(dir, 'missing.pcap')]);
    assert.deepEqual(
      s.tags,
      ['g0', 'd10', 'd20', 'g50'],
      'the packets before the damage, and the rest of the timeline',
    );
    const byIndex = new Map(s.done.map((d) => [d.index, d]));
    assert.equal(byIndex.size, 5, 'every input is done once');
    assert.match(byIndex.get(2)?.error ?? '', /cut\.pcap: truncated packet record at byte \d+/);
    assert.equal(byIndex.get(2)?.packets, 2);
    assert.match(byIndex.get(3)?.error ?? '', /junk\.pcap: not a pcap or pcapng capture/);
    assert.match(byIndex.get(4)?.error ?? '', /missing\.pcap/);
    assert.equal(byIndex.get(1)?.error, null);
    assert.equal(byIndex.get(1)?.packets, 0);
  });

  it('thousands of rotated files never hold more than one open', async () => {
    const paths: string[] = [];
    for (let i = 0; i < 300; i++)
      paths.push(file(`r-${i}.pcap`, buildPcap([rec(2 * i, `${i}a`), rec(2 * i + 1, `${i}b`)]).bytes));
    const s = await merge([...paths].reverse());
    assert.equal(s.tags.length, 600);
    assert.deepEqual(s.tags.slice(0, 4), ['0a', '0b', '1a', '1b']);
    assert.equal(s.maxOpen, 1);
  });
});
