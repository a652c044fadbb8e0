// `read` on two cores (src/cli/threads.ts) must say exactly what `read` in one thread says: the
// same bytes on stdout and stderr and the same exit status, for every capture, format and option.
// SYNSCOPE_THREADS=1 forces the threads for files of any size, SYNSCOPE_THREADS=0 keeps one thread.

import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFilesOf, threadsWanted } from '../../src/cli/spawn.js';
import { TCP_FLAG_ACK, TCP_FLAG_RST, TCP_FLAG_SYN } from '../../src/decode/view.js';
import { buildPcap, type PcapRecord } from '../helpers/capture-files.js';
import { CLIENT4, SERVER4, ethernet, ipv4, tcp } from '../helpers/frames.js';
import { CAPTURES, CLI, synscope, type CliResult } from '../helpers/cli.js';

const captures = readdirSync(CAPTURES)
  .filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f))
  .sort()
  .map((f) => join(CAPTURES, f));
/** Multi-file sets (rotated, two interfaces): folders read as one capture. */
const sets = ['rotated-G', 'rotated-C', 'ring-dumpcap', 'two-interfaces'].map((f) => join(CAPTURES, f));

function both(args: readonly string[]): { one: CliResult; two: CliResult } {
  return {
    one: synscope(args, undefined, { SYNSCOPE_THREADS: '0' }),
    two: synscope(args, undefined, { SYNSCOPE_THREADS: '1' }),
  };
}

function assertSame(args: readonly string[]): CliResult {
  const { one, two } = both(args);
  assert.equal(two.stdout, one.stdout, `stdout of ${args.join(' ')}`);
  assert.equal(two.stderr, one.stderr, `stderr of ${args.join(' ')}`);
  assert.equal(two.status, one.status, `status of ${args.join(' ')}`);
  return one;
}

describe('read on two threads = read in one', function () {
  this.timeout(120_000);

  it('every capture, json', () => {
    assert.ok(captures.length >= 15);
    for (const c of captures) {
      const r = assertSame(['read', c, '--format', 'json']);
      assert.equal(r.status, 0, c);
      assert.ok(JSON.parse(r.stdout).handshakes.length > 0, `${c} lists handshakes`);
    }
  });

  it('multi-file sets (one timeline, attempts spanning files), in every format', () => {
    for (const set of sets) {
      for (const format of ['json', 'ndjson', 'lines', 'table', 'markdown']) {
        const r = assertSame(['read', set, '--only', 'all', '--format', format]);
        assert.equal(r.status, 0, `${set} ${format}`);
        if (format === 'json')
          assert.ok(
            JSON.parse(r.stdout).handshakes.some((h: { spans?: unknown }) => h.spans !== undefined),
            `${set}: an attempt spans files`,
          );
      }
    }
  });

  it('all captures at once, in every format (one timeline across inputs)', () => {
    for (const format of ['json', 'ndjson', 'lines', 'table', 'markdown']) {
      const r = assertSame(['read', ...captures, '--format', format]);
      assert.ok(r.stdout.length > 1000, format);
    }
  });

  it('--only, --host, --port, --timeout and --fail-on', () => {
    const mixed = join(CAPTURES, 'mixed.pcapng');
    assert.equal(assertSame(['read', mixed, '--only', 'all', '--format', 'lines', '--fail-on', 'refused']).status, 1);
    assertSame(['read', mixed, '--host', '10.77.1.1', '--format', 'json']);
    assertSame(['read', mixed, '--port', '9', '--only', 'refused', '--format', 'ndjson']);
    assertSame(['read', ...captures, '--timeout', '0.5', '--format', 'table']);
  });

  it('a damaged capture: the verdicts before the damage, the error line, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synscope-threads-'));
    try {
      const cut = join(dir, 'cut.pcapng');
      writeFileSync(cut, readFileSync(join(CAPTURES, 'mixed.pcapng')).subarray(0, 5000));
      const junk = join(dir, 'junk.pcap');
      writeFileSync(junk, Buffer.alloc(64, 0x78));
      const r = assertSame(['read', cut, '--format', 'lines']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /cut\.pcapng: truncated .* at byte \d+/);
      assert.ok(r.stdout.split('\n').length > 3, 'verdicts before the damage are listed');
      assert.equal(assertSame(['read', junk, cut, '--format', 'json']).status, 2);
      assert.equal(assertSame(['read', junk]).stdout, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('read: stdout that cannot take the report', function () {
  this.timeout(60_000);

  it('a full disk (/dev/full): one line on stderr and exit 2, in one thread and in two', () => {
    for (const threads of ['0', '1']) {
      for (const format of ['json', 'table']) {
        const fd = openSync('/dev/full', 'w');
        try {
          const r = spawnSync(process.execPath, [CLI, 'read', join(CAPTURES, 'mixed.pcapng'), '--format', format], {
            stdio: ['ignore', fd, 'pipe'],
            encoding: 'utf8',
            timeout: 30_000,
            env: { ...process.env, SYNSCOPE_THREADS: threads },
          });
          assert.equal(r.status, 2, `threads ${threads} ${format}: ${r.stderr}`);
          assert.equal(
            r.stderr,
            'synscope: cannot write the report to stdout: ENOSPC: no space left on device, write\n',
          );
        } finally {
          closeSync(fd);
        }
      }
    }
  });
});

describe('read: error lines after the whole report', function () {
  this.timeout(60_000);

  it('a damaged capture with stdout and stderr on one slow pipe: the error line comes last', () => {
    // 3 000 refused attempts (SYN, then RST/ACK), then a record cut short: far more than a pipe holds.
    const records: PcapRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      const port = 20000 + i;
      const syn = ethernet(0x0800, ipv4(6, tcp({ srcPort: port, dstPort: 9, seq: 1000, ack: 0, flags: TCP_FLAG_SYN })));
      const rst = ethernet(
        0x0800,
        ipv4(6, tcp({ srcPort: 9, dstPort: port, seq: 0, ack: 1001, flags: TCP_FLAG_RST | TCP_FLAG_ACK }), {
          src: SERVER4,
          dst: CLIENT4,
        }),
      );
      records.push({ tsSec: 1_700_000_000 + Math.floor(i / 1000), tsSub: (i % 1000) * 1000, data: syn });
      records.push({ tsSec: 1_700_000_000 + Math.floor(i / 1000), tsSub: (i % 1000) * 1000 + 10, data: rst });
    }
    const built = buildPcap(records).bytes;
    const dir = mkdtempSync(join(tmpdir(), 'synscope-order-'));
    try {
      const file = join(dir, 'cut.pcap');
      writeFileSync(file, built.subarray(0, built.length - 20));
      for (const threads of ['0', '1']) {
        const r = spawnSync(
          'sh',
          ['-c', `"$0" "$1" read "$2" --format lines 2>&1 | (sleep 1; cat)`, process.execPath, CLI, file],
          {
            encoding: 'utf8',
            timeout: 30_000,
            env: { ...process.env, SYNSCOPE_THREADS: threads },
          },
        );
        const lines = r.stdout.trimEnd().split('\n');
        assert.ok(lines.length > 3000, `threads ${threads}: ${lines.length} lines`);
        assert.match(
          lines[lines.length - 1]!,
          /^synscope: .*cut\.pcap: truncated .* at byte \d+$/,
          `threads ${threads}`,
        );
        assert.match(lines[lines.length - 2]!, /^# 3000 attempts: 2999 refused, 1 incomplete /, `threads ${threads}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('read: a reader that goes away (EPIPE)', function () {
  this.timeout(60_000);

  it('ends quietly with status 0, in one thread and in two', async () => {
    for (const threads of ['0', '1']) {
      const child = spawn(process.execPath, [CLI, 'read', ...captures, '--format', 'json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SYNSCOPE_THREADS: threads },
      });
      child.stdout.destroy(); // the reader is gone before the first byte is written
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        stderr += d;
      });
      const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      assert.equal(stderr, '', `threads ${threads}`);
      assert.equal(status, 0, `threads ${threads}`);
    }
  });
});

describe('read: when it uses two threads', () => {
  const saved = process.env['SYNSCOPE_THREADS'];
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-threads-'));
    delete process.env['SYNSCOPE_THREADS'];
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env['SYNSCOPE_THREADS'];
    else process.env['SYNSCOPE_THREADS'] = saved;
  });

  it('regular files of 16 MiB or more in all; not for stdin, a FIFO, a missing file or --evidence', () => {
    const small = join(CAPTURES, 'mixed.pcapng');
    const big = join(dir, 'big.pcap');
    writeFileSync(big, '');
    truncateSync(big, 16 * 1024 * 1024); // sparse: no disk used
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    assert.equal(threadsWanted([small], false), false);
    assert.equal(threadsWanted([big], false), true);
    assert.equal(threadsWanted([small, big], false), true);
    assert.equal(threadsWanted([big], true), false);
    assert.equal(threadsWanted([big, '-'], false), false);
    assert.equal(threadsWanted([big, fifo], false), false);
    assert.equal(threadsWanted([big, join(dir, 'missing.pcap')], false), false);
    process.env['SYNSCOPE_THREADS'] = '1';
    assert.equal(threadsWanted([small], false), true);
    assert.equal(threadsWanted([small], true), false);
    assert.equal(threadsWanted(['-'], false), false);
    process.env['SYNSCOPE_THREADS'] = '0';
    assert.equal(threadsWanted([big], false), false);
  });

  it('the workers start before the command line is parsed when the raw arguments name such files', () => {
    assert.deepEqual(readFilesOf(['read', 'a.pcap', 'b.pcap']), ['a.pcap', 'b.pcap']);
    assert.deepEqual(
      readFilesOf(['read', '--format', 'json', '-f', 'ndjson', 'a.pcap', '--only=dropped', '--port', '80']),
      ['a.pcap'],
    );
    assert.deepEqual(readFilesOf(['read', '--timeout', '5', '--host', '10.0.0.1', '--fail-on', 'refused', 'a.pcap']), [
      'a.pcap',
    ]);
    assert.deepEqual(readFilesOf(['read', '--', '-odd-name.pcap']), ['-odd-name.pcap']);
    assert.deepEqual(readFilesOf(['read', '--since', '12:22', '--until', '+30s', 'a.pcap']), ['a.pcap']);
    for (const argv of [
      ['live', '-i', 'eth0'],
      ['interfaces'],
      ['read'],
      ['read', '-'],
      ['read', 'a.pcap', '--evidence', 'e.pcap'],
      ['read', 'a.pcap', '--evidence=e.pcap'],
      ['read', 'a.pcap', '--chart', 'c.svg'],
      ['read', 'a.pcap', '--help'],
      ['read', '--version'],
    ]) {
      assert.equal(readFilesOf(argv), null, argv.join(' '));
    }
  });

  it('early workers that are not used hold nothing up: bad usage, --help', () => {
    const env = { SYNSCOPE_THREADS: '1' };
    const small = join(CAPTURES, 'mixed.pcapng');
    const bad = synscope(['read', small, '--format', 'bogus'], undefined, env);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^synscope: --format: unknown format 'bogus'.*\n$/);
    const help = synscope(['read', small, '--help'], undefined, env);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /synscope read \[captures\.\.\]/);
  });
});
