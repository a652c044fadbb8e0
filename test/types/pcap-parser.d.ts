// Types for the parts of pcap-parser (CommonJS, untyped) the differential test uses; the reading is pcap-parser's.

declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  export interface GlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }

  export interface PacketHeader {
    timestampSeconds: number;
    /** The raw second field of the record: microseconds (or nanoseconds, if the file's magic said so). */
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }

  export interface Packet {
    header: PacketHeader;
    data: Buffer;
  }

  export interface Parser extends EventEmitter {
    on(event: 'globalHeader', listener: (header: GlobalHeader) => void): this;
    on(event: 'packet', listener: (packet: Packet) => void): this;
    on(event: 'end', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }

  /** Parses a classic pcap (magic a1b2c3d4 in either byte order) from a path or a stream. */
  export function parse(input: string | Readable): Parser;
}
