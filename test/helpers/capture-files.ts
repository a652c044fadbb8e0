// Test builders: classic pcap (µs/ns, either byte order) and pcapng (sections in either byte order,
// interfaces with their own link type / if_tsresol / if_tsoffset, EPB, SPB, PB, unknown blocks) from records,
// each returned with the frames a correct reader must deliver; plus readAll() to read them back through
// src/capture (which does the parsing) and compare.

import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { openCapture } from '../../src/capture/open.js';
import type { Frame, FrameSource } from '../../src/capture/source.js';
import { CaptureFormatError } from '../../src/errors.js';

/** What a reader must deliver for one packet (Frame's fields, with the bytes copied). */
export interface ExpectedFrame {
  number: number;
  tsSec: number;
  tsNsec: number;
  tsDigits: number;
  linkType: number;
  interfaceId: number;
  caplen: number;
  origLen: number;
  data: Buffer;
  /** Absolute offset of the record / block holding the packet. */
  fileOffset: number;
  /** Offset just past the record / block. */
  end: number;
}

export interface BuiltCapture {
  bytes: Buffer;
  format: 'pcap' | 'pcapng';
  frames: ExpectedFrame[];
  /** Distinct link types of the interfaces, in order of first appearance. */
  linkTypes: number[];
  /** Start offset of every record / block (the file header is at 0), ascending. */
  recordStarts: number[];
  /** Offsets where the input may end cleanly: the end of the file header / first SHB and of every record after it. */
  cleanEnds: number[];
}

// ---------------------------------------------------------------------------------------------
// classic pcap

export interface PcapRecord {
  tsSec: number;
  /** The raw second field: microseconds, or nanoseconds in a ns file. */
  tsSub: number;
  data: Buffer;
  /** Defaults to data.length. */
  origLen?: number;
}

export interface PcapOptions {
  nanosecond?: boolean;
  bigEndian?: boolean;
  linkType?: number;
  /** Upper 16 bits of the link-type field (FCS length etc.), which readers must mask off. */
  linkTypeInfoBits?: number;
  snaplen?: number;
  version?: [number, number];
}

export function pcapFileHeader(options: PcapOptions = {}): Buffer {
  const h = Buffer.alloc(24);
  const le = options.bigEndian !== true;
  const w32 = (v: number, p: number): void => void (le ? h.writeUInt32LE(v >>> 0, p) : h.writeUInt32BE(v >>> 0, p));
  const w16 = (v: number, p: number): void => void (le ? h.writeUInt16LE(v, p) : h.writeUInt16BE(v, p));
  w32(options.nanosecond === true ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(options.version?.[0] ?? 2, 4);
  w16(options.version?.[1] ?? 4, 6);
  w32(0, 8); // thiszone
  w32(0, 12); // sigfigs
  w32(options.snaplen ?? 262144, 16);
  w32(((options.linkTypeInfoBits ?? 0) << 16) | (options.linkType ?? 1), 20);
  return h;
}

export function buildPcap(records: readonly PcapRecord[], options: PcapOptions = {}): BuiltCapture {
  const le = options.bigEndian !== true;
  const ns = options.nanosecond === true;
  const linkType = options.linkType ?? 1;
  const parts: Buffer[] = [pcapFileHeader(options)];
  const frames: ExpectedFrame[] = [];
  const recordStarts = [0];
  const cleanEnds = [24];
  let offset = 24;
  for (const r of records) {
    const h = Buffer.alloc(16);
    const w32 = (v: number, p: number): void => void (le ? h.writeUInt32LE(v >>> 0, p) : h.writeUInt32BE(v >>> 0, p));
    const origLen = r.origLen ?? r.data.length;
    w32(r.tsSec, 0);
    w32(r.tsSub, 4);
    w32(r.data.length, 8);
    w32(origLen, 12);
    parts.push(h, r.data);
    const unit = ns ? 1e9 : 1e6;
    frames.push({
      number: frames.length + 1,
      tsSec: r.tsSec + Math.floor(r.tsSub / unit),
      tsNsec: (r.tsSub % unit) * (ns ? 1 : 1000),
      tsDigits: ns ? 9 : 6,
      linkType,
      interfaceId: 0,
      caplen: r.data.length,
      origLen,
      data: Buffer.from(r.data),
      fileOffset: offset,
      end: offset + 16 + r.data.length,
    });
    recordStarts.push(offset);
    offset += 16 + r.data.length;
    cleanEnds.push(offset);
  }
  return { bytes: Buffer.concat(parts), format: 'pcap', frames, linkTypes: [linkType], recordStarts, cleanEnds };
}

// ---------------------------------------------------------------------------------------------
// pcapng

export interface NgInterface {
  linkType: number;
  /** 0 = no limit (the default). */
  snaplen?: number;
  /** Raw if_tsresol byte; absent = no option (10^-6). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: number;
  /** Adds an if_name option before the others (options the reader must walk past). */
  ifName?: string;
  /** Leave out opt_endofopt (readers must stop at the end of the block). */
  noEndOfOpt?: boolean;
}

export type NgBlock =
  | ({ kind: 'idb' } & NgInterface)
  | {
      kind: 'epb';
      iface: number;
      /** timestamp in the interface's units */ ts: bigint;
      data: Buffer;
      origLen?: number;
      comment?: string;
    }
  | { kind: 'pb'; iface: number; ts: bigint; data: Buffer; origLen?: number }
  | { kind: 'spb'; data: Buffer; origLen?: number }
  | { kind: 'raw'; type: number; body: Buffer };

export interface NgSection {
  bigEndian?: boolean;
  version?: [number, number];
  blocks: NgBlock[];
}

class Writer {
  private readonly parts: Buffer[] = [];
  length = 0;
  constructor(readonly le: boolean) {}
  u32(v: number): this {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0, 0);
    else b.writeUInt32BE(v >>> 0, 0);
    return this.bytes(b);
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v, 0);
    else b.writeUInt16BE(v, 0);
    return this.bytes(b);
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    if (this.le) b.writeBigInt64LE(v, 0);
    else b.writeBigInt64BE(v, 0);
    return this.bytes(b);
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  padded(b: Buffer): this {
    this.bytes(b);
    const pad = (4 - (b.length % 4)) % 4;
    return pad > 0 ? this.bytes(Buffer.alloc(pad)) : this;
  }
  option(code: number, value: Buffer): this {
    return this.u16(code).u16(value.length).padded(value);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Wraps a block body: type, total length, body, total length. */
function block(le: boolean, type: number, body: Buffer): Buffer {
  const w = new Writer(le);
  w.u32(type)
    .u32(body.length + 12)
    .bytes(body)
    .u32(body.length + 12);
  return w.done();
}

function idbBody(le: boolean, ifc: NgInterface): Buffer {
  const w = new Writer(le);
  w.u16(ifc.linkType)
    .u16(0)
    .u32(ifc.snaplen ?? 0);
  if (ifc.ifName !== undefined) w.option(2, Buffer.from(ifc.ifName));
  if (ifc.tsresol !== undefined) w.option(9, Buffer.from([ifc.tsresol]));
  if (ifc.tsoffset !== undefined) {
    const v = new Writer(le).i64(BigInt(ifc.tsoffset)).done();
    w.option(14, v);
  }
  if (ifc.noEndOfOpt !== true) w.u16(0).u16(0);
  return w.done();
}

/** The time a correct reader derives from a raw pcapng timestamp (computed with BigInt, independently). */
export function ngTime(ts: bigint, ifc: NgInterface): { tsSec: number; tsNsec: number; tsDigits: number } {
  const resol = ifc.tsresol ?? 6;
  const exp = resol & 0x7f;
  const pow2 = (resol & 0x80) !== 0;
  const per = pow2 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
  const digits = pow2 ? Math.min(9, Math.ceil(exp * Math.log10(2))) : Math.min(9, exp);
  return {
    tsSec: Number(ts / per) + (ifc.tsoffset ?? 0),
    tsNsec: Number(((ts % per) * 1_000_000_000n) / per),
    tsDigits: digits,
  };
}

/** Non-packet block types that tshark (4.0.17, checked by hand) numbers as frames. */
export const WIRESHARK_RECORD_BLOCKS: readonly number[] = [
  0x00000bad, 0x40000bad, 0x00000009, 0x00000204, 0x00000216, 0x00000221,
];

export function buildPcapng(sections: readonly NgSection[]): BuiltCapture {
  const parts: Buffer[] = [];
  const frames: ExpectedFrame[] = [];
  const linkTypes: number[] = [];
  const recordStarts: number[] = [];
  const cleanEnds: number[] = [];
  let offset = 0;
  let number = 0;
  let lastTime = { tsSec: 0, tsNsec: 0 };
  const push = (b: Buffer): void => {
    recordStarts.push(offset);
    parts.push(b);
    offset += b.length;
    cleanEnds.push(offset);
  };
  for (const section of sections) {
    const le = section.bigEndian !== true;
    const shb = new Writer(le)
      .u32(0x1a2b3c4d)
      .u16(section.version?.[0] ?? 1)
      .u16(section.version?.[1] ?? 0)
      .i64(-1n)
      .option(4, Buffer.from('synscope tests'))
      .u16(0)
      .u16(0)
      .done();
    push(block(le, 0x0a0d0d0a, shb));
    const skipped = (section.version?.[0] ?? 1) !== 1;
    const ifaces: NgInterface[] = [];
    for (const b of section.blocks) {
      const start = offset;
      switch (b.kind) {
        case 'idb':
          ifaces.push(b);
          if (!skipped && !linkTypes.includes(b.linkType)) linkTypes.push(b.linkType);
          push(block(le, 1, idbBody(le, b)));
          break;
        case 'epb':
        case 'pb': {
          const origLen = b.origLen ?? b.data.length;
          if (b.ts < 0n || b.ts >= 1n << 64n) throw new Error('test capture: timestamp does not fit 64 bits');
          const w = new Writer(le);
          if (b.kind === 'epb') w.u32(b.iface);
          else w.u16(b.iface).u16(0);
          w.u32(Number(b.ts >> 32n))
            .u32(Number(b.ts & 0xffffffffn))
            .u32(b.data.length)
            .u32(origLen)
            .padded(b.data);
          if (b.kind === 'epb' && b.comment !== undefined) w.option(1, Buffer.from(b.comment)).u16(0).u16(0);
          push(block(le, b.kind === 'epb' ? 6 : 2, w.done()));
          if (skipped) break;
          const ifc = ifaces[b.iface];
          if (ifc === undefined) break; // a reader must reject this block: no frame expected
          const t = ngTime(b.ts, ifc);
          lastTime = { tsSec: t.tsSec, tsNsec: t.tsNsec };
          frames.push({
            number: ++number,
            ...t,
            linkType: ifc.linkType,
            interfaceId: b.iface,
            caplen: b.data.length,
            origLen,
            data: Buffer.from(b.data),
            fileOffset: start,
            end: offset,
          });
          break;
        }
        case 'spb': {
          const origLen = b.origLen ?? b.data.length;
          const body = new Writer(le).u32(origLen).padded(b.data).done();
          push(block(le, 3, body));
          if (skipped) break;
          const ifc = ifaces[0];
          if (ifc === undefined) break; // a reader must reject this block: no frame expected
          // Spec: caplen = min(origlen, snaplen, room in the block); the room includes the padding.
          let caplen = body.length - 4;
          if (origLen < caplen) caplen = origLen;
          if ((ifc.snaplen ?? 0) !== 0 && (ifc.snaplen ?? 0) < caplen) caplen = ifc.snaplen ?? 0;
          frames.push({
            number: ++number,
            tsSec: lastTime.tsSec,
            tsNsec: lastTime.tsNsec,
            tsDigits: ngTime(0n, ifc).tsDigits,
            linkType: ifc.linkType,
            interfaceId: 0,
            caplen,
            origLen,
            data: Buffer.from(body.subarray(4, 4 + caplen)),
            fileOffset: start,
            end: offset,
          });
          break;
        }
        case 'raw':
          push(block(le, b.type, padTo4(b.body)));
          // Custom, systemd-journal and Sysdig blocks are records to Wireshark: each takes a frame number.
          if (!skipped && WIRESHARK_RECORD_BLOCKS.includes(b.type)) number++;
          break;
      }
    }
  }
  return { bytes: Buffer.concat(parts), format: 'pcapng', frames, linkTypes, recordStarts, cleanEnds };
}

function padTo4(b: Buffer): Buffer {
  const pad = (4 - (b.length % 4)) % 4;
  return pad === 0 ? b : Buffer.concat([b, Buffer.alloc(pad)]);
}

// ---------------------------------------------------------------------------------------------
// content shared by the suites

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function bytesOf(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** A few records: a snapped packet, an empty one, a fraction that needs carrying, odd lengths. */
export function samplePcapRecords(nanosecond: boolean, options: { large?: boolean } = {}): PcapRecord[] {
  const sub = (us: number, extraNs: number): number => (nanosecond ? us * 1000 + extraNs : us);
  const records: PcapRecord[] = [
    { tsSec: 1_763_632_801, tsSub: sub(123_456, 789), data: bytesOf(60, 1) },
    { tsSec: 1_763_632_801, tsSub: sub(999_999, 999), data: bytesOf(54, 2), origLen: 1514 },
    { tsSec: 1_763_632_802, tsSub: sub(0, 1), data: Buffer.alloc(0), origLen: 0 },
    { tsSec: 4_294_967_295, tsSub: sub(1, 0), data: bytesOf(3, 3) },
    // A fraction of 1.5 s: readers carry the whole second.
    { tsSec: 1_763_632_802, tsSub: nanosecond ? 1_500_000_000 : 1_500_000, data: bytesOf(20, 6) },
  ];
  if (options.large === true) records.push({ tsSec: 1_763_632_803, tsSub: sub(500_000, 0), data: bytesOf(200_000, 4) });
  records.push({ tsSec: 1_763_632_804, tsSub: sub(42, 7), data: bytesOf(74, 5), origLen: 74 });
  return records;
}

/**
 * Two sections in opposite byte orders; interfaces with different link types and units
 * (µs default, ns, ms, 2^-10, ps, if_tsoffset); EPB, SPB, PB, NRB-like and unknown blocks.
 */
export function samplePcapngSections(options: { large?: boolean; firstBigEndian?: boolean } = {}): NgSection[] {
  const first = options.firstBigEndian === true;
  const t = 1_763_632_801n;
  return [
    {
      bigEndian: first,
      blocks: [
        { kind: 'idb', linkType: 1, ifName: 'eth0' }, // id 0: Ethernet, µs (no option)
        { kind: 'idb', linkType: 276, tsresol: 9, snaplen: 96 }, // id 1: SLL2, ns
        { kind: 'epb', iface: 0, ts: t * 1_000_000n + 123_456n, data: bytesOf(60, 11) },
        { kind: 'raw', type: 4, body: Buffer.alloc(4) }, // Name Resolution Block (just nrb_record_end): skipped
        {
          kind: 'epb',
          iface: 1,
          ts: t * 1_000_000_000n + 999_999_999n,
          data: bytesOf(54, 13),
          origLen: 1514,
          comment: 'snapped',
        },
        { kind: 'spb', data: bytesOf(41, 14), origLen: 41 }, // on interface 0, no timestamp
        { kind: 'idb', linkType: 101, tsresol: 3, noEndOfOpt: true }, // id 2: raw IP, ms
        { kind: 'pb', iface: 2, ts: t * 1000n + 7n, data: bytesOf(40, 15) },
        // Custom Block: not delivered, but Wireshark numbers it as a frame
        { kind: 'raw', type: 0x40000bad, body: Buffer.concat([Buffer.from([0, 0, 0x7f, 0xff]), bytesOf(9, 16)]) },
        ...(options.large === true
          ? [{ kind: 'epb' as const, iface: 0, ts: t * 1_000_000n + 5n, data: bytesOf(300_000, 17) }]
          : []),
      ],
    },
    {
      bigEndian: !first,
      blocks: [
        // Interface ids restart at 0 in a new section.
        { kind: 'idb', linkType: 113, tsresol: 0x80 | 10 }, // id 0: SLL, 2^-10 s
        // id 1: Ethernet in picoseconds: 64 bits of ps only reach 213 days, so if_tsoffset carries the epoch.
        { kind: 'idb', linkType: 1, tsresol: 12, tsoffset: 1_763_610_000 },
        { kind: 'idb', linkType: 0, tsresol: 9, tsoffset: -3600 }, // id 2: BSD loopback, ns, offset -1 h
        // Interface Statistics Block (interface 0, no options): skipped
        { kind: 'raw', type: 5, body: Buffer.alloc(12) },
        { kind: 'epb', iface: 0, ts: (t << 10n) + 1023n, data: bytesOf(66, 19) },
        { kind: 'epb', iface: 1, ts: 22_801n * 1_000_000_000_000n + 123_456_789_012n, data: bytesOf(1, 20) },
        { kind: 'epb', iface: 2, ts: t * 1_000_000_000n + 5n, data: bytesOf(44, 21) },
        { kind: 'epb', iface: 0, ts: (t + 1n) << 10n, data: Buffer.alloc(0), origLen: 0 },
      ],
    },
  ];
}

export function gzip(bytes: Buffer): Buffer {
  return gzipSync(bytes);
}

// ---------------------------------------------------------------------------------------------
// reading back

/** A frame as delivered, copied out of the reused Frame (its bytes as hex, for readable diffs). */
export type Delivered = Omit<ExpectedFrame, 'data' | 'end'> & { data: string };

export function delivered(f: Frame): Delivered {
  return {
    number: f.number,
    tsSec: f.tsSec,
    tsNsec: f.tsNsec,
    tsDigits: f.tsDigits,
    linkType: f.linkType,
    interfaceId: f.interfaceId,
    caplen: f.caplen,
    origLen: f.origLen,
    data: f.data.toString('hex', f.offset, f.offset + f.caplen),
    fileOffset: f.fileOffset,
  };
}

export function expected(f: ExpectedFrame): Delivered {
  return {
    number: f.number,
    tsSec: f.tsSec,
    tsNsec: f.tsNsec,
    tsDigits: f.tsDigits,
    linkType: f.linkType,
    interfaceId: f.interfaceId,
    caplen: f.caplen,
    origLen: f.origLen,
    data: f.data.toString('hex'),
    fileOffset: f.fileOffset,
  };
}

export interface ReadResult {
  frames: Delivered[];
  error: unknown;
  source: FrameSource | null;
  /** Every callback got the same Frame object. */
  oneFrame: boolean;
  /** linkTypes right after openCapture resolved. */
  linkTypesAtOpen: number[] | null;
}

const HANG_MS = 5000;

/** Opens and reads to the end; an error from either step lands in `error`. Fails the test on a hang. */
export async function readAll(open: () => Promise<FrameSource>): Promise<ReadResult> {
  const result: ReadResult = { frames: [], error: null, source: null, oneFrame: true, linkTypesAtOpen: null };
  let first: Frame | null = null;
  const work = (async (): Promise<void> => {
    try {
      const source = await open();
      result.source = source;
      result.linkTypesAtOpen = [...source.linkTypes];
      await source.run((f) => {
        if (first === null) first = f;
        else if (first !== f) result.oneFrame = false;
        result.frames.push(delivered(f));
      });
    } catch (err) {
      result.error = err;
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_MS);
  });
  const outcome = await Promise.race([work.then(() => 'done' as const), hang]);
  clearTimeout(timer);
  if (outcome === 'hang') assert.fail(`reader did not finish within ${HANG_MS} ms`);
  return result;
}

/** Asserts `err` is a CaptureFormatError at `offset` (or anywhere when undefined) whose message names the file. */
export function assertFormatError(err: unknown, name: string, offset?: number, pattern?: RegExp): CaptureFormatError {
  if (!(err instanceof CaptureFormatError)) {
    assert.fail(
      `expected a CaptureFormatError, got ` +
        (err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err)),
    );
  }
  assert.equal(err.file, name);
  assert.ok(err.message.startsWith(`${name}: `), err.message);
  if (offset !== undefined) {
    assert.equal(err.offset, offset, err.message);
    if (offset >= 0) assert.ok(err.message.endsWith(` at byte ${offset}`), err.message);
    else assert.ok(!/ at byte /.test(err.message), err.message);
  }
  if (pattern !== undefined) assert.match(err.message, pattern);
  return err;
}

/** Reads bytes handed over as stdin in one chunk (no file system). */
export function readBytes(bytes: Buffer, windowBytes?: number): Promise<ReadResult> {
  return readAll(() =>
    openCapture('-', { stdin: Readable.from([bytes]), ...(windowBytes === undefined ? {} : { windowBytes }) }),
  );
}
