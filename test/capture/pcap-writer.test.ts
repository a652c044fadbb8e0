// The classic pcap encodings and PcapFileWriter: header bytes against the format's layout, records cut to
// the snaplen with their original length kept, a file larger than the writer's buffer read back whole.

import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/open.js';
import { PcapFileWriter, putPcapFileHeader, putPcapRecordHeader } from '../../src/capture/pcap-writer.js';
import { LINKTYPE_RAW, type Frame } from '../../src/capture/source.js';

describe('capture/pcap-writer', () => {
  let tmp = '';
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'synscope-pcap-writer-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('file header: magic in little-endian order (µs and ns), version 2.4, zone, sigfigs, snaplen, link type', () => {
    const b = Buffer.alloc(24);
    assert.equal(putPcapFileHeader(b, 0, 1, 262144, false), 24);
    assert.equal(
      b.toString('hex'),
      'd4c3b2a1' + // magic a1b2c3d4, microseconds, written little-endian
        '0200' +
        '0400' + // version 2.4
        '00000000' + // thiszone
        '00000000' + // sigfigs
        '00000400' + // snaplen 262144
        '01000000',
    ); // link type 1 (Ethernet)
    putPcapFileHeader(b, 0, 101, 64, true);
    assert.equal(b.toString('hex'), '4d3cb2a1' + '0200' + '0400' + '00000000' + '00000000' + '40000000' + '65000000');
  });

  it('record header: seconds, sub-second units, caplen, original length; returns where the bytes go', () => {
    const b = Buffer.alloc(20);
    assert.equal(putPcapRecordHeader(b, 4, 1_764_800_000, 999_999, 60, 1514), 20);
    assert.equal(
      b.subarray(4).toString('hex'),
      '00b63069' + // ts_sec 1764800000 (0x6930b600)
        '3f420f00' + // ts_usec 999999
        '3c000000' + // caplen 60
        'ea050000',
    ); // orig len 1514
  });

  it('PcapFileWriter: records cut to the snaplen, original lengths kept, over its 1 MiB buffer read back', async () => {
    const file = join(tmp, 'out.pcap');
    const w = new PcapFileWriter(file, 64, LINKTYPE_RAW);
    const data = Buffer.alloc(200);
    const n = 20_000; // 20 000 × (16 + 64) bytes = 1.6 MB: several flushes
    for (let i = 0; i < n; i++) {
      data.writeUInt32BE(i, 0);
      w.write(1_764_800_000 + Math.floor(i / 1000), (i % 1000) * 1000, data, i % 2 === 0 ? 40 : 200);
    }
    w.close();
    assert.equal(w.packets, n);
    assert.equal(w.bytes, 24 + (n / 2) * (16 + 40) + (n / 2) * (16 + 64));
    assert.equal(readFileSync(file).length, w.bytes);
    const got: Array<[number, number, number, number, number]> = [];
    const source = await openCapture(file);
    await source.run((f: Frame) => {
      got.push([f.tsSec, f.tsNsec, f.caplen, f.origLen, f.data.readUInt32BE(f.offset)]);
    });
    assert.equal(got.length, n);
    for (const i of [0, 1, 12_345, n - 1]) {
      const len = i % 2 === 0 ? 40 : 200;
      assert.deepEqual(got[i], [
        1_764_800_000 + Math.floor(i / 1000),
        (i % 1000) * 1_000_000,
        Math.min(len, 64),
        len,
        i,
      ]);
    }
  });
});
