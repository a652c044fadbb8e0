// Property tests on the capture readers: arbitrary bytes, cut and bit-flipped captures, random record lists.
// A reader either finishes or rejects with CaptureFormatError — never another exception, never a hang —
// and its window stays within twice the input. The reading itself is src/capture's.

import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { openCapture } from '../../src/capture/open.js';
import { PcapReader } from '../../src/capture/pcap.js';
import { PcapngReader } from '../../src/capture/pcapng.js';
import { CaptureFormatError } from '../../src/errors.js';
import {
  buildPcap,
  buildPcapng,
  expected,
  gzip,
  readAll,
  samplePcapRecords,
  samplePcapngSections,
  type NgBlock,
  type NgInterface,
  type ReadResult,
} from '../helpers/capture-files.js';

const WINDOW = 64;

/** Reads bytes as stdin in chunks of `chunk` bytes, with a tiny window so growth and compaction happen. */
function read(bytes: Buffer, chunk: number): Promise<ReadResult> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  return readAll(() => openCapture('-', { stdin: Readable.from(chunks), windowBytes: WINDOW }));
}

/** The contract every input must meet, whatever its bytes. */
function assertWellBehaved(r: ReadResult, inputLength: number): void {
  if (r.error !== null && !(r.error instanceof CaptureFormatError)) {
    const e = r.error;
    assert.fail(
      `not a CaptureFormatError: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e)}`,
    );
  }
  if (r.error instanceof CaptureFormatError) {
    assert.equal(r.error.file, '-');
    assert.ok(r.error.offset >= 0 && r.error.offset <= inputLength, `offset ${r.error.offset} outside the input`);
  }
  const s = r.source;
  if (s instanceof PcapReader || s instanceof PcapngReader) {
    assert.ok(
      s.window.capacity <= Math.max(WINDOW, 2 * inputLength),
      `window of ${s.window.capacity} bytes for ${inputLength} bytes of input`,
    );
    assert.equal(s.packets, r.frames.length);
  }
  for (const f of r.frames) {
    assert.ok(f.tsNsec >= 0 && f.tsNsec < 1e9 && Number.isInteger(f.tsNsec), `tsNsec ${f.tsNsec}`);
    assert.ok(Number.isInteger(f.tsSec), `tsSec ${f.tsSec}`);
  }
}

const MAGICS = [
  Buffer.from('a1b2c3d4', 'hex'),
  Buffer.from('d4c3b2a1', 'hex'),
  Buffer.from('a1b23c4d', 'hex'),
  Buffer.from('4d3cb2a1', 'hex'),
  Buffer.from('0a0d0d0a', 'hex'),
  Buffer.from('1f8b', 'hex'),
  Buffer.alloc(0),
];

/** Valid captures of every kind, the raw material for cuts and flips. */
const VALID: Buffer[] = [
  buildPcap(samplePcapRecords(false)).bytes,
  buildPcap(samplePcapRecords(true), { nanosecond: true, bigEndian: true }).bytes,
  buildPcapng(samplePcapngSections()).bytes,
  buildPcapng(samplePcapngSections({ firstBigEndian: true })).bytes,
];

describe('capture readers: properties', function () {
  this.timeout(120_000);

  it('arbitrary bytes behind any magic: finish or CaptureFormatError, nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...MAGICS),
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 1, max: 64 }),
        async (magic, body, chunk) => {
          const bytes = Buffer.concat([magic, Buffer.from(body)]);
          assertWellBehaved(await read(bytes, chunk), bytes.length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('arbitrary bytes in a gzip stream: finish or CaptureFormatError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...MAGICS.slice(0, 5)),
        fc.uint8Array({ maxLength: 600 }),
        async (magic, body) => {
          const inner = Buffer.concat([magic, Buffer.from(body)]);
          assertWellBehaved(await read(gzip(inner), 97), inner.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a valid capture cut anywhere: a prefix of its frames, then a clean end or CaptureFormatError', async () => {
    const built = [
      buildPcap(samplePcapRecords(false)),
      buildPcap(samplePcapRecords(true), { nanosecond: true, bigEndian: true }),
      buildPcapng(samplePcapngSections()),
      buildPcapng(samplePcapngSections({ firstBigEndian: true })),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: built.length - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 40 }),
        async (which, where, chunk) => {
          const c = built[which]!;
          const cut = Math.floor(where * c.bytes.length);
          const r = await read(c.bytes.subarray(0, cut), chunk);
          assertWellBehaved(r, cut);
          assert.deepEqual(r.frames, c.frames.slice(0, r.frames.length).map(expected));
          assert.equal(r.frames.length, c.frames.filter((f) => f.end <= cut).length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a valid capture with flipped bits and a cut: finish or CaptureFormatError, window bounded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...VALID),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        async (valid, flips, cutAt, compress) => {
          const bytes = Buffer.from(valid);
          for (const [at, bit] of flips) {
            const i = at % bytes.length;
            bytes[i] = bytes[i]! ^ (1 << bit);
          }
          const input = cutAt === undefined ? bytes : bytes.subarray(0, cutAt % (bytes.length + 1));
          assertWellBehaved(await read(compress ? gzip(input) : input, 53), input.length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('length fields set to extremes: rejected at once, no giant allocation', async () => {
    const extremes = [0, 1, 3, 11, 12, 13, 0x7ffffff0, 0xfffffffc, 0xffffffff, 16 * 1024 * 1024 + 4];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...VALID),
        fc.nat(),
        fc.constantFrom(...extremes),
        fc.boolean(),
        async (valid, at, value, bigEndian) => {
          const bytes = Buffer.from(valid);
          const i = (at % Math.floor(bytes.length / 4)) * 4; // any aligned 32-bit field, lengths among them
          if (bigEndian) bytes.writeUInt32BE(value, i);
          else bytes.writeUInt32LE(value, i);
          const before = process.memoryUsage().arrayBuffers;
          assertWellBehaved(await read(bytes, 4096), bytes.length);
          assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random pcap records round-trip through the builder and the reader', async () => {
    const record = fc.record({
      tsSec: fc.nat({ max: 0xffffffff }),
      frac: fc.nat({ max: 999_999_999 }),
      data: fc.uint8Array({ maxLength: 300 }),
      extra: fc.nat({ max: 2000 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 30 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 700 }),
        async (records, nanosecond, bigEndian, chunk) => {
          const c = buildPcap(
            records.map((r) => ({
              tsSec: r.tsSec,
              tsSub: nanosecond ? r.frac : Math.floor(r.frac / 1000),
              data: Buffer.from(r.data),
              origLen: r.data.length + r.extra,
            })),
            { nanosecond, bigEndian },
          );
          const r = await read(c.bytes, chunk);
          assert.equal(r.error, null);
          assert.deepEqual(r.frames, c.frames.map(expected));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('random pcapng sections round-trip through the builder and the reader', async () => {
    const iface: fc.Arbitrary<NgInterface> = fc.record({
      linkType: fc.constantFrom(0, 1, 101, 113, 228, 229, 276),
      snaplen: fc.constantFrom(0, 64, 262144),
      tsresol: fc.option(fc.oneof(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0x80, max: 0x80 + 63 })), {
        nil: undefined,
      }),
      tsoffset: fc.option(fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), { nil: undefined }),
    });
    const section = fc.record({
      bigEndian: fc.boolean(),
      interfaces: fc.array(iface, { minLength: 1, maxLength: 4 }),
      packets: fc.array(
        fc.record({
          kind: fc.constantFrom('epb' as const, 'pb' as const, 'spb' as const),
          iface: fc.nat(),
          ts: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          data: fc.uint8Array({ maxLength: 120 }),
        }),
        { maxLength: 12 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(section, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 500 }),
        async (sections, chunk) => {
          const c = buildPcapng(
            sections.map((s) => ({
              bigEndian: s.bigEndian,
              blocks: [
                ...s.interfaces.map((i): NgBlock => ({ kind: 'idb', ...i })),
                ...s.packets.map((p): NgBlock => {
                  const data = Buffer.from(p.data);
                  const snap = s.interfaces[0]!.snaplen ?? 0;
                  if (p.kind === 'spb')
                    return { kind: 'spb', data: snap !== 0 && data.length > snap ? data.subarray(0, snap) : data };
                  const ifc = s.interfaces[p.iface % s.interfaces.length]!;
                  // Keep whole seconds below 2^53, where a double (Frame.tsSec) is still exact.
                  const resol = ifc.tsresol ?? 6;
                  const coarse = (resol & 0x80) === 0 ? resol < 4 : (resol & 0x7f) < 11;
                  return {
                    kind: p.kind,
                    iface: p.iface % s.interfaces.length,
                    ts: coarse ? p.ts % (1n << 53n) : p.ts,
                    data,
                  };
                }),
              ],
            })),
          );
          const r = await read(c.bytes, chunk);
          assert.equal(r.error, null, String(r.error));
          assert.deepEqual(r.frames, c.frames.map(expected));
        },
      ),
      { numRuns: 200 },
    );
  });
});
