// pcapng details beyond the shared suite (conformance.test.ts): a hand-made file, timestamp units,
// block-structure checks, interface references, SPB lengths, skipped sections and blocks.

import { strict as assert } from 'node:assert';
import { PcapngReader } from '../../src/capture/pcapng.js';
import {
  assertFormatError,
  buildPcapng,
  bytesOf,
  expected,
  ngTime,
  readBytes,
  type NgBlock,
  type NgSection,
} from '../helpers/capture-files.js';

/** Hex with a comment per row; spaces and comments are dropped. */
function hex(rows: string): Buffer {
  return Buffer.from(rows.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
}

/** One section with the given blocks. */
function one(blocks: NgBlock[], bigEndian = false): Buffer {
  return buildPcapng([{ bigEndian, blocks }]).bytes;
}

/** Offset of the first block after the builder's Section Header Block (which carries an option). */
const AFTER_SHB = buildPcapng([{ blocks: [] }]).bytes.length;

describe('capture/pcapng', () => {
  it('reads a hand-made big-endian file with nanosecond if_tsresol (independent of the test builders)', async () => {
    const bytes = hex(`
      0a 0d 0d 0a   # SHB @0: block type (palindromic)
      00 00 00 1c   # total length 28
      1a 2b 3c 4d   # byte-order magic as written: big-endian section
      00 01 00 00   # version 1.0
      ff ff ff ff   # section length -1: unknown
      ff ff ff ff
      00 00 00 1c   # total length again
      00 00 00 01   # IDB @28: block type 1
      00 00 00 20   # total length 32
      00 01 00 00   # link type 1 (Ethernet), reserved
      00 00 00 00   # snaplen 0: no limit
      00 09 00 01   # option if_tsresol, length 1
      09 00 00 00   # value 9 (10^-9 s), 3 bytes of padding
      00 00 00 00   # opt_endofopt
      00 00 00 20   # total length again
      00 00 00 06   # EPB @60: block type 6
      00 00 00 24   # total length 36
      00 00 00 00   # interface 0
      18 79 9d 6e   # timestamp high } 1763613825999999999 ns
      43 b2 93 ff   # timestamp low  }
      00 00 00 03   # captured length 3
      00 00 00 40   # original length 64
      aa bb cc 00   # data, padded to 32 bits
      00 00 00 24   # total length again
    `);
    const r = await readBytes(bytes);
    assert.equal(r.error, null);
    assert.equal(r.source?.format, 'pcapng');
    assert.deepEqual(r.source?.linkTypes, [1]);
    assert.deepEqual(r.frames, [
      {
        number: 1,
        tsSec: 1763613825,
        tsNsec: 999999999,
        tsDigits: 9,
        linkType: 1,
        interfaceId: 0,
        caplen: 3,
        origLen: 64,
        data: 'aabbcc',
        fileOffset: 60,
      },
    ]);
  });

  describe('timestamps in every if_tsresol unit, exactly', () => {
    const max = (1n << 64n) - 1n;
    const cases: { tsresol: number | undefined; ts: bigint; digits: number }[] = [
      { tsresol: undefined, ts: 1_763_613_825_123_456n, digits: 6 }, // default µs, below 2^53
      { tsresol: 6, ts: max, digits: 6 }, // µs above 2^53: the limb division
      { tsresol: 9, ts: 1_763_613_825_999_999_999n, digits: 9 },
      { tsresol: 9, ts: max, digits: 9 },
      { tsresol: 0, ts: 1_763_613_825n, digits: 0 },
      { tsresol: 3, ts: 1_763_613_825_001n, digits: 3 },
      { tsresol: 1, ts: (1n << 40n) + 7n, digits: 1 },
      { tsresol: 12, ts: 22_801_123_456_789_012n, digits: 9 }, // ps: BigInt path, truncated to ns
      { tsresol: 19, ts: max, digits: 9 },
      { tsresol: 0x80 | 0, ts: 1_763_613_825n, digits: 0 },
      { tsresol: 0x80 | 10, ts: (1_763_613_825n << 10n) + 1023n, digits: 4 }, // 1/1024 s
      { tsresol: 0x80 | 20, ts: (1_000n << 20n) + 1n, digits: 7 },
      { tsresol: 0x80 | 30, ts: max, digits: 9 },
      { tsresol: 0x80 | 63, ts: max, digits: 9 },
    ];
    for (const c of cases) {
      const resol = c.tsresol === undefined ? 'absent' : `0x${c.tsresol.toString(16)}`;
      it(`if_tsresol ${resol}, timestamp ${c.ts}`, async () => {
        const ifc = c.tsresol === undefined ? { linkType: 1 } : { linkType: 1, tsresol: c.tsresol };
        for (const bigEndian of [false, true]) {
          const r = await readBytes(
            one(
              [
                { kind: 'idb', ...ifc },
                { kind: 'epb', iface: 0, ts: c.ts, data: Buffer.alloc(1) },
              ],
              bigEndian,
            ),
          );
          assert.equal(r.error, null);
          const want = ngTime(c.ts, ifc);
          assert.equal(want.tsDigits, c.digits);
          assert.deepEqual(
            [r.frames[0]?.tsSec, r.frames[0]?.tsNsec, r.frames[0]?.tsDigits],
            [want.tsSec, want.tsNsec, want.tsDigits],
          );
        }
      });
    }

    it('adds if_tsoffset seconds (64-bit signed, negative too)', async () => {
      for (const tsoffset of [1_700_000_000, -3600, -1]) {
        const r = await readBytes(
          one([
            { kind: 'idb', linkType: 1, tsresol: 9, tsoffset },
            { kind: 'epb', iface: 0, ts: 5_000_000_123n, data: Buffer.alloc(1) },
          ]),
        );
        assert.deepEqual([r.frames[0]?.tsSec, r.frames[0]?.tsNsec], [5 + tsoffset, 123]);
      }
    });
  });

  it('numbers frames as Wireshark does: packet blocks, and the custom / journal / sysdig blocks it shows', async () => {
    const c = buildPcapng([
      {
        blocks: [
          { kind: 'raw', type: 0x0000000a, body: bytesOf(8, 1) }, // Decryption Secrets Block: not a frame
          { kind: 'idb', linkType: 1 },
          { kind: 'raw', type: 4, body: Buffer.alloc(4) }, // NRB: not a frame
          { kind: 'epb', iface: 0, ts: 1n, data: bytesOf(5, 3) }, // frame 1
          { kind: 'raw', type: 5, body: Buffer.alloc(12) }, // ISB: not a frame
          { kind: 'spb', data: bytesOf(8, 5) }, // frame 2
          { kind: 'raw', type: 0x80001234, body: bytesOf(3, 6) }, // local-use block type: not a frame
          { kind: 'raw', type: 0x00000bad, body: bytesOf(8, 7) }, // Custom Block: frame 3, not delivered
          { kind: 'pb', iface: 0, ts: 2n, data: bytesOf(5, 8) }, // frame 4
          { kind: 'raw', type: 0x00000009, body: Buffer.from('__REALTIME_TIMESTAMP=1\n\n') }, // journal entry: frame 5
          { kind: 'epb', iface: 0, ts: 3n, data: bytesOf(5, 9) }, // frame 6
        ],
      },
    ]);
    const r = await readBytes(c.bytes);
    assert.equal(r.error, null);
    assert.deepEqual(
      r.frames.map((f) => f.number),
      [1, 2, 4, 6],
    );
    assert.deepEqual(r.frames, c.frames.map(expected));
    assert.ok(r.source instanceof PcapngReader);
    assert.equal(r.source.packets, 4, 'packets counts delivered packets only');
    assert.equal(r.source.otherRecords, 2);
    assert.equal(r.source.skippedBlocks, 4);
  });

  it('lists the link type of every interface, once each, in order of first appearance', async () => {
    const bytes = buildPcapng([
      {
        blocks: [
          { kind: 'idb', linkType: 1 },
          { kind: 'idb', linkType: 113 },
          { kind: 'idb', linkType: 1 },
        ],
      },
      {
        bigEndian: true,
        blocks: [
          { kind: 'idb', linkType: 276 },
          { kind: 'idb', linkType: 113 },
        ],
      },
    ]).bytes;
    const r = await readBytes(bytes);
    assert.deepEqual(r.source?.linkTypes, [1, 113, 276]);
  });

  it('reads an interface whose link type is a DLT_RAW value (12, 14) as RAW (101)', async () => {
    const bytes = buildPcapng([
      {
        blocks: [
          { kind: 'idb', linkType: 12 },
          { kind: 'idb', linkType: 14 },
          { kind: 'idb', linkType: 1 },
        ],
      },
    ]).bytes;
    const r = await readBytes(bytes);
    assert.deepEqual(r.source?.linkTypes, [101, 1]);
  });

  describe('Simple Packet Block', () => {
    it('takes interface 0 and caplen = min(original length, snaplen, room in the block)', async () => {
      const r = await readBytes(
        one([
          { kind: 'idb', linkType: 101, snaplen: 8 },
          { kind: 'spb', data: bytesOf(8, 1), origLen: 100 }, // snapped at 8 by the interface
          { kind: 'spb', data: bytesOf(8, 2), origLen: 5 }, // 5 real bytes + 3 of padding
        ]),
      );
      assert.equal(r.error, null);
      assert.deepEqual(
        r.frames.map((f) => [f.linkType, f.caplen, f.origLen, f.data]),
        [
          [101, 8, 100, bytesOf(8, 1).toString('hex')],
          [101, 5, 5, bytesOf(5, 2).toString('hex')],
        ],
      );
      const room = await readBytes(
        one([
          { kind: 'idb', linkType: 1 },
          { kind: 'spb', data: bytesOf(6, 3), origLen: 1000 },
        ]),
      );
      assert.equal(room.frames[0]?.caplen, 8, 'no snaplen: the block room, padding included, bounds the data');
    });

    it("keeps the previous packet's time (it has no timestamp of its own)", async () => {
      const r = await readBytes(
        one([
          { kind: 'idb', linkType: 1 },
          { kind: 'spb', data: bytesOf(4, 1) },
          { kind: 'epb', iface: 0, ts: 7_000_001n, data: bytesOf(4, 2) },
          { kind: 'spb', data: bytesOf(4, 3) },
        ]),
      );
      assert.deepEqual(
        r.frames.map((f) => [f.tsSec, f.tsNsec]),
        [
          [0, 0],
          [7, 1000],
          [7, 1000],
        ],
      );
    });
  });

  describe('damage, reported at the block', () => {
    const base = (): { bytes: Buffer; at: number } => {
      const c = buildPcapng([
        {
          blocks: [
            { kind: 'idb', linkType: 1 },
            { kind: 'epb', iface: 0, ts: 1n, data: bytesOf(10, 1) },
            { kind: 'epb', iface: 0, ts: 2n, data: bytesOf(10, 2) },
          ],
        },
      ]);
      return { bytes: Buffer.from(c.bytes), at: c.frames[1]!.fileOffset };
    };

    it('a total length that is not a multiple of 4', async () => {
      const { bytes, at } = base();
      bytes.writeUInt32LE(bytes.readUInt32LE(at + 4) + 1, at + 4);
      const r = await readBytes(bytes);
      assert.equal(r.frames.length, 1);
      assertFormatError(r.error, '-', at, /Enhanced Packet Block total length \d+ is not a multiple of 4/);
    });

    it("a total length below the block's minimum", async () => {
      const { bytes, at } = base();
      bytes.writeUInt32LE(28, at + 4);
      assertFormatError((await readBytes(bytes)).error, '-', at, /total length 28 is less than 32/);
      const raw = one([{ kind: 'raw', type: 99, body: Buffer.alloc(0) }]);
      raw.writeUInt32LE(8, AFTER_SHB + 4);
      assertFormatError((await readBytes(raw)).error, '-', AFTER_SHB, /less than 12/);
    });

    it('a total length above the 16 MiB limit', async () => {
      const { bytes, at } = base();
      bytes.writeUInt32LE(0x7ffffffc, at + 4);
      assertFormatError((await readBytes(bytes)).error, '-', at, /exceeds the limit of 16777216/);
    });

    it('a trailing total length that differs from the leading one', async () => {
      const { bytes, at } = base();
      const len = bytes.readUInt32LE(at + 4);
      bytes.writeUInt32LE(len + 4, at + len - 4);
      assertFormatError((await readBytes(bytes)).error, '-', at, /total length \d+ does not match its trailing copy/);
    });

    it('a captured length larger than the block', async () => {
      const { bytes, at } = base();
      bytes.writeUInt32LE(13, at + 20);
      assertFormatError((await readBytes(bytes)).error, '-', at, /captured length 13 exceeds its 12 bytes of room/);
    });

    it('a packet on an interface the section does not have', async () => {
      const { bytes, at } = base();
      bytes.writeUInt32LE(1, at + 8);
      assertFormatError(
        (await readBytes(bytes)).error,
        '-',
        at,
        /Enhanced Packet Block refers to interface 1, but its section has 1 interface at/,
      );
      const spb = one([{ kind: 'spb', data: bytesOf(4, 1) }]);
      assertFormatError(
        (await readBytes(spb)).error,
        '-',
        AFTER_SHB,
        /Simple Packet Block refers to interface 0, but its section has 0 interfaces/,
      );
      // Interface ids restart with every section: the first section's interfaces are gone.
      const two = buildPcapng([
        {
          blocks: [
            { kind: 'idb', linkType: 1 },
            { kind: 'idb', linkType: 1 },
          ],
        },
        { blocks: [{ kind: 'idb', linkType: 1 }] },
      ]).bytes;
      const donor = buildPcapng([
        {
          blocks: [
            { kind: 'idb', linkType: 1 },
            { kind: 'epb', iface: 0, ts: 1n, data: Buffer.alloc(4) },
          ],
        },
      ]);
      const epb = Buffer.from(donor.bytes.subarray(donor.frames[0]!.fileOffset));
      epb.writeUInt32LE(1, 8); // interface 1
      assertFormatError(
        (await readBytes(Buffer.concat([two, epb]))).error,
        '-',
        two.length,
        /refers to interface 1, but its section has 1 interface/,
      );
    });

    it('a Section Header Block with a bad byte-order magic', async () => {
      const first = one([
        { kind: 'idb', linkType: 1 },
        { kind: 'epb', iface: 0, ts: 1n, data: Buffer.alloc(4) },
      ]);
      const second = one([]);
      second.writeUInt32LE(0x11223344, 8);
      const r = await readBytes(Buffer.concat([first, second]));
      assert.equal(r.frames.length, 1);
      assertFormatError(r.error, '-', first.length, /bad Section Header Block byte-order magic 0x44332211/);
    });

    it('an IDB option running past the block, and an if_tsresol of the wrong length', async () => {
      const bytes = one([{ kind: 'idb', linkType: 1, ifName: 'eth0' }]);
      bytes.writeUInt16LE(200, AFTER_SHB + 16 + 2); // if_name's length
      assertFormatError((await readBytes(bytes)).error, '-', AFTER_SHB, /option 2 of length 200 overruns the block/);
      const tsresol = one([{ kind: 'idb', linkType: 1, tsresol: 9 }]);
      tsresol.writeUInt16LE(2, AFTER_SHB + 16 + 2);
      assertFormatError((await readBytes(tsresol)).error, '-', AFTER_SHB, /if_tsresol has length 2, not 1/);
    });
  });

  it('skips a section whose major version it cannot read, up to the next Section Header Block', async () => {
    const sections: NgSection[] = [
      {
        version: [2, 0],
        blocks: [
          { kind: 'idb', linkType: 113 },
          { kind: 'epb', iface: 0, ts: 1n, data: bytesOf(4, 1) },
        ],
      },
      {
        blocks: [
          { kind: 'idb', linkType: 1 },
          { kind: 'epb', iface: 0, ts: 2n, data: bytesOf(4, 2) },
        ],
      },
    ];
    const c = buildPcapng(sections);
    const r = await readBytes(c.bytes);
    assert.equal(r.error, null);
    assert.deepEqual(r.frames, c.frames.map(expected));
    assert.deepEqual(
      r.frames.map((f) => f.number),
      [1],
    );
    assert.deepEqual(r.source?.linkTypes, [1]);
    assert.ok(r.source instanceof PcapngReader);
    assert.equal(r.source.skippedSections, 1);
  });

  it('holds a 2 MiB unknown block in a window that starts at 256 bytes, then reads on', async () => {
    const c = buildPcapng([
      {
        blocks: [
          { kind: 'idb', linkType: 1 },
          { kind: 'raw', type: 0x40000bad, body: bytesOf(2 * 1024 * 1024, 1) },
          { kind: 'epb', iface: 0, ts: 1n, data: bytesOf(10, 2) },
        ],
      },
    ]);
    const r = await readBytes(c.bytes, 256);
    assert.equal(r.error, null);
    assert.deepEqual(r.frames, c.frames.map(expected));
  });
});
