// One behaviour suite every capture reader variant runs: pcap µs/ns in both byte orders and pcapng, each
// read from a file, a gzip file, stdin and gzip on stdin. Format details have their own tests (pcap.test.ts,
// pcapng.test.ts).

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { openCapture, type OpenCaptureOptions } from '../../src/capture/open.js';
import type { FrameSource } from '../../src/capture/source.js';
import {
  assertFormatError,
  buildPcap,
  buildPcapng,
  expected,
  gzip,
  readAll,
  samplePcapRecords,
  samplePcapngSections,
  type BuiltCapture,
} from '../helpers/capture-files.js';

// ---------------------------------------------------------------------------------------------
// variants

type Transport = 'file' | 'gzip file' | 'stdin' | 'gzip stdin';

interface FormatCase {
  name: string;
  build(large: boolean): BuiltCapture;
  /** Bytes of a capture whose first record claims a huge length, and that record's offset. */
  oversized(): { bytes: Buffer; at: number };
}

const pcapCase = (name: string, nanosecond: boolean, bigEndian: boolean): FormatCase => ({
  name,
  build: (large) => buildPcap(samplePcapRecords(nanosecond, { large }), { nanosecond, bigEndian }),
  oversized: () => {
    const c = buildPcap([{ tsSec: 1, tsSub: 0, data: Buffer.alloc(8) }], { nanosecond, bigEndian });
    const bytes = Buffer.from(c.bytes);
    // record header at 24: caplen at 24 + 8
    if (bigEndian) bytes.writeUInt32BE(0x7ffffff0, 32);
    else bytes.writeUInt32LE(0x7ffffff0, 32);
    return { bytes, at: 24 };
  },
});

const pcapngCase = (name: string, firstBigEndian: boolean): FormatCase => ({
  name,
  build: (large) => buildPcapng(samplePcapngSections({ large, firstBigEndian })),
  oversized: () => {
    const c = buildPcapng(samplePcapngSections({ firstBigEndian }));
    const bytes = Buffer.from(c.bytes);
    const at = c.frames[0]!.fileOffset; // the first EPB
    if (firstBigEndian) bytes.writeUInt32BE(0xfffffff0, at + 4);
    else bytes.writeUInt32LE(0xfffffff0, at + 4);
    return { bytes, at };
  },
});

const FORMATS: FormatCase[] = [
  pcapCase('pcap µs little-endian', false, false),
  pcapCase('pcap µs big-endian', false, true),
  pcapCase('pcap ns little-endian', true, false),
  pcapCase('pcap ns big-endian', true, true),
  pcapngCase('pcapng (LE section, then BE)', false),
  pcapngCase('pcapng (BE section, then LE)', true),
];
const TRANSPORTS: Transport[] = ['file', 'gzip file', 'stdin', 'gzip stdin'];

let tmp = '';
let fileCounter = 0;

/** Seeded chunk sizes (1..13 bytes for small inputs), so record boundaries fall everywhere. */
function chunked(bytes: Buffer, seed: number): Readable {
  const chunks: Buffer[] = [];
  const most = Math.max(13, bytes.length >> 6);
  let x = seed + 1;
  for (let i = 0; i < bytes.length;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const n = 1 + (x % most);
    chunks.push(bytes.subarray(i, i + n));
    i += n;
  }
  return Readable.from(chunks, { objectMode: false });
}

/**
 * Opens `bytes` through `transport`; returns the name errors must carry and the opener. Files go to
 * `path` (overwritten: loops reuse one) or a fresh name, never with a telling extension: detection is by magic.
 */
function opener(
  transport: Transport,
  bytes: Buffer,
  options: OpenCaptureOptions = {},
  path?: string,
): { name: string; open: () => Promise<FrameSource> } {
  return rawOpener(transport, transport.startsWith('gzip') ? gzip(bytes) : bytes, options, path);
}

/** Sends raw (already compressed, maybe damaged) bytes through the transport's container. */
function rawOpener(
  transport: Transport,
  payload: Buffer,
  options: OpenCaptureOptions = {},
  path?: string,
): { name: string; open: () => Promise<FrameSource> } {
  if (transport.endsWith('stdin')) {
    const seed = fileCounter++;
    return { name: '-', open: () => openCapture('-', { ...options, stdin: chunked(payload, seed) }) };
  }
  const file = path ?? join(tmp, `capture-${fileCounter++}.bin`);
  writeFileSync(file, payload);
  return { name: file, open: () => openCapture(file, options) };
}

/**
 * Every byte offset of the file; through gzip (the same inner bytes, each cut costing a zlib stream),
 * every third offset plus both sides of every record boundary, which keeps the suite under a minute.
 */
function cuts(c: BuiltCapture, gz: boolean): number[] {
  const all = Array.from({ length: c.bytes.length }, (_, i) => i);
  if (!gz) return all;
  const near = new Set(c.cleanEnds.flatMap((e) => [e - 1, e, e + 1]));
  return all.filter((i) => i % 3 === 0 || near.has(i));
}

// ---------------------------------------------------------------------------------------------
// the shared suite

type Behaviour = 'io-errors' | 'corrupt-gzip' | 'sections';

/** Behaviours that do not apply to a variant, with the reason shown in the test title. */
function skipReason(format: FormatCase, transport: Transport, behaviour: Behaviour): string | null {
  switch (behaviour) {
    case 'io-errors':
      return transport.endsWith('stdin') ? 'stdin has no path that could be missing or a directory' : null;
    case 'corrupt-gzip':
      return transport.startsWith('gzip') ? null : 'the input is not gzip-compressed';
    case 'sections':
      return format.name.startsWith('pcapng') ? null : 'classic pcap has no sections or interface ids';
  }
}

function shouldBehaveLikeACaptureReader(format: FormatCase, transport: Transport): void {
  const gz = transport.startsWith('gzip');
  const behaviour = (title: string, b: Behaviour | null, fn: () => Promise<void>): void => {
    const reason = b === null ? null : skipReason(format, transport, b);
    if (reason === null) it(title, fn);
    else it.skip(`${title} — skipped: ${reason}`);
  };

  behaviour('delivers every record: number, time, precision, link type, lengths, bytes', null, async () => {
    const c = format.build(true);
    for (const windowBytes of [undefined, 64]) {
      const { name, open } = opener(transport, c.bytes, windowBytes === undefined ? {} : { windowBytes });
      const r = await readAll(open);
      assert.equal(r.error, null, `window ${windowBytes ?? 'default'}: ${String(r.error)}`);
      assert.deepEqual(r.frames, c.frames.map(expected), `window ${windowBytes ?? 'default'}`);
      const s = r.source!;
      assert.equal(s.name, name);
      assert.equal(s.format, c.format);
      assert.equal(s.gzip, gz);
      assert.deepEqual([...s.linkTypes], c.linkTypes);
      assert.equal(s.packets, c.frames.length);
    }
  });

  behaviour('refills one Frame object for every packet', null, async () => {
    const c = format.build(false);
    const r = await readAll(opener(transport, c.bytes).open);
    assert.equal(r.error, null);
    assert.ok(r.frames.length > 1);
    assert.ok(r.oneFrame, 'a new Frame object was delivered');
  });

  behaviour('knows the link types of the interfaces in front of the first packet once opened', null, async () => {
    const c = format.build(false);
    const r = await readAll(opener(transport, c.bytes).open);
    assert.deepEqual(r.linkTypesAtOpen, c.linkTypes.slice(0, format.name.startsWith('pcapng') ? 2 : 1));
  });

  behaviour(
    'cut at every byte: the frames before the cut, then CaptureFormatError at the cut record (or a clean end on a ' +
      'boundary)',
    null,
    async () => {
      const c = format.build(false);
      const slot = join(tmp, `cut-${fileCounter++}.bin`);
      for (const cut of cuts(c, gz)) {
        const { name, open } = opener(transport, c.bytes.subarray(0, cut), {}, slot);
        const r = await readAll(open);
        const before = c.frames.filter((f) => f.end <= cut).map(expected);
        assert.deepEqual(r.frames, before, `cut at ${cut}`);
        if (c.cleanEnds.includes(cut)) {
          assert.equal(r.error, null, `cut at ${cut} is on a record boundary: ${String(r.error)}`);
          continue;
        }
        const at = Math.max(0, ...c.recordStarts.filter((s) => s < cut));
        assertFormatError(r.error, name, cut === 0 ? 0 : at, cut === 0 ? /empty file/ : /truncated/);
      }
    },
  );

  behaviour('rejects a record length of ~2 GiB at the record, without allocating it', null, async () => {
    const { bytes, at } = format.oversized();
    const { name, open } = opener(transport, bytes);
    const before = process.memoryUsage().arrayBuffers;
    const r = await readAll(open);
    assertFormatError(r.error, name, at);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'allocated what the header claimed');
  });

  behaviour('names a missing file and a directory (E_CAPTURE_IO, no offset)', 'io-errors', async () => {
    const missing = join(tmp, 'no-such-capture');
    const r1 = await readAll(() => openCapture(missing));
    const e1 = assertFormatError(r1.error, missing, -1, /no such file/);
    assert.equal(e1.code, 'E_CAPTURE_IO');
    const dir = join(tmp, `dir-${fileCounter++}`);
    mkdirSync(dir);
    const r2 = await readAll(() => openCapture(dir));
    const e2 = assertFormatError(r2.error, dir, -1, /is a directory/);
    assert.equal(e2.code, 'E_CAPTURE_IO');
  });

  behaviour(
    'reports a corrupt or cut gzip stream as CaptureFormatError after the frames before it',
    'corrupt-gzip',
    async () => {
      const c = format.build(false);
      const compressed = gzip(c.bytes);
      const slot = join(tmp, `gzip-cut-${fileCounter++}.bin`);
      for (let cut = 2; cut < compressed.length; cut += 7) {
        const { name, open } = rawOpener(transport, compressed.subarray(0, cut), {}, slot);
        const r = await readAll(open);
        // Everything the cut stream still decompresses to is read (zlib's own answer), and the error
        // names the end of it: no frame before the damage is lost.
        const inner = gunzipSync(compressed.subarray(0, cut), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
        assert.deepEqual(r.frames, c.frames.filter((f) => f.end <= inner.length).map(expected), `gzip cut at ${cut}`);
        assertFormatError(r.error, name, inner.length, /truncated gzip stream/);
      }
      // Only the 8-byte trailer missing: the whole capture is there.
      const noTrailer = rawOpener(transport, compressed.subarray(0, compressed.length - 8), {}, slot);
      const whole = await readAll(noTrailer.open);
      assert.deepEqual(whole.frames, c.frames.map(expected));
      assertFormatError(whole.error, noTrailer.name, c.bytes.length, /truncated gzip stream/);
      const flipped = Buffer.from(compressed);
      flipped[20] = flipped[20]! ^ 0xff; // inside the deflate data
      const { name, open } = rawOpener(transport, flipped);
      const r = await readAll(open);
      // Damaged deflate data may decompress to wrong bytes before the CRC check catches it: only the error is certain.
      assertFormatError(r.error, name);
    },
  );

  behaviour('restarts interface ids with every section', 'sections', async () => {
    const c = format.build(false);
    const r = await readAll(opener(transport, c.bytes).open);
    const ids = r.frames.map((f) => f.interfaceId);
    assert.ok(ids.includes(2) && ids.lastIndexOf(0) > ids.indexOf(2), `interface ids ${ids.join(',')}`);
  });
}

describe('capture readers: shared behaviour', function () {
  this.timeout(120_000);
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'synscope-conformance-'));
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const format of FORMATS) {
    for (const transport of TRANSPORTS) {
      describe(`${format.name} via ${transport}`, () => shouldBehaveLikeACaptureReader(format, transport));
    }
  }

  describe('stdin of a real child process', () => {
    it('reads "-" from process.stdin (tcpdump -w - | synscope read -)', async () => {
      const c = buildPcap(samplePcapRecords(true), { nanosecond: true });
      const script = [
        "import { openCapture } from './src/capture/open.ts';",
        "const s = await openCapture('-');",
        'const out = [];',
        'await s.run((f) => {',
        "  out.push([f.number, f.tsSec, f.tsNsec, f.caplen, f.data.toString('hex', f.offset, f.offset + f.caplen)]);",
        '});',
        'process.stdout.write(JSON.stringify({ name: s.name, format: s.format, out }));',
      ].join('\n');
      const stdout = await new Promise<string>((resolve, reject) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { cwd: process.cwd() },
          (err, out, errOut) => {
            if (err !== null) reject(new Error(`${err.message}\n${errOut}`));
            else resolve(out);
          },
        );
        child.stdin!.end(c.bytes);
      });
      const got = JSON.parse(stdout) as {
        name: string;
        format: string;
        out: [number, number, number, number, string][];
      };
      assert.equal(got.name, '-');
      assert.equal(got.format, 'pcap');
      assert.deepEqual(
        got.out,
        c.frames.map((f) => [f.number, f.tsSec, f.tsNsec, f.caplen, f.data.toString('hex')]),
      );
    });
  });
});
