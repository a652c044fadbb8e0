// ByteWindow on its own, over a scripted ByteSource: absolute offsets through compaction, growth only
// as bytes arrive, the hard limit, and the sources' error mapping. Record formats are tested elsewhere.

import { strict as assert } from 'node:assert';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import {
  ByteWindow,
  FileByteSource,
  READ_AHEAD_BYTES,
  StreamByteSource,
  WINDOW_MAX_BYTES,
  ioError,
  type ByteSource,
} from '../../src/capture/window.js';
import { CaptureFormatError } from '../../src/errors.js';
import { bytesOf } from '../helpers/capture-files.js';

/** Hands out `data` in reads of at most `step` bytes. */
class ScriptedSource implements ByteSource {
  pos = 0;
  reads = 0;
  closed = 0;
  constructor(
    private readonly data: Buffer,
    private readonly step: number,
  ) {}
  async read(into: Buffer, off: number, len: number): Promise<number> {
    this.reads++;
    const n = Math.min(len, this.step, this.data.length - this.pos);
    this.data.copy(into, off, this.pos, this.pos + n);
    this.pos += n;
    return n;
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

/** The part of a FileHandle FileByteSource uses: reads from `data`, failing from byte `failAt` on. */
function fakeHandle(
  data: Buffer,
  failAt = Infinity,
): { handle: FileHandle; reads: () => number; closed: () => boolean } {
  let pos = 0;
  let reads = 0;
  let closed = false;
  const handle = {
    read: async (into: Buffer, off: number, len: number) => {
      reads++;
      if (pos >= failAt) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      const n = Math.min(len, data.length - pos);
      data.copy(into, off, pos, pos + n);
      pos += n;
      return { bytesRead: n, buffer: into };
    },
    close: async () => {
      closed = true;
    },
  };
  return { handle: handle as unknown as FileHandle, reads: () => reads, closed: () => closed };
}

describe('capture/window', () => {
  it('FileByteSource: reads ahead, and hands out every byte in order whatever the reader asks for', async () => {
    const data = Buffer.alloc(READ_AHEAD_BYTES * 2 + 12345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
    const f = fakeHandle(data);
    const src = new FileByteSource('x.pcap', f.handle);
    const out = Buffer.alloc(data.length);
    let got = 0;
    let asks = 0;
    for (;;) {
      const len = [1, 7, 4096, 65536, READ_AHEAD_BYTES * 2][asks++ % 5]!;
      const n = await src.read(out, got, Math.min(len, out.length - got) || 1);
      if (n === 0) break;
      got += n;
      if (got === out.length) {
        assert.equal(await src.read(Buffer.alloc(1), 0, 1), 0, 'end of input');
        break;
      }
    }
    assert.equal(got, data.length);
    assert.ok(out.equals(data));
    assert.ok(f.reads() >= 3, 'read in chunks');
    await src.close();
    assert.ok(f.closed());
  });

  it('FileByteSource: an error met while reading ahead surfaces at the next read, as E_CAPTURE_IO', async () => {
    const data = Buffer.alloc(READ_AHEAD_BYTES * 3, 1);
    const f = fakeHandle(data, READ_AHEAD_BYTES);
    const src = new FileByteSource('bad.pcap', f.handle);
    const into = Buffer.alloc(READ_AHEAD_BYTES);
    assert.equal(await src.read(into, 0, into.length), READ_AHEAD_BYTES);
    // The read ahead has already failed; nothing may be left unhandled until the reader asks.
    await new Promise((r) => setImmediate(r));
    await assert.rejects(
      src.read(into, 0, into.length),
      (e: unknown) => e instanceof CaptureFormatError && e.code === 'E_CAPTURE_IO' && e.message.includes('bad.pcap'),
    );
    await src.close();
    assert.ok(f.closed());
  });

  it('keeps absolute offsets right through compaction and growth', async () => {
    const data = bytesOf(10_000, 7);
    const w = new ByteWindow('x', new ScriptedSource(data, 37), 64);
    let consumed = 0;
    for (const need of [1, 10, 63, 64, 65, 200, 1000, 3, 5000]) {
      assert.equal(await w.ensure(need), true);
      assert.equal(w.offset, consumed);
      assert.ok(w.available >= need);
      assert.ok(w.buf.subarray(w.pos, w.pos + need).equals(data.subarray(consumed, consumed + need)), `need ${need}`);
      w.pos += need;
      consumed += need;
    }
    assert.ok(w.capacity <= 2 * 5000 + 64 * 1024);
  });

  it('resolves false at the end of input, leaving the rest available', async () => {
    const w = new ByteWindow('x', new ScriptedSource(bytesOf(100, 1), 30), 16);
    assert.equal(await w.ensure(101), false);
    assert.equal(w.available, 100);
    assert.equal(w.eof, true);
    assert.equal(await w.ensure(100), true);
  });

  it('grows with the bytes that arrive, not with what a header claims', async () => {
    const w = new ByteWindow('x', new ScriptedSource(bytesOf(100, 1), 100), 64);
    assert.equal(await w.ensure(16 * 1024 * 1024), false);
    assert.ok(w.capacity <= 128, `capacity ${w.capacity}`);
  });

  it('rejects a need above its hard limit with CaptureFormatError at the current offset', async () => {
    const w = new ByteWindow('x.pcap', new ScriptedSource(bytesOf(100, 1), 100), 64);
    await w.ensure(10);
    w.pos = 10;
    await assert.rejects(
      w.ensure(WINDOW_MAX_BYTES + 1),
      (err: unknown) => err instanceof CaptureFormatError && err.offset === 10,
    );
  });

  it('puts preloaded bytes in front of what the source gives', async () => {
    const w = new ByteWindow('x', new ScriptedSource(Buffer.from('cdef'), 1), 4);
    w.preload(Buffer.from('ab'));
    w.preload(Buffer.from('')); // nothing
    assert.equal(await w.ensure(6), true);
    assert.equal(w.buf.toString('latin1', w.pos, w.pos + 6), 'abcdef');
    assert.equal(w.offset, 0);
  });

  it('closes its source once', async () => {
    const src = new ScriptedSource(Buffer.alloc(0), 1);
    const w = new ByteWindow('x', src);
    await w.close();
    await w.close();
    assert.equal(src.closed, 1);
  });

  it('maps I/O errors to E_CAPTURE_IO without a position', () => {
    const e = ioError('f.pcap', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    assert.equal(e.code, 'E_CAPTURE_IO');
    assert.equal(e.offset, -1);
    assert.equal(e.message, 'f.pcap: permission denied');
    const other = ioError('f.pcap', Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    assert.match(other.message, /^f\.pcap: cannot read \(EIO: EIO: i\/o error\)$/);
  });

  it('reports a stream error as E_CAPTURE_IO, a zlib error as damage at the decompressed offset', async () => {
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('boom'), { code: 'EPIPE' }));
      },
    });
    const s1 = new StreamByteSource('-', failing, { gzip: false, destroyOnClose: true });
    await assert.rejects(
      s1.read(Buffer.alloc(4), 0, 4),
      (err: unknown) => err instanceof CaptureFormatError && err.code === 'E_CAPTURE_IO',
    );

    const gz = Readable.from([Buffer.from('not gzip at all')]).pipe(createGzip()); // compress, then corrupt below
    const chunks: Buffer[] = [];
    for await (const c of gz) chunks.push(c as Buffer);
    const bad = Buffer.concat(chunks);
    bad[bad.length - 6] = bad[bad.length - 6]! ^ 0xff; // the CRC32 in the trailer
    const { createGunzip } = await import('node:zlib');
    const gunzip = Readable.from([bad]).pipe(createGunzip());
    const s2 = new StreamByteSource('x.gz', gunzip, { gzip: true, destroyOnClose: true });
    const buf = Buffer.alloc(64);
    let got = 0;
    const err = await (async (): Promise<unknown> => {
      try {
        for (;;) {
          const n = await s2.read(buf, got, buf.length - got);
          if (n === 0) return null;
          got += n;
        }
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof CaptureFormatError, String(err));
    assert.equal(err.code, 'E_CAPTURE_FORMAT');
    assert.match(err.message, /^x\.gz: corrupt gzip stream \(incorrect data check\) at byte \d+$/);
    assert.equal(err.offset, got);
  });
});
