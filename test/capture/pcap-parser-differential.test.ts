// Differential test: our classic-pcap reader against the pcap-parser npm package (an independent reader),
// on generated files and on every captures/*.pcap[.gz] found at run time. pcap-parser does the reference reading.

import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { parse, type GlobalHeader, type Packet } from 'pcap-parser';
import { buildPcap, bytesOf, readBytes, samplePcapRecords, type PcapRecord } from '../helpers/capture-files.js';

interface Reference {
  header: GlobalHeader;
  packets: Packet[];
}

/**
 * pcap-parser knows only the µs magic; for a ns file it gets a copy with the magic swapped to µs in the
 * same byte order, and its "timestampMicroseconds" is then the raw nanosecond field.
 */
function reference(bytes: Buffer): Promise<Reference> {
  const copy = Buffer.from(bytes);
  const magic = copy.readUInt32BE(0);
  if (magic === 0xa1b23c4d) copy.writeUInt32BE(0xa1b2c3d4, 0);
  if (magic === 0x4d3cb2a1) copy.writeUInt32BE(0xd4c3b2a1, 0);
  return new Promise((resolve, reject) => {
    const packets: Packet[] = [];
    let header: GlobalHeader | null = null;
    const parser = parse(Readable.from([copy]));
    parser.on('globalHeader', (h) => {
      header = h;
    });
    parser.on('packet', (p) => {
      packets.push({ header: { ...p.header }, data: Buffer.from(p.data) });
    });
    parser.on('error', reject);
    parser.on('end', () => {
      if (header === null) reject(new Error('pcap-parser saw no header'));
      else resolve({ header, packets });
    });
  });
}

function isNanosecond(bytes: Buffer): boolean {
  const magic = bytes.readUInt32BE(0);
  return magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
}

/** Reads with both readers and compares every record: time (as one integer), lengths, bytes. */
async function compare(bytes: Buffer, label: string): Promise<number> {
  const ns = isNanosecond(bytes);
  const ref = await reference(bytes);
  const ours = await readBytes(bytes);
  assert.equal(ours.error, null, `${label}: ${String(ours.error)}`);
  assert.equal(ours.frames.length, ref.packets.length, `${label}: packet count`);
  assert.deepEqual(ours.source?.linkTypes, [ref.header.linkLayerType & 0xffff], `${label}: link type`);
  const unit = ns ? 1_000_000_000n : 1_000_000n;
  for (let i = 0; i < ref.packets.length; i++) {
    const p = ref.packets[i]!;
    const f = ours.frames[i]!;
    const where = `${label}: frame ${i + 1}`;
    assert.equal(f.number, i + 1, where);
    // pcap-parser leaves the raw fields; a fraction of a second or more is carried by our reader.
    const theirs = BigInt(p.header.timestampSeconds) * unit + BigInt(p.header.timestampMicroseconds);
    const mine = BigInt(f.tsSec) * unit + BigInt(ns ? f.tsNsec : f.tsNsec / 1000);
    assert.equal(mine, theirs, `${where}: time`);
    assert.equal(f.tsDigits, ns ? 9 : 6, where);
    assert.equal(f.caplen, p.header.capturedLength, `${where}: caplen`);
    assert.equal(f.origLen, p.header.originalLength, `${where}: origLen`);
    assert.equal(f.data, p.data.toString('hex'), `${where}: bytes`);
  }
  return ref.packets.length;
}

/** Records of random lengths (0..1600, one of 65535), times and snap lengths, from a seed. */
function randomRecords(seed: number, count: number, nanosecond: boolean): PcapRecord[] {
  let x = seed;
  const next = (m: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % m;
  };
  const records: PcapRecord[] = [];
  let sec = 1_700_000_000 + next(100_000_000);
  for (let i = 0; i < count; i++) {
    sec += next(3);
    const len = i === 7 ? 65535 : next(1601);
    const caplen = next(4) === 0 ? Math.min(len, 96) : len;
    records.push({
      tsSec: sec,
      tsSub: next(nanosecond ? 1_000_000_000 : 1_000_000),
      data: bytesOf(caplen, seed * 1000 + i),
      origLen: len,
    });
  }
  return records;
}

describe('capture/pcap against pcap-parser', () => {
  describe('generated captures', () => {
    for (const nanosecond of [false, true]) {
      for (const bigEndian of [false, true]) {
        const kind = `${nanosecond ? 'ns' : 'µs'} ${bigEndian ? 'big' : 'little'}-endian`;
        it(`${kind}: the sample records`, async () => {
          await compare(
            buildPcap(samplePcapRecords(nanosecond, { large: true }), { nanosecond, bigEndian }).bytes,
            kind,
          );
        });
        it(`${kind}: 20 files of random records`, async () => {
          for (let seed = 1; seed <= 20; seed++) {
            const bytes = buildPcap(randomRecords(seed, 40, nanosecond), {
              nanosecond,
              bigEndian,
              linkType: [1, 101, 113, 276][seed % 4],
            }).bytes;
            await compare(bytes, `${kind} seed ${seed}`);
          }
        });
      }
    }
  });

  describe('captures/ (walked when the tests run)', () => {
    const dir = fileURLToPath(new URL('../../captures/', import.meta.url));
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((n) => /\.pcap(\.gz)?$/.test(n))
        .sort();
    } catch {
      names = [];
    }
    if (names.length === 0)
      it.skip('every captures/*.pcap — skipped: none there yet (scripts/capture/make-captures.sh makes them)');
    for (const name of names) {
      const raw = readFileSync(dir + name);
      const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
      const magic = bytes.length >= 4 ? bytes.readUInt32BE(0) : 0;
      const classic = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1].includes(magic);
      if (!classic) {
        it.skip(
          `${name} — skipped: it holds pcapng (magic 0x${magic.toString(16)}), and pcap-parser reads classic pcap only`,
        );
        continue;
      }
      it(name, async () => {
        const n = await compare(bytes, name);
        assert.ok(n > 0, `${name} has no packets`);
      });
    }
  });
});
