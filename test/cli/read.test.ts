// `synscope read` as a user runs it: exit statuses, one-line errors, stdin, filters, --fail-on,
// damaged captures that still report what came before the damage.

import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { CLI, synscope } from '../helpers/cli.js';

interface Report {
  handshakes: {
    file: string;
    outcome: string;
    errno: string | null;
    client: { port: number };
    server: { ip: string; port: number };
    frames: number[];
    spans?: { file: string; frames: number[] }[];
  }[];
  summary: Record<string, number>;
  captures: { file: string; format: string; gzip: boolean; packets: number; error: string | null }[];
}

const json = (stdout: string): Report => JSON.parse(stdout) as Report;

describe('cli/read', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('bad usage: exit 2 and one line naming the bad value, never a stack trace', () => {
    const cases: [string[], RegExp][] = [
      [['read', 'captures/mixed.pcapng', '--format', 'xml'], /--format: unknown format 'xml'/],
      [['read', 'captures/mixed.pcapng', '--timeout', '-1'], /--timeout: '-1' is not a positive number/],
      [['read', 'captures/mixed.pcapng', '--timeout', 'soon'], /--timeout: 'soon'/],
      [['read', 'captures/mixed.pcapng', '--only', 'refused,nope'], /--only: unknown outcome 'nope'/],
      [['read', 'captures/mixed.pcapng', '--fail-on', 'broken'], /--fail-on: unknown outcome 'broken'/],
      [['read', 'captures/mixed.pcapng', '--port', '70000'], /--port: '70000' is not a port number/],
      [
        ['read', 'captures/mixed.pcapng', '--host', '10.0.0.300'],
        /--host: '10.0.0.300' is not an IPv4 or IPv6 address/,
      ],
      [['read', 'captures/mixed.pcapng', '--bogus'], /Unknown argument: bogus/],
      [['read'], /name at least one capture file/],
      [['read', '-', '-'], /stdin \(-\) can be read only once/],
      [['read', 'captures/mixed.pcapng', '--evidence', ''], /--evidence needs a file name/],
      [['read', 'captures/mixed.pcapng', '--format', 'json', '--format', 'table'], /--format was given 2 times/],
      [['frobnicate'], /frobnicate|command/i],
    ];
    for (const [args, message] of cases) {
      it(args.slice(1).join(' ') || args[0]!, () => {
        const r = synscope(args);
        assert.equal(r.status, 2);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
        assert.equal(r.stdout, '');
        assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      });
    }
  });

  it('a missing file, a directory, an empty file and garbage: exit 2, the file named', () => {
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, '');
    const garbage = join(dir, 'garbage.pcap');
    writeFileSync(garbage, 'this is not a capture at all, just text\n');
    for (const [file, message] of [
      ['no-such.pcap', /no-such\.pcap: .*(no such file|not found)/i],
      ['scripts', /scripts: no capture files in this directory/i],
      [empty, /empty\.pcap: empty file/],
      [garbage, /garbage\.pcap: not a pcap or pcapng capture/],
    ] as const) {
      const r = synscope(['read', file]);
      assert.equal(r.status, 2, file);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    }
  });

  it('--fail-on: exit 1 when an attempt had one of those outcomes, 0 otherwise', () => {
    assert.equal(synscope(['read', 'captures/mixed.pcapng', '--fail-on', 'refused']).status, 1);
    assert.equal(synscope(['read', 'captures/mixed.pcapng', '--fail-on', 'timed-out,aborted']).status, 0);
    assert.equal(synscope(['read', 'captures/mixed.pcapng', '--fail-on', 'dropped', '--format', 'json']).status, 1);
  });

  it('--only lists those outcomes and the summary still counts all', () => {
    const all = json(synscope(['read', 'captures/mixed.pcapng', '--format', 'json']).stdout);
    const r = json(synscope(['read', 'captures/mixed.pcapng', '--format', 'json', '--only', 'refused']).stdout);
    assert.ok(r.handshakes.length > 0);
    assert.ok(r.handshakes.every((h) => h.outcome === 'refused'));
    assert.equal(r.handshakes.length, all.summary['refused']);
    assert.deepEqual(r.summary, all.summary);
  });

  it('--host and --port keep only attempts with that address / port on either side', () => {
    const all = json(synscope(['read', 'captures/mixed.pcapng', '--format', 'json']).stdout);
    const target = all.handshakes.find((h) => h.outcome === 'refused')!;
    const byPort = json(
      synscope(['read', 'captures/mixed.pcapng', '--format', 'json', '--port', String(target.server.port)]).stdout,
    );
    assert.ok(byPort.handshakes.length >= 1);
    assert.ok(
      byPort.handshakes.every((h) => h.server.port === target.server.port || h.client.port === target.server.port),
    );
    const byHost = json(
      synscope(['read', 'captures/mixed.pcapng', '--format', 'json', '--host', target.server.ip]).stdout,
    );
    assert.ok(byHost.handshakes.length >= 1 && byHost.handshakes.length < all.handshakes.length);
    assert.ok(byHost.handshakes.every((h) => h.server.ip === target.server.ip));
  });

  it('reads a capture streamed on stdin, plain or gzip, like the file', () => {
    const file = readFileSync('captures/mixed.pcapng');
    const fromFile = json(synscope(['read', 'captures/mixed.pcapng', '--format', 'json']).stdout);
    for (const input of [file, gzipSync(file)]) {
      const r = synscope(['read', '-', '--format', 'json'], input);
      assert.equal(r.status, 0, r.stderr);
      const got = json(r.stdout);
      assert.deepEqual(
        got.handshakes.map((h) => ({ ...h, file: undefined })),
        fromFile.handshakes.map((h) => ({ ...h, file: undefined })),
      );
      assert.equal(got.captures[0]?.file, '-');
    }
  });

  it('several captures: each counted, frames numbered per file', () => {
    const r = json(
      synscope(['read', 'captures/refused-closed-port.pcap', 'captures/mixed.pcapng', '--format', 'json']).stdout,
    );
    assert.equal(r.captures.length, 2);
    const one = json(synscope(['read', 'captures/refused-closed-port.pcap', '--format', 'json']).stdout);
    const two = json(synscope(['read', 'captures/mixed.pcapng', '--format', 'json']).stdout);
    assert.equal(r.summary['attempts'], (one.summary['attempts'] ?? 0) + (two.summary['attempts'] ?? 0));
  });

  it('a FIFO whose writer stays open after damaged bytes: exit 2 at once, no wait for more input', async function () {
    this.timeout(20_000);
    const fifo = join(dir, 'capture.fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) this.skip();
    const child = spawn(process.execPath, [CLI, 'read', fifo, '--format', 'json'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const writer = await open(fifo, 'w');
    try {
      // A valid capture, then a record header claiming an impossible caplen; the writer stays open.
      const good = readFileSync('captures/refused-closed-port.pcap');
      const bad = Buffer.alloc(16);
      bad.writeUInt32LE(0xffffff, 8);
      await writer.write(Buffer.concat([good, bad]));
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
      assert.notEqual(code, 'hung', 'synscope waited for more input after the damage');
      assert.equal(code, 2);
      assert.match(stderr, /capture\.fifo: invalid packet record caplen/);
      assert.equal(json(stdout).summary['refused'], 1, 'the verdict before the damage is reported');
    } finally {
      await writer.close();
      child.kill();
    }
  });

  it('a capture cut short: the verdicts before the damage, then exit 2 naming the file and byte offset', () => {
    const whole = readFileSync('captures/backlog-overflow.pcap');
    const full = json(synscope(['read', 'captures/backlog-overflow.pcap', '--format', 'json']).stdout);
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 30));
    const r = synscope(['read', cut, '--format', 'json']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cut\.pcap: truncated .* at byte \d+/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const got = json(r.stdout); // still one valid JSON object
    assert.ok(got.summary['attempts']! >= full.summary['attempts']! - 1, 'the attempts before the damage are reported');
    assert.match(got.captures[0]?.error ?? '', /at byte \d+/);
  });

  it('a gzip capture cut short, in a file or on stdin: its verdicts, then exit 2 at the decompressed offset', () => {
    const inner = readFileSync('captures/mixed.pcapng');
    const full = json(synscope(['read', 'captures/mixed.pcapng', '--format', 'json']).stdout);
    const gz = gzipSync(inner);
    // Without its 8-byte trailer the stream still holds the whole capture: a small ticket attachment
    // cut at the end of a download loses nothing.
    const cut = join(dir, 'cut.pcapng.gz');
    writeFileSync(cut, gz.subarray(0, gz.length - 8));
    for (const [args, input, name] of [
      [['read', cut], undefined, `${dir}/cut\\.pcapng\\.gz`],
      [['read', '-'], gz.subarray(0, gz.length - 8), '-'],
    ] as const) {
      const r = synscope([...args, '--format', 'json'], input);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^synscope: ${name}: truncated gzip stream at byte ${inner.length}\\n$`));
      const got = json(r.stdout);
      assert.deepEqual(got.summary, full.summary);
      assert.deepEqual(
        got.handshakes.map((h) => h.frames),
        full.handshakes.map((h) => h.frames),
      );
    }
  });

  it('--evidence naming an input or a directory: exit 2 before any analysis, no stdout, the input untouched', () => {
    const input = join(dir, 'in.pcapng');
    const bytes = readFileSync('captures/mixed.pcapng');
    writeFileSync(input, bytes);
    for (const [target, problem] of [
      [input, `refusing to overwrite the input capture ${input}`],
      [dir, 'is a directory'],
    ] as const) {
      const r = synscope(['read', input, '--evidence', target]);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `synscope: --evidence ${target}: ${problem}\n`);
    }
    assert.deepEqual(readFileSync(input), bytes);
  });

  describe('several inputs are one capture', () => {
    const G = 'captures/rotated-G';
    const filesOf = (d: string): string[] =>
      readdirSync(d)
        .sort()
        .map((f) => join(d, f));

    it('read DIR = the same files named in any order: one timeline, the same handshakes', () => {
      const byDir = json(synscope(['read', G, '--format', 'json']).stdout);
      const reversed = json(synscope(['read', ...filesOf(G).reverse(), '--format', 'json']).stdout);
      assert.deepEqual(reversed.handshakes, byDir.handshakes);
      assert.deepEqual(reversed.summary, byDir.summary);
      assert.equal(byDir.captures.length, filesOf(G).length);
    });

    it('a directory: its captures only (other files left out), and nothing at all is an error', () => {
      const d = join(dir, 'set');
      mkdirSync(d);
      for (const f of filesOf(G)) copyFileSync(f, join(d, basename(f)));
      writeFileSync(join(d, 'README.txt'), 'notes about this capture\n');
      writeFileSync(join(d, 'empty'), '');
      mkdirSync(join(d, 'sub'));
      const r = synscope(['read', d, '--format', 'json']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(json(r.stdout).captures.length, filesOf(G).length);
      const none = synscope(['read', join(d, 'sub')]);
      assert.equal(none.status, 2);
      assert.match(none.stderr, /sub: no capture files in this directory/);
    });

    it('a damaged file in the set: its error names file and offset, exit 2, the timeline goes on', () => {
      const d = join(dir, 'damaged');
      mkdirSync(d);
      const files = filesOf(G);
      for (const f of files) copyFileSync(f, join(d, basename(f)));
      // The file holding the refused attempt's SYN loses its last 10 bytes (inside its last record).
      const whole = json(synscope(['read', G, '--format', 'json']).stdout);
      const refused = whole.handshakes.find((h) => h.outcome === 'refused')!;
      const victim = join(d, basename(refused.file));
      const bytes = readFileSync(victim);
      writeFileSync(victim, bytes.subarray(0, bytes.length - 10));
      const r = synscope(['read', d, '--format', 'json']);
      assert.equal(r.status, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      const m = /: truncated packet record at byte (\d+)$/.exec(r.stderr.trim());
      assert.ok(r.stderr.includes(victim) && m !== null, r.stderr);
      assert.ok(Number(m[1]) > 24 && Number(m[1]) < bytes.length - 10, 'the offset of the cut record');
      const got = json(r.stdout);
      assert.notEqual(got.captures.find((c) => c.file === victim)?.error ?? null, null);
      // Every attempt is still there, decided on what the files show: the other files went on.
      assert.equal(got.summary['attempts'], whole.summary['attempts']);
      assert.equal(got.summary['dropped'], 1, 'the SYN retransmissions in later files still join their attempt');
    });

    it('--evidence: every packet of the listed attempts in timeline order, one pcap tshark reads', () => {
      const out = join(dir, 'set-evidence.pcap');
      const r = synscope(['read', 'captures/two-interfaces', '--only', 'all', '--evidence', out, '--format', 'json']);
      assert.equal(r.status, 0, r.stderr);
      const refs = new Set(
        json(r.stdout).handshakes.flatMap((h) =>
          (h.spans ?? [{ file: h.file, frames: h.frames }]).flatMap((sp) => sp.frames.map((n) => `${sp.file}:${n}`)),
        ),
      );
      const times = execFileSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map(Number);
      assert.equal(times.length, refs.size, 'each packet once');
      for (let i = 1; i < times.length; i++)
        assert.ok(times[i]! >= times[i - 1]!, `packet ${i + 1} is not before packet ${i}`);
    });

    it('290 rotated files under `ulimit -n 64`: the verdicts of the unsplit capture', () => {
      const src = 'captures/rotated-C/ring.pcap3'; // 3 186 packets, 5 attempts
      const bytes = readFileSync(src);
      const d = join(dir, 'split');
      mkdirSync(d);
      // Eleven records per file (the pcap header in front of each), as tcpdump -C would cut it.
      let n = 0;
      for (let at = 24; at < bytes.length; n++) {
        const start = at;
        for (let k = 0; k < 11 && at < bytes.length; k++) at += 16 + bytes.readUInt32LE(at + 8);
        writeFileSync(
          join(d, `part-${String(n).padStart(4, '0')}.pcap`),
          Buffer.concat([bytes.subarray(0, 24), bytes.subarray(start, at)]),
        );
      }
      const whole = json(synscope(['read', src, '--format', 'json']).stdout);
      assert.ok(n >= 250, `${n} files`);
      const r = spawnSync(
        'bash',
        ['-c', `ulimit -n 64 && exec "${process.execPath}" "${CLI}" read "${d}" --format json`],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      const split = json(r.stdout);
      assert.equal(split.captures.length, n);
      assert.deepEqual(split.summary, whole.summary);
      assert.deepEqual(
        split.handshakes.map((h) => [h.client.port, h.outcome, h.errno]),
        whole.handshakes.map((h) => [h.client.port, h.outcome, h.errno]),
      );
    });
  });
});
