// Signals and exit status, as a user meets them (src/cli/signals.ts, run.ts): SIGINT, SIGTERM and SIGHUP
// end `read -` fed by a pipe that never ends, and `read` of 2000 inputs, with the verdicts so far, the
// summary and a complete evidence file; a second Ctrl-C exits at once; SIGUSR1 prints statistics and
// never opens Node's inspector; --fail-on keeps its status when stdout closes early; a low `ulimit -n`
// is one line. (`live` is in test/live.test.ts.)

import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIN_FILE_DESCRIPTORS } from '../../src/cli/limits.js';
import { TCP_FLAG_ACK, TCP_FLAG_RST, TCP_FLAG_SYN } from '../../src/decode/view.js';
import { buildPcap, type PcapRecord } from '../helpers/capture-files.js';
import { CAPTURES, CLI, ROOT, synscope } from '../helpers/cli.js';
import { CLIENT4, SERVER4, ethernet, ipv4, tcp } from '../helpers/frames.js';

const MIXED = join(CAPTURES, 'mixed.pcapng');

/** `n` connects to a closed port from ports `port`..., each answered by a RST, from time `sec` on. */
function refused(sec: number, port: number, n: number): PcapRecord[] {
  const records: PcapRecord[] = [];
  for (let i = 0; i < n; i++) {
    const syn = ethernet(
      0x0800,
      ipv4(6, tcp({ srcPort: port + i, dstPort: 9, seq: 1000, ack: 0, flags: TCP_FLAG_SYN })),
    );
    const rst = ethernet(
      0x0800,
      ipv4(6, tcp({ srcPort: 9, dstPort: port + i, seq: 0, ack: 1001, flags: TCP_FLAG_RST | TCP_FLAG_ACK }), {
        src: SERVER4,
        dst: CLIENT4,
      }),
    );
    records.push({ tsSec: sec, tsSub: i * 100, data: syn }, { tsSec: sec, tsSub: i * 100 + 10, data: rst });
  }
  return records;
}

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | string>;
  /** Resolves once `test` holds for the output; rejects after `ms`. */
  until(what: string, test: (r: Run) => boolean, ms?: number): Promise<void>;
}

/** Starts the CLI; with `stdin`, writes it and leaves stdin open (a capture that never ends). */
function start(args: readonly string[], stdin: Buffer | null, env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  const r: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'))),
    until: (what, test, ms = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const t0 = Date.now();
        const poll = (): void => {
          if (test(r)) resolve();
          else if (child.exitCode !== null || child.signalCode !== null)
            reject(new Error(`exited before ${what}: ${r.stderr}`));
          else if (Date.now() - t0 > ms) reject(new Error(`no ${what} after ${ms} ms; stderr: ${r.stderr}`));
          else setTimeout(poll, 20);
        };
        poll();
      }),
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    r.stdout += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    r.stderr += d;
  });
  child.stdin!.on('error', () => undefined);
  if (stdin !== null) child.stdin!.write(stdin);
  else child.stdin!.end();
  return r;
}

async function ended(r: Run, ms = 15_000): Promise<number | string> {
  const timer = setTimeout(() => r.child.kill('SIGKILL'), ms);
  const code = await r.exited;
  clearTimeout(timer);
  r.child.stdin!.destroy();
  return code;
}

/** TCP sockets a process listens on (from /proc: its socket inodes in the LISTEN state). */
function listening(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

describe('cli signals and exit status', function () {
  this.timeout(60_000);
  let dir = '';
  /** Many one-attempt captures, so that a read lasts long enough to be interrupted. */
  let many: string[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-signals-'));
    // Rotated files: one refused attempt each, one second after the previous file's.
    many = Array.from({ length: 2000 }, (_, i) => {
      const p = join(dir, `r${i}.pcap`);
      writeFileSync(p, buildPcap(refused(1_700_000_000 + i, 20000 + (i % 40000), 1)).bytes);
      return p;
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} ends read fed by an endless pipe: the verdicts, summary and evidence, exit ${status}`, async () => {
      const whole = synscope(['read', MIXED, '--format', 'lines', '--only', 'all']);
      const evidence = join(dir, `stdin-${signal}.pcap`);
      const r = start(['read', '-', '--format', 'lines', '--only', 'all', '--evidence', evidence], readFileSync(MIXED));
      // Verdicts come while the input is still open: those no earlier attempt holds back.
      await r.until('the first verdicts', (x) => x.stdout.split('\n').length > 3);
      r.child.kill(signal);
      assert.equal(await ended(r), status, r.stderr);
      // Everything was sent: the same report as reading the file, but for the evidence line.
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines.pop()!, new RegExp(`^# evidence: 29 packets written to ${evidence}$`));
      assert.equal(`${lines.join('\n')}\n`, whole.stdout);
      assert.equal(r.stderr, '');
      const back = synscope(['read', evidence, '--format', 'json', '--only', 'all']);
      assert.equal((JSON.parse(back.stdout) as { captures: { packets: number }[] }).captures[0]!.packets, 29);
    });
  }

  it('a second Ctrl-C exits at once, even while the evidence waits for a FIFO reader', async () => {
    const fifo = join(dir, 'no-reader');
    execFileSync('mkfifo', [fifo]);
    const r = start(['read', '-', '--format', 'lines', '--evidence', fifo], readFileSync(MIXED));
    await r.until('the first verdict', (x) => x.stdout.includes('refused'));
    r.child.kill('SIGINT');
    // Waiting for a reader of the FIFO to finish the evidence.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(r.child.exitCode, null, 'still finishing after the first');
    const t0 = Date.now();
    r.child.kill('SIGINT');
    // By the default action of SIGINT: a shell reports 130.
    assert.equal(await ended(r), 'SIGINT');
    assert.ok(Date.now() - t0 < 2000);
  });

  it('SIGINT stops read of 2000 inputs: the verdicts so far and the summary, exit 130', async () => {
    const r = start(['read', ...many, '--format', 'lines'], null);
    // SIGUSR1 tells how far it got: interrupt once some inputs were read. (Not in the first moments of
    // the process: until Node has started, SIGUSR1's default action ends it.)
    await new Promise((resolve) => setTimeout(resolve, 400));
    let asked = 0;
    await r.until('a statistics line past the first input', (x) => {
      if (++asked % 5 === 0) x.child.kill('SIGUSR1');
      return /^synscope: input ([2-9]|\d\d+) of 2000, /m.test(x.stderr);
    });
    r.child.kill('SIGINT');
    assert.equal(await ended(r), 130, r.stderr);
    const m = /^# (\d+) attempts: \d+ refused \(\d+ packets, 2000 captures\)$/m.exec(r.stdout);
    assert.ok(m !== null, r.stdout.slice(-300));
    const attempts = Number(m[1]);
    assert.ok(attempts > 0 && attempts < 2000, `${attempts} attempts`);
    assert.equal(r.stdout.split('\n').filter((l) => l.includes(' refused ECONNREFUSED')).length, attempts);
  });

  it('SIGUSR1 prints a statistics line on stderr and never opens the inspector', async function () {
    if (process.platform !== 'linux') this.skip(); // /proc
    // Control: a bare node process does open it on SIGUSR1 (or says the port is taken).
    const bare = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let bareErr = '';
    bare.stderr!.setEncoding('utf8').on('data', (d: string) => {
      bareErr += d;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    bare.kill('SIGUSR1');
    const t0 = Date.now();
    while (!/inspector|Debugger/i.test(bareErr) && Date.now() - t0 < 5000)
      await new Promise((resolve) => setTimeout(resolve, 50));
    bare.kill('SIGKILL');
    assert.match(bareErr, /inspector|Debugger/i, 'node opens its inspector on SIGUSR1');

    const r = start(['read', '-', '--format', 'lines'], readFileSync(MIXED));
    await r.until('the first verdict', (x) => x.stdout.includes('refused'));
    r.child.kill('SIGUSR1');
    await r.until('the statistics line', (x) => /^synscope: input 1 of 1, -: 44 packets$/m.test(x.stderr));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(listening(r.child.pid!), [], 'no listening socket (9229)');
    assert.doesNotMatch(r.stderr, /inspector|Debugger/i);
    r.child.kill('SIGTERM');
    assert.equal(await ended(r), 143);
  });

  it('--fail-on keeps its status when stdout closes early (| head -1)', async () => {
    // 3000 refused attempts in one capture: ~400 kB of lines, more than one write.
    const records = refused(1_700_000_000, 20000, 3000);
    const file = join(dir, 'refused-3000.pcap');
    writeFileSync(file, buildPcap(records).bytes);
    for (const [failOn, status] of [
      ['refused', 1],
      ['dropped', 0],
    ] as const) {
      const r = start(['read', file, '--format', 'lines', '--fail-on', failOn], null);
      // The reader goes away after the first line: every later write meets EPIPE.
      await r.until('the first line', (x) => x.stdout.includes('\n'));
      r.child.stdout!.destroy();
      assert.equal(await ended(r), status, `--fail-on ${failOn}: ${r.stderr}`);
      assert.equal(r.stderr, '');
    }
  });

  const min = MIN_FILE_DESCRIPTORS;
  it(`ulimit -n below ${min}: one line naming the limit, exit 2; at ${min}, thousands of files read`, () => {
    const bash = (limit: number, cmd: string, args: readonly string[]): ReturnType<typeof spawnSync> =>
      spawnSync('bash', ['-c', `ulimit -n ${limit} && exec "$@"`, 'bash', cmd, ...args], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    for (const limit of [32, 20]) {
      const r = bash(limit, process.execPath, [CLI, 'read', MIXED]);
      assert.equal(r.status, 2, String(r.stderr));
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `synscope: too few file descriptors: ulimit -n is ${limit}, synscope needs at least ${min} ` +
          '(raise it: ulimit -n 1024)\n',
      );
    }
    // Below ~18 Node itself crashes before any JavaScript runs: the installed command checks first.
    for (const limit of [32, 16]) {
      const r = bash(limit, join(ROOT, 'bin', 'synscope'), ['read', MIXED]);
      assert.equal(r.status, 2, String(r.stderr));
      assert.equal(
        r.stderr,
        `synscope: too few file descriptors: ulimit -n is ${limit}, synscope needs at least ${min} ` +
          '(raise it: ulimit -n 1024)\n',
      );
    }
    const r = spawnSync(
      'bash',
      [
        '-c',
        `ulimit -n ${MIN_FILE_DESCRIPTORS} && exec "$@"`,
        'bash',
        process.execPath,
        CLI,
        'read',
        ...many,
        '--format',
        'lines',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# 2000 attempts: 2000 refused \(4000 packets, 2000 captures\)$/m);
    assert.equal(synscope(['read', MIXED]).status, 0);
  });
});
