// Evidence writer round trips: frames written, then read back with our capture reader (and, when installed,
// opened by tcpdump and tshark); refusing to overwrite an input; atomic replacement. Writing is src/report's.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { openCapture } from '../../src/capture/open.js';
import type { Frame } from '../../src/capture/source.js';
import { CaptureFormatError, UsageError } from '../../src/errors.js';
import {
  EVIDENCE_FLUSH_MS,
  EVIDENCE_SNAPLEN,
  createEvidenceWriter,
  type EvidenceFrame,
} from '../../src/report/evidence-writer.js';
import { buildPcapng, bytesOf, readAll, samplePcapngSections } from '../helpers/capture-files.js';

/** Copies of every frame of a capture, as the tracker would keep them for --evidence. */
async function framesOf(bytes: Buffer, path: string): Promise<EvidenceFrame[]> {
  writeFileSync(path, bytes);
  const out: EvidenceFrame[] = [];
  const source = await openCapture(path);
  await source.run((f: Frame) => {
    out.push({
      tsSec: f.tsSec,
      tsNsec: f.tsNsec,
      linkType: f.linkType,
      caplen: f.caplen,
      origLen: f.origLen,
      data: Buffer.from(f.data.subarray(f.offset, f.offset + f.caplen)),
      offset: 0,
    });
  });
  return out;
}

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('report/evidence-writer', () => {
  let tmp = '';
  let input: EvidenceFrame[] = [];
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'synscope-evidence-'));
    // Several link types and timestamp units, a 300 kB packet (bigger than the writer's buffer).
    input = await framesOf(buildPcapng(samplePcapngSections({ large: true })).bytes, join(tmp, 'input.pcapng'));
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  const cases = [
    { name: 'one link type, µs: classic pcap', linkTypes: [1], nanosecond: false, format: 'pcap' },
    { name: 'one link type, ns: classic pcap with the ns magic', linkTypes: [1], nanosecond: true, format: 'pcap' },
    {
      name: 'several link types, ns: pcapng, if_tsresol 9',
      linkTypes: [1, 276, 101, 113, 0],
      nanosecond: true,
      format: 'pcapng',
    },
    { name: 'several link types, µs: pcapng', linkTypes: [1, 276, 101, 113, 0], nanosecond: false, format: 'pcapng' },
  ] as const;

  for (const c of cases) {
    it(`round-trips ${c.name}`, async () => {
      const frames = input.filter((f) => c.linkTypes.includes(f.linkType as never));
      const out = join(tmp, `${c.format}-${c.nanosecond ? 'ns' : 'us'}-${c.linkTypes.length}.pcap`);
      const w = await createEvidenceWriter(out, c.linkTypes, c.nanosecond, [join(tmp, 'input.pcapng')]);
      assert.equal(w.format, c.format);
      for (const f of frames) w.write(f);
      assert.equal(w.packets, frames.length);
      await w.close();

      const r = await readAll(() => openCapture(out));
      assert.equal(r.error, null);
      assert.equal(r.source?.format, c.format);
      assert.deepEqual([...(r.source?.linkTypes ?? [])], [...c.linkTypes]);
      assert.deepEqual(
        r.frames.map((f) => [f.tsSec, f.tsNsec, f.tsDigits, f.linkType, f.caplen, f.origLen, f.data]),
        frames.map((f) => [
          f.tsSec,
          c.nanosecond ? f.tsNsec : Math.floor(f.tsNsec / 1000) * 1000,
          c.nanosecond ? 9 : 6,
          f.linkType,
          Math.min(f.caplen, EVIDENCE_SNAPLEN), // a longer packet is stored snapped, as tcpdump would
          f.origLen,
          f.data.toString('hex', 0, EVIDENCE_SNAPLEN),
        ]),
      );
      if (c.format === 'pcapng')
        assert.deepEqual(
          r.frames.map((f) => f.interfaceId),
          frames.map((f) => c.linkTypes.indexOf(f.linkType as never)),
        );
    });
  }

  it('adds an interface for a link type it was not told about (pcapng)', async () => {
    const out = join(tmp, 'lazy.pcapng');
    const w = await createEvidenceWriter(out, [], true);
    w.write({ tsSec: 1, tsNsec: 2, linkType: 113, caplen: 3, origLen: 3, data: Buffer.from('xxabcxx'), offset: 2 });
    w.write({ tsSec: 3, tsNsec: 4, linkType: 1, caplen: 1, origLen: 60, data: Buffer.from('z'), offset: 0 });
    await w.close();
    const r = await readAll(() => openCapture(out));
    assert.equal(r.error, null);
    assert.deepEqual(r.source?.linkTypes, [113, 1]);
    assert.deepEqual(
      r.frames.map((f) => [f.linkType, f.data, f.tsNsec]),
      [
        [113, '616263', 2],
        [1, '7a', 4],
      ],
    );
  });

  it('writes an empty but valid file when no packet is listed', async () => {
    for (const linkTypes of [[], [1]]) {
      const out = join(tmp, `empty-${linkTypes.length}.pcap`);
      const w = await createEvidenceWriter(out, linkTypes, false);
      await w.close();
      const r = await readAll(() => openCapture(out));
      assert.equal(r.error, null);
      assert.equal(r.frames.length, 0);
    }
  });

  it('refuses, with UsageError, to overwrite an input: same path, relative path, symlink, hard link', async () => {
    const victim = join(tmp, 'victim.pcap');
    writeFileSync(victim, 'precious');
    const sym = join(tmp, 'sym.pcap');
    symlinkSync(victim, sym);
    const hard = join(tmp, 'hard.pcap');
    linkSync(victim, hard);
    const attempts: [string, string[]][] = [
      [victim, [victim]],
      [relative(process.cwd(), victim), [victim]],
      [victim, ['-', relative(process.cwd(), victim)]],
      [sym, [victim]],
      [victim, [sym]],
      [hard, [victim]],
    ];
    for (const [target, inputs] of attempts) {
      await assert.rejects(
        createEvidenceWriter(target, [1], false, inputs),
        (err: unknown) => err instanceof UsageError && /^refusing to overwrite the input capture /.test(err.message),
        `${target} vs ${inputs.join(',')}`,
      );
    }
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    await assert.rejects(
      createEvidenceWriter(tmp, [1], false),
      (err: unknown) => err instanceof UsageError && /is a directory/.test(err.message),
    );
  });

  it('replaces the target only on close, through a temp file in its directory; abort leaves it as it was', async () => {
    const dir = mkdtempSync(join(tmp, 'atomic-'));
    const out = join(dir, 'evidence.pcap');
    writeFileSync(out, 'old');
    const w = await createEvidenceWriter(out, [1], false);
    w.write({ tsSec: 1, tsNsec: 0, linkType: 1, caplen: 4, origLen: 4, data: bytesOf(4, 1), offset: 0 });
    assert.equal(readFileSync(out, 'utf8'), 'old', 'target untouched before close');
    assert.equal(readdirSync(dir).length, 2, 'a temp file beside the target');
    await w.close();
    assert.deepEqual(readdirSync(dir), ['evidence.pcap']);
    assert.notEqual(readFileSync(out, 'utf8'), 'old');

    const before = readFileSync(out);
    const a = await createEvidenceWriter(out, [1], false);
    a.write({ tsSec: 2, tsNsec: 0, linkType: 1, caplen: 4, origLen: 4, data: bytesOf(4, 2), offset: 0 });
    await a.abort();
    assert.deepEqual(readdirSync(dir), ['evidence.pcap']);
    assert.ok(readFileSync(out).equals(before));
  });

  it('streaming: writes the target in place, valid from the start, flushed within EVIDENCE_FLUSH_MS', async () => {
    const dir = mkdtempSync(join(tmp, 'streaming-'));
    const out = join(dir, 'live.pcap');
    writeFileSync(out, 'old content, replaced as tcpdump -w replaces it');
    const w = await createEvidenceWriter(out, [1], false, [], true);
    assert.deepEqual(readdirSync(dir), ['live.pcap'], 'no temp file');
    assert.equal(readFileSync(out).length, 24, 'the file header is there at once');
    // A record longer than the writer's 64 KiB buffer is still written whole in one piece.
    w.write({
      tsSec: 1,
      tsNsec: 0,
      linkType: 1,
      caplen: 100_000,
      origLen: 100_000,
      data: bytesOf(100_000, 3),
      offset: 0,
    });
    w.write({ tsSec: 2, tsNsec: 0, linkType: 1, caplen: 60, origLen: 60, data: bytesOf(60, 4), offset: 0 });
    await new Promise((resolve) => setTimeout(resolve, EVIDENCE_FLUSH_MS + 100));
    // Read back before close, as a killed process would leave it.
    const r = await readAll(() => openCapture(out));
    assert.equal(r.error, null);
    assert.deepEqual(
      r.frames.map((f) => f.caplen),
      [100_000, 60],
    );
    await w.close();
    assert.deepEqual(readdirSync(dir), ['live.pcap']);
  });

  it('throws a plain Error for a second link type in a classic pcap, leaving no temp file', async () => {
    const dir = mkdtempSync(join(tmp, 'mismatch-'));
    const w = await createEvidenceWriter(join(dir, 'e.pcap'), [1], false);
    assert.throws(
      () => w.write({ tsSec: 1, tsNsec: 0, linkType: 113, caplen: 0, origLen: 0, data: Buffer.alloc(0), offset: 0 }),
      (err: unknown) => err instanceof Error && !(err instanceof UsageError) && /one link type/.test(err.message),
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('reports a target it cannot create as CaptureFormatError (E_CAPTURE_IO) naming it', async () => {
    const out = join(tmp, 'no-such-dir', 'e.pcap');
    await assert.rejects(
      createEvidenceWriter(out, [1], false),
      (err: unknown) =>
        err instanceof CaptureFormatError && err.code === 'E_CAPTURE_IO' && err.file === out && err.offset === -1,
    );
    assert.equal(existsSync(out), false);
  });

  const kinds = [
    { what: 'a classic pcap', linkTypes: [1], nanosecond: true },
    { what: 'a pcapng of several link types', linkTypes: [1, 276, 101, 113, 0], nanosecond: false },
  ];
  for (const tool of ['tcpdump', 'tshark']) {
    for (const { what, linkTypes, nanosecond } of kinds) {
      const present = has(tool);
      const why = !present
        ? `${tool} is not installed`
        : tool === 'tcpdump' && linkTypes.length > 1
          ? 'libpcap (1.10) refuses pcapng files whose interfaces have different link types'
          : null;
      (why === null ? it : it.skip)(
        `writes ${what} that ${tool} opens${why === null ? '' : ` — skipped: ${why}`}`,
        async () => {
          const frames = input.filter((f) => linkTypes.includes(f.linkType));
          const out = join(tmp, `${tool}-${linkTypes.length}.pcap`);
          const w = await createEvidenceWriter(out, linkTypes, nanosecond);
          for (const f of frames) w.write(f);
          await w.close();
          const args = tool === 'tcpdump' ? ['--count', '-r', out] : ['-r', out, '-T', 'fields', '-e', 'frame.number'];
          const text = execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
          const count =
            tool === 'tcpdump'
              ? Number(/(\d+) packets?/.exec(text)?.[1])
              : text
                  .trim()
                  .split('\n')
                  .filter((l) => l !== '').length;
          assert.equal(count, frames.length, `${tool} ${out}`);
        },
      );
    }
  }
});
