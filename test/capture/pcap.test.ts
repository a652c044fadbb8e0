// Classic pcap details beyond the shared suite (conformance.test.ts): a hand-made file, the link-type
// field's upper bits, header checks, caplen limits and fraction carrying.

import { strict as assert } from 'node:assert';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../src/capture/source.js';
import { PCAP_MAX_CAPLEN } from '../../src/capture/pcap.js';
import { assertFormatError, buildPcap, bytesOf, pcapFileHeader, readBytes } from '../helpers/capture-files.js';

/** Hex with a comment per row; spaces and comments are dropped. */
function hex(rows: string): Buffer {
  return Buffer.from(rows.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
}

describe('capture/pcap', () => {
  it('reads a hand-made little-endian µs file (independent of the test builders)', async () => {
    const bytes = hex(`
      d4 c3 b2 a1   # magic a1b2c3d4 written little-endian: µs timestamps
      02 00 04 00   # version 2.4
      00 00 00 00   # thiszone
      00 00 00 00   # sigfigs
      ff ff 00 00   # snaplen 65535
      01 00 00 10   # link type 1 (Ethernet) with FCS length 1 in bits 28-31, which readers mask off
      81 9c 1e 69   # record 1 @24: ts_sec 0x691e9c81 = 1763613825 (2025-11-20T04:43:45Z)
      40 e2 01 00   # ts_usec 123456
      04 00 00 00   # caplen 4
      3c 00 00 00   # len 60 on the wire
      de ad be ef   # the 4 captured bytes
      82 9c 1e 69   # record 2 @44: ts_sec 1763613826
      00 00 00 00   # ts_usec 0
      00 00 00 00   # caplen 0
      00 00 00 00   # len 0
    `);
    const r = await readBytes(bytes);
    assert.equal(r.error, null);
    assert.deepEqual(r.source?.linkTypes, [LINKTYPE_ETHERNET]);
    assert.deepEqual(r.frames, [
      {
        number: 1,
        tsSec: 1763613825,
        tsNsec: 123456000,
        tsDigits: 6,
        linkType: 1,
        interfaceId: 0,
        caplen: 4,
        origLen: 60,
        data: 'deadbeef',
        fileOffset: 24,
      },
      {
        number: 2,
        tsSec: 1763613826,
        tsNsec: 0,
        tsDigits: 6,
        linkType: 1,
        interfaceId: 0,
        caplen: 0,
        origLen: 0,
        data: '',
        fileOffset: 44,
      },
    ]);
  });

  it('reads a hand-made big-endian ns file', async () => {
    const bytes = hex(`
      a1 b2 3c 4d   # magic a1b23c4d big-endian: ns timestamps
      00 02 00 04   # version 2.4
      00 00 00 00   # thiszone
      00 00 00 00   # sigfigs
      00 04 00 00   # snaplen 262144
      00 00 00 65   # link type 101 (raw IP)
      69 1e 9c 81   # record @24: ts_sec 1763613825
      3b 9a c9 ff   # ts_nsec 999999999
      00 00 00 02   # caplen 2
      00 00 00 02   # len 2
      45 00         # data
    `);
    const r = await readBytes(bytes);
    assert.equal(r.error, null);
    assert.deepEqual(r.source?.linkTypes, [LINKTYPE_RAW]);
    assert.deepEqual(r.frames, [
      {
        number: 1,
        tsSec: 1763613825,
        tsNsec: 999999999,
        tsDigits: 9,
        linkType: 101,
        interfaceId: 0,
        caplen: 2,
        origLen: 2,
        data: '4500',
        fileOffset: 24,
      },
    ]);
  });

  it('masks the FCS bits of the link-type field: only the lower 16 bits are the link type', async () => {
    const c = buildPcap([{ tsSec: 1, tsSub: 0, data: bytesOf(10, 1) }], { linkType: 113, linkTypeInfoBits: 0xf400 });
    const r = await readBytes(c.bytes);
    assert.deepEqual(r.source?.linkTypes, [113]);
    assert.equal(r.frames[0]?.linkType, 113);
  });

  it('reads the DLT_RAW values some writers put in the header (12, and 14 from OpenBSD) as RAW (101)', async () => {
    for (const dlt of [12, 14]) {
      const r = await readBytes(buildPcap([{ tsSec: 1, tsSub: 0, data: bytesOf(20, 0x45) }], { linkType: dlt }).bytes);
      assert.deepEqual(r.source?.linkTypes, [101], `DLT ${dlt}`);
      assert.equal(r.frames[0]?.linkType, 101, `DLT ${dlt}`);
    }
  });

  it('carries a fraction of a second or more into the seconds', async () => {
    const us = await readBytes(buildPcap([{ tsSec: 10, tsSub: 2_500_000, data: Buffer.alloc(1) }]).bytes);
    assert.deepEqual([us.frames[0]?.tsSec, us.frames[0]?.tsNsec], [12, 500_000_000]);
    const ns = await readBytes(
      buildPcap([{ tsSec: 10, tsSub: 4_294_967_295, data: Buffer.alloc(1) }], { nanosecond: true }).bytes,
    );
    assert.deepEqual([ns.frames[0]?.tsSec, ns.frames[0]?.tsNsec], [14, 294_967_295]);
  });

  it("accepts a caplen above the snaplen up to libpcap's maximum, as libpcap does", async () => {
    const c = buildPcap([{ tsSec: 1, tsSub: 0, data: bytesOf(2000, 2) }], { snaplen: 1500 });
    const r = await readBytes(c.bytes);
    assert.equal(r.error, null);
    assert.equal(r.frames[0]?.caplen, 2000);
  });

  it('rejects a caplen above the maximum at the record, naming snaplen or maximum', async () => {
    const c = buildPcap(
      [
        { tsSec: 1, tsSub: 0, data: Buffer.alloc(4) },
        { tsSec: 2, tsSub: 0, data: Buffer.alloc(4) },
      ],
      { snaplen: 65535 },
    );
    const big = Buffer.from(c.bytes);
    big.writeUInt32LE(PCAP_MAX_CAPLEN + 1, 44 + 8); // second record's caplen
    const r = await readBytes(big);
    assert.equal(r.frames.length, 1, 'the record before the damage is delivered');
    assertFormatError(r.error, '-', 44, /invalid packet record caplen 262145, bigger than the snaplen of 65535/);

    const c2 = buildPcap([{ tsSec: 1, tsSub: 0, data: Buffer.alloc(4) }], { snaplen: 0x7fffffff });
    const huge = Buffer.from(c2.bytes);
    huge.writeUInt32LE(0x7ffffff0, 24 + 8);
    assertFormatError((await readBytes(huge)).error, '-', 24, /bigger than the maximum of 262144/);
  });

  it('rejects a version other than 2.x at the version field', async () => {
    const bytes = Buffer.concat([pcapFileHeader({ version: [3, 0] })]);
    assertFormatError((await readBytes(bytes)).error, '-', 4, /unsupported pcap version 3\.0/);
  });

  it('reads a header-only file as zero packets', async () => {
    const r = await readBytes(pcapFileHeader());
    assert.equal(r.error, null);
    assert.equal(r.source?.packets, 0);
    assert.deepEqual(r.frames, []);
  });

  it('grows its window for a record larger than it, and back to records that fit', async () => {
    const c = buildPcap([
      { tsSec: 1, tsSub: 0, data: bytesOf(100, 1) },
      { tsSec: 2, tsSub: 0, data: bytesOf(PCAP_MAX_CAPLEN, 2) },
      { tsSec: 3, tsSub: 0, data: bytesOf(100, 3) },
    ]);
    const r = await readBytes(c.bytes, 256);
    assert.equal(r.error, null);
    assert.deepEqual(
      r.frames.map((f) => f.caplen),
      [100, PCAP_MAX_CAPLEN, 100],
    );
    assert.equal(r.frames[1]?.data, bytesOf(PCAP_MAX_CAPLEN, 2).toString('hex'));
  });
});
