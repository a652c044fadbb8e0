// openCapture: detection by magic bytes (never by name), gzip, and the errors for inputs that are not
// captures or cannot be read. Record-level behaviour is in conformance.test.ts.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/open.js';
import {
  assertFormatError,
  buildPcap,
  buildPcapng,
  bytesOf,
  gzip,
  readAll,
  samplePcapRecords,
  samplePcapngSections,
} from '../helpers/capture-files.js';

describe('capture/open', () => {
  let tmp = '';
  let n = 0;
  const file = (bytes: Buffer | string, name = `f${n++}`): string => {
    const p = join(tmp, name);
    writeFileSync(p, bytes);
    return p;
  };
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'synscope-open-'));
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('detects by magic, whatever the name says', async () => {
    const pcap = buildPcap(samplePcapRecords(false)).bytes;
    const ng = buildPcapng(samplePcapngSections()).bytes;
    const cases: [string, Buffer, string, boolean][] = [
      ['capture.pcapng', pcap, 'pcap', false],
      ['capture.pcap', ng, 'pcapng', false],
      ['capture.pcap.gz', pcap, 'pcap', false],
      ['capture.pcap', gzip(ng), 'pcapng', true],
      ['capture', gzip(pcap), 'pcap', true],
    ];
    for (const [name, bytes, format, gz] of cases) {
      const r = await readAll(() => openCapture(file(bytes, `${n++}-${name}`)));
      assert.equal(r.error, null);
      assert.equal(r.source?.format, format, name);
      assert.equal(r.source?.gzip, gz, name);
    }
  });

  it('names an empty file, at byte 0 (a regular file, /dev/null, an empty gzip stream)', async () => {
    const empty = file('');
    assertFormatError((await readAll(() => openCapture(empty))).error, empty, 0, /: empty file at byte 0$/);
    assertFormatError((await readAll(() => openCapture('/dev/null'))).error, '/dev/null', 0, /empty file/);
    const gz = file(gzip(Buffer.alloc(0)));
    assertFormatError(
      (await readAll(() => openCapture(gz))).error,
      gz,
      0,
      /empty file \(the gzip stream holds no data\)/,
    );
  });

  it('names an unknown magic in hex', async () => {
    const text = file('hello world\n');
    const e = assertFormatError((await readAll(() => openCapture(text))).error, text, 0);
    assert.equal(e.message, `${text}: not a pcap or pcapng capture (magic 0x68656c6c) at byte 0`);
    assert.equal(e.code, 'E_CAPTURE_FORMAT');
    const short = file(Buffer.from([0xab, 0xcd]));
    assertFormatError((await readAll(() => openCapture(short))).error, short, 0, /\(magic 0xabcd\)/);
    const inGzip = file(gzip(Buffer.from('GET / HTTP/1.1\r\n')));
    assertFormatError(
      (await readAll(() => openCapture(inGzip))).error,
      inGzip,
      0,
      /not a pcap or pcapng capture \(magic 0x47455420\)/,
    );
  });

  it('calls a file cut inside the magic a truncated file header', async () => {
    for (const bytes of [[0xd4], [0xd4, 0xc3, 0xb2], [0x0a, 0x0d], [0xa1, 0xb2, 0x3c]]) {
      const p = file(Buffer.from(bytes));
      assertFormatError((await readAll(() => openCapture(p))).error, p, 0, /truncated file header/);
    }
  });

  it('reports a cut or corrupt gzip stream as a damaged capture', async () => {
    const magicOnly = file(Buffer.from([0x1f, 0x8b]));
    assertFormatError(
      (await readAll(() => openCapture(magicOnly))).error,
      magicOnly,
      0,
      /truncated gzip stream|corrupt gzip/,
    );
    const garbage = file(Buffer.concat([Buffer.from([0x1f, 0x8b]), bytesOf(100, 3)]));
    assertFormatError((await readAll(() => openCapture(garbage))).error, garbage, 0, /corrupt gzip stream/);
  });

  it('names a missing file and a directory (E_CAPTURE_IO, no offset)', async () => {
    const missing = join(tmp, 'missing.pcap');
    const e1 = assertFormatError((await readAll(() => openCapture(missing))).error, missing, -1);
    assert.equal(e1.message, `${missing}: no such file`);
    assert.equal(e1.code, 'E_CAPTURE_IO');
    const e2 = assertFormatError((await readAll(() => openCapture(tmp))).error, tmp, -1);
    assert.equal(e2.message, `${tmp}: is a directory`);
    assert.equal(e2.code, 'E_CAPTURE_IO');
  });

  const root = process.getuid?.() === 0;
  (root ? it.skip : it)(
    `names an unreadable file (E_CAPTURE_IO)${root ? ' — skipped: running as root, who can read any file' : ''}`,
    async () => {
      const locked = file(buildPcap([]).bytes);
      chmodSync(locked, 0o000);
      const e3 = assertFormatError((await readAll(() => openCapture(locked))).error, locked, -1);
      assert.equal(e3.message, `${locked}: permission denied`);
    },
  );

  it('reads a named pipe (FIFO) like a file', async function () {
    const fifo = join(tmp, 'fifo');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      this.skip(); // no mkfifo on this system
    }
    const c = buildPcap(samplePcapRecords(true), { nanosecond: true });
    const reading = readAll(() => openCapture(fifo));
    const w = createWriteStream(fifo);
    w.end(c.bytes);
    const r = await reading;
    assert.equal(r.error, null);
    assert.equal(r.frames.length, c.frames.length);
  });

  it('closes the file after a clean read, a damaged one and a failed open (no descriptor leak)', async function () {
    let fds: () => number;
    try {
      readdirSync('/proc/self/fd');
      fds = () => readdirSync('/proc/self/fd').length;
    } catch {
      this.skip(); // no /proc to count descriptors
    }
    const good = file(buildPcap(samplePcapRecords(false)).bytes);
    const cut = file(buildPcap(samplePcapRecords(false)).bytes.subarray(0, 50));
    const bad = file('not a capture');
    const gz = file(gzip(buildPcapng(samplePcapngSections()).bytes).subarray(0, 60));
    await readAll(() => openCapture(good)); // warm up lazily opened descriptors
    const before = fds();
    for (let i = 0; i < 20; i++) {
      for (const p of [good, cut, bad, gz]) await readAll(() => openCapture(p));
    }
    assert.equal(fds(), before);
  });
});
