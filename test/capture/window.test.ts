// ByteWindow on its own, over a scripted ByteSource: absolute offsets through compaction, growth only
// as bytes arrive, the hard limit, and the sources' error mapping. Record formats are tested elsewhere.

import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { ByteWindow, StreamByteSource, WINDOW_MAX_BYTES, ioError, type ByteSource } from '../../src/capture/window.js';
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

describe('capture/window', () => {
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
    await assert.rejects(w.ensure(WINDOW_MAX_BYTES + 1), (err: unknown) => err instanceof CaptureFormatError && err.offset === 10);
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

  it('reports a stream error as E_CAPTURE_IO and a zlib error as a damaged capture at the decompressed offset', async () => {
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('boom'), { code: 'EPIPE' }));
      },
    });
    const s1 = new StreamByteSource('-', failing, { gzip: false, destroyOnClose: true });
    await assert.rejects(s1.read(Buffer.alloc(4), 0, 4), (err: unknown) => err instanceof CaptureFormatError && err.code === 'E_CAPTURE_IO');

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
