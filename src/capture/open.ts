// Opens a capture file or stdin and picks its reader by magic bytes, never by file name:
// gzip (then the format inside it), classic pcap, pcapng. Reading the records is pcap.ts / pcapng.ts's job.

import { open as openFile, type FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { constants as zlibConstants, createGunzip } from 'node:zlib';
import { CaptureFormatError } from '../errors.js';
import { PCAP_MAGIC_NS_BE, PCAP_MAGIC_NS_LE, PCAP_MAGIC_US_BE, PCAP_MAGIC_US_LE, PcapReader } from './pcap.js';
import { BLOCK_SHB, PcapngReader } from './pcapng.js';
import type { PullSource } from './source.js';
import { ByteWindow, FileByteSource, StreamByteSource, ioError, type ByteSource, type ReadGate } from './window.js';

export interface OpenCaptureOptions {
  /** The stream "-" reads (default: process.stdin). Tests inject a Readable here. */
  stdin?: Readable;
  /** Initial window size in bytes (tests use tiny windows to exercise growth and compaction). */
  windowBytes?: number;
  /** Only the first packet is wanted (merge.ts orders files by it): small reads, no read-ahead. */
  peek?: boolean;
  /** Waited for before each read (window.ts ReadGate): `read` holds the reading back for a slow stdout. */
  readGate?: ReadGate;
}

/** Bytes read at a time for a look at a file's first packet. */
const PEEK_BYTES = 64 * 1024;

/** Bytes of compressed input read at a time, and the size of zlib's output chunks. */
const GZIP_CHUNK_BYTES = 256 * 1024;
/** Compressed bytes per zlib write: what a damaged deflate block can cost at most. */
const GZIP_PIECE_BYTES = 64 * 1024;
/** CRC32 and ISIZE at the end of a gzip member (RFC 1952). */
const GZIP_TRAILER_BYTES = 8;

/**
 * Opens `path` ("-" for stdin) and returns the reader for its format, with the file header already read
 * (so `linkTypes` is known; for pcapng, from the IDBs in front of the first packet).
 * Rejects with CaptureFormatError: E_CAPTURE_IO (offset -1) when the file cannot be opened or read,
 * E_CAPTURE_FORMAT (offset 0 unless the damage is further in) for an empty file, unknown magic or a bad header.
 */
export async function openCapture(path: string, options: OpenCaptureOptions = {}): Promise<PullSource> {
  const name = path;
  let raw: ByteSource;
  if (path === '-') {
    raw = new StreamByteSource(name, options.stdin ?? process.stdin, { gzip: false, destroyOnClose: false });
  } else {
    raw = await openRegular(name, path, options.peek === true);
  }
  let inner: ByteSource = raw;
  try {
    let head = await peek(raw, 4);
    if (head.length === 0) throw new CaptureFormatError(name, 0, 'empty file');
    let gzip = false;
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      // RFC 1952: "ID1 = 31 (0x1f), ID2 = 139 (0x8b)". Offsets from here on are in the decompressed stream.
      gzip = true;
      inner = gunzipSource(name, raw, head);
      head = await peek(inner, 4);
      if (head.length === 0) throw new CaptureFormatError(name, 0, 'empty file (the gzip stream holds no data)');
    }
    const window = new ByteWindow(
      name,
      inner,
      options.windowBytes ?? (options.peek === true ? PEEK_BYTES : undefined),
      options.readGate ?? null,
    );
    window.preload(head);
    const magic = head.length === 4 ? head.readUInt32BE(0) : -1;
    let reader: PcapReader | PcapngReader;
    switch (magic) {
      case PCAP_MAGIC_US_BE:
      case PCAP_MAGIC_US_LE:
      case PCAP_MAGIC_NS_BE:
      case PCAP_MAGIC_NS_LE:
        reader = new PcapReader(window, gzip);
        break;
      case BLOCK_SHB:
        reader = new PcapngReader(window, gzip);
        break;
      default:
        if (isPrefixOfMagic(head)) throw new CaptureFormatError(name, 0, 'truncated file header');
        throw new CaptureFormatError(name, 0, `not a pcap or pcapng capture (magic 0x${head.toString('hex')})`);
    }
    await reader.readHeader();
    return reader;
  } catch (err) {
    await inner.close().catch(() => undefined);
    await raw.close().catch(() => undefined);
    throw err;
  }
}

async function openRegular(name: string, path: string, peek: boolean): Promise<ByteSource> {
  let handle: FileHandle;
  try {
    handle = await openFile(path, 'r');
  } catch (err) {
    throw ioError(name, err);
  }
  let regular: boolean;
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      throw new CaptureFormatError(name, -1, 'is a directory', { code: 'E_CAPTURE_IO' });
    }
    regular = stat.isFile();
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw ioError(name, err);
  }
  // Read ahead only from regular files: on a FIFO a read in flight can block until the writer
  // writes again, and closing the handle waits for it.
  return peek ? new FileByteSource(name, handle, false, PEEK_BYTES) : new FileByteSource(name, handle, regular);
}

/** Reads up to `n` bytes (fewer only at end of input). */
async function peek(source: ByteSource, n: number): Promise<Buffer> {
  const head = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const r = await source.read(head, got, n - got);
    if (r === 0) break;
    got += r;
  }
  return got === n ? head : head.subarray(0, got);
}

const MAGICS: readonly Buffer[] = [
  PCAP_MAGIC_US_BE,
  PCAP_MAGIC_US_LE,
  PCAP_MAGIC_NS_BE,
  PCAP_MAGIC_NS_LE,
  BLOCK_SHB,
].map((m) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(m, 0);
  return b;
});

/** Whether a file's first 4 bytes are gzip's or a pcap / pcapng magic. */
export function looksLikeCapture(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  return head.length === 4 && MAGICS.some((m) => m.equals(head));
}

function isPrefixOfMagic(head: Buffer): boolean {
  return head.length < 4 && MAGICS.some((m) => m.subarray(0, head.length).equals(head));
}

/**
 * Decompresses `raw` (whose first bytes were already read into `head`) through zlib, streaming.
 *
 * A damaged or cut gzip file must still yield every byte it holds before the damage (the verdicts
 * before it are reported), but a zlib stream destroyed by an error drops the output of the write that
 * failed and whatever it had not handed out yet. So the pump writes the compressed bytes in pieces,
 * each only once the reader has taken all the output before it, and:
 * - holds back the last 8 bytes (the gzip trailer, CRC32 and length) for a write of their own, so
 *   that a failed check of a file's last member costs no output;
 * - ends the stream (Z_FINISH, which is when zlib finds a cut file) only after a Z_SYNC_FLUSH
 *   handed out all the output there is.
 * A damaged deflate block costs the output of at most one piece.
 */
function gunzipSource(name: string, raw: ByteSource, head: Buffer): ByteSource {
  const gunzip = createGunzip({ chunkSize: GZIP_CHUNK_BYTES });
  /** Resolves once zlib has processed `piece` and the reader has taken everything it produced. */
  const feed = async (piece: Buffer): Promise<void> => {
    if (piece.length === 0) return;
    await new Promise<void>((resolve) => {
      gunzip.write(piece, () => resolve());
    });
    await taken();
  };
  const taken = async (): Promise<void> => {
    while (gunzip.readableLength > 0 && !gunzip.destroyed) await settled(gunzip, 'data');
  };
  async function pump(): Promise<void> {
    let held = Buffer.from(head);
    for (;;) {
      const chunk = Buffer.allocUnsafe(GZIP_CHUNK_BYTES); // zlib holds on to what it is given
      const n = await raw.read(chunk, 0, chunk.length);
      if (gunzip.destroyed) return;
      if (n === 0) break;
      const all = held.length === 0 ? chunk.subarray(0, n) : Buffer.concat([held, chunk.subarray(0, n)]);
      const keep = Math.min(GZIP_TRAILER_BYTES, all.length);
      for (let at = 0; at < all.length - keep && !gunzip.destroyed; at += GZIP_PIECE_BYTES) {
        await feed(all.subarray(at, Math.min(at + GZIP_PIECE_BYTES, all.length - keep)));
      }
      held = Buffer.from(all.subarray(all.length - keep));
    }
    await feed(held);
    if (gunzip.destroyed) return;
    await new Promise<void>((resolve) => gunzip.flush(zlibConstants.Z_SYNC_FLUSH, () => resolve()));
    await taken();
    if (!gunzip.destroyed) gunzip.end();
  }
  pump().catch((err: unknown) => {
    // A read error of the compressed input: the reader gets it once it has taken what came before.
    gunzip.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  return new StreamByteSource(name, gunzip, {
    gzip: true,
    destroyOnClose: true,
    onClose: () => raw.close(),
  });
}

/** Resolves on the stream's next `event`, or when it closes or fails (nothing more will come). */
function settled(stream: Readable | Writable, event: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off(event, done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on(event, done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
