// --evidence onto whatever the user points at, as root would: the node stays what it was (a character
// device, a FIFO, a symlink, stdout, a process substitution) and gets the packets; a directory, a socket
// or a block device is refused before anything is read. Writing is src/report/evidence-writer.ts's.

import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, synscope } from '../helpers/cli.js';

/** mixed.pcapng lists 5 attempts (table/lines default) of 14 packets in all. */
const INPUT = 'captures/mixed.pcapng';
const PACKETS = 14;

/** Packets tcpdump counts in a capture given as bytes (it reads them on stdin). */
function tcpdumpCount(bytes: Buffer): number {
  const r = spawnSync('tcpdump', ['-r', '-', '--count'], { input: bytes, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(/(\d+) packets?/.exec(r.stdout)?.[1]);
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

describe('cli --evidence targets', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-targets-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a character device made with mknod (a copy of /dev/null) stays a character device', function () {
    if (!isRoot()) this.skip(); // mknod needs CAP_MKNOD; CI runs as root
    const dev = join(dir, 'null');
    const nul = statSync('/dev/null');
    execFileSync('mknod', [dev, 'c', String(nul.rdev >> 8), String(nul.rdev & 0xff)]);
    const r = synscope(['read', INPUT, '--format', 'lines', '--evidence', dev]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`# evidence: ${PACKETS} packets written to ${dev}\\n$`));
    const st = lstatSync(dev);
    assert.ok(st.isCharacterDevice(), 'still a character device');
    assert.equal(st.rdev, nul.rdev);
  });

  it('/dev/full (a real device) is not replaced: the write fails, exit 2, one line', () => {
    const before = lstatSync('/dev/full');
    const r = synscope(['read', INPUT, '--format', 'lines', '--evidence', '/dev/full']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^synscope: --evidence \/dev\/full: .*ENOSPC.*\n$/);
    const after = lstatSync('/dev/full');
    assert.ok(after.isCharacterDevice());
    assert.equal(after.ino, before.ino);
  });

  it('a FIFO with a reader stays a FIFO and the reader gets the capture', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (d: Buffer) => chunks.push(d));
    const done = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'read', INPUT, '--format', 'lines', '--evidence', fifo], { cwd: ROOT });
      let stdout = '';
      c.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      c.on('close', (status) => resolve({ status, stdout }));
    });
    await done;
    assert.equal(r.status, 0);
    assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
    assert.equal(tcpdumpCount(Buffer.concat(chunks)), PACKETS);
  });

  it('a symlink is written through: the link stays, its target gets the capture (also a dangling one)', () => {
    const real = join(dir, 'real.pcap');
    writeFileSync(real, 'old');
    const link = join(dir, 'link.pcap');
    symlinkSync('real.pcap', link);
    const dangling = join(dir, 'dangling.pcap');
    symlinkSync('made-by-synscope.pcap', dangling);
    for (const [target, file] of [
      [link, real],
      [dangling, join(dir, 'made-by-synscope.pcap')],
    ] as const) {
      const r = synscope(['read', INPUT, '--format', 'lines', '--evidence', target]);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(lstatSync(target).isSymbolicLink(), `${target} is still a symlink`);
      assert.equal(tcpdumpCount(readFileSync(file)), PACKETS);
    }
    assert.equal(readlinkSync(link), 'real.pcap');
  });

  it('/dev/stdout and -: the capture on stdout, the report on stderr', () => {
    for (const target of ['/dev/stdout', '-']) {
      const r = spawnSync(process.execPath, [CLI, 'read', INPUT, '--format', 'lines', '--evidence', target], {
        cwd: ROOT,
      });
      assert.equal(r.status, 0, r.stderr.toString());
      assert.equal(tcpdumpCount(r.stdout), PACKETS);
      assert.match(r.stderr.toString(), new RegExp(`# evidence: ${PACKETS} packets written to ${target}\\n$`));
    }
    assert.ok(lstatSync('/dev/stdout').isSymbolicLink());
  });

  it('bash process substitution >(...): /dev/fd/N gets the capture', () => {
    const out = join(dir, 'substituted.pcap');
    const script = `"$0" "$1" read "$2" --format lines --evidence >(cat > "$3"); wait`;
    const r = spawnSync('bash', ['-c', script, process.execPath, CLI, INPUT, out], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`# evidence: ${PACKETS} packets written to /dev/fd/\\d+\\n$`));
    assert.equal(tcpdumpCount(readFileSync(out)), PACKETS);
  });

  it('a directory, a socket, a block device: refused before reading (exit 2, one line, no stdout)', async () => {
    const sock = join(dir, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const cases: [string, RegExp][] = [
        [dir, /is a directory/],
        [sock, /is a socket/],
      ];
      const block = ['/dev/loop0', '/dev/sda', '/dev/vda', '/dev/nvme0n1'].find((p) => {
        try {
          return statSync(p).isBlockDevice();
        } catch {
          return false;
        }
      });
      if (block !== undefined) cases.push([block, /is a block device/]);
      for (const [target, problem] of cases) {
        const r = synscope(['read', INPUT, '--evidence', target]);
        assert.equal(r.status, 2, target);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, new RegExp(`^synscope: --evidence ${target}: ${problem.source}[^\\n]*\\n$`));
      }
      assert.ok(lstatSync(sock).isSocket());
    } finally {
      server.close();
    }
  });
});
