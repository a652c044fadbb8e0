// Two network namespaces joined by a veth pair, for the live tests and scripts/bench/bench-live.ts. All
// traffic stays between them: the only addresses are 10.199.0.0/24 and fd99:199::/64, set inside
// namespaces this process creates (named sst-<pid>-..., or $SYNSCOPE_NETNS_PREFIX-<pid>-...). cleanup() kills what
// was started in them and deletes them.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BINDING_PATH } from '../../src/capture/live.js';
import { ROOT } from './cli.js';

export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const REQUIRE_ENV = 'SYNSCOPE_REQUIRE_LIVE_TESTS';
/** Namespace and interface names start with this (a few letters), so that parallel runs never clash. */
export const PREFIX = /^[a-z][a-z0-9]{0,5}$/.test(process.env['SYNSCOPE_NETNS_PREFIX'] ?? '')
  ? process.env['SYNSCOPE_NETNS_PREFIX']!
  : 'sst';

export const SERVER_IP = '10.199.0.1';
export const CLIENT_IP = '10.199.0.2';
export const SERVER_IP6 = 'fd99:199::1';
export const CLIENT_IP6 = 'fd99:199::2';

function run(
  cmd: string,
  args: readonly string[],
  timeoutMs = 10_000,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}

function must(cmd: string, args: readonly string[]): string {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * What the live tests need and this machine lacks, or null when everything is there: root, `ip netns`,
 * a veth pair, iptables, the `cap` addon, and the built CLI.
 */
export function liveTestsMissing(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'root (live capture and network namespaces need it)';
  if (process.platform !== 'linux') return 'Linux (network namespaces)';
  if (run('ip', ['-V']).status !== 0) return 'iproute2 (the ip command)';
  const probe = `${PREFIX}-${process.pid}-probe`;
  const add = run('ip', ['netns', 'add', probe]);
  if (add.status !== 0) return `network namespaces (ip netns add: ${add.stderr.trim()})`;
  try {
    const veth = run('ip', [
      '-n',
      probe,
      'link',
      'add',
      `${PREFIX}probe0`,
      'type',
      'veth',
      'peer',
      'name',
      `${PREFIX}probe1`,
    ]);
    if (veth.status !== 0) return `veth interfaces (${veth.stderr.trim()})`;
    const ipt = run('ip', ['netns', 'exec', probe, 'iptables', '-S']);
    if (ipt.status !== 0) return `iptables in a namespace (${ipt.stderr.trim() || 'not installed'})`;
  } finally {
    run('ip', ['netns', 'del', probe]);
  }
  try {
    createRequire(import.meta.url)(BINDING_PATH);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return `synscope's libpcap binding (${why}; npm run build:native)`;
  }
  if (!existsSync(CLI)) return `${CLI} (run npm run build first)`;
  return null;
}

/**
 * Skips the suite with a message naming what is missing, or fails it when SYNSCOPE_REQUIRE_LIVE_TESTS=1
 * (CI runs as root and must really run these tests).
 */
export function requireLive(ctx: Mocha.Context): void {
  const missing = liveTestsMissing();
  if (missing === null) return;
  if (process.env[REQUIRE_ENV] === '1') {
    throw new Error(`${REQUIRE_ENV}=1 but the live tests cannot run: this machine lacks ${missing}`);
  }
  process.stderr.write(`    (live tests skipped: needs ${missing}; set ${REQUIRE_ENV}=1 to make this a failure)\n`);
  ctx.skip();
}

/** Removes namespaces left by earlier runs that died before their cleanup (their pid is gone). */
function removeStale(): void {
  const r = run('ip', ['netns', 'list']);
  for (const line of r.stdout.split('\n')) {
    const m = new RegExp(`^(${PREFIX}-(\\d+)-[a-z]+)\\b`).exec(line.trim());
    if (m === null) continue;
    const pid = Number(m[2]);
    if (pid === process.pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) run('ip', ['netns', 'del', m[1]!]);
  }
}

/** The fields of an ndjson handshake the live tests look at. */
export interface LiveHandshake {
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  outcome: string;
  errno: string | null;
  synCount: number;
  answer: { kind: string; from: string; icmpType?: number; icmpCode?: number } | null;
  frames: number[];
}

export interface Spawned {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Complete lines on stdout so far (counted as they arrive: cheap to poll during a burst). */
  stdoutLines: number;
  /** Resolves with the exit code (or the signal name) once the process has exited and its output is read. */
  readonly exited: Promise<number | string>;
  /** Resolves when `test` holds for stdout/stderr, rejects after `ms` (naming `what`). */
  waitFor(what: string, test: (s: Spawned) => boolean, ms: number): Promise<void>;
}

export class NetnsPair {
  readonly server: string;
  readonly client: string;
  /** veth ends: serverIf lives in `server`, clientIf in `client`. */
  readonly serverIf: string;
  readonly clientIf: string;
  private readonly children = new Set<ChildProcess>();
  private cleaned = false;
  private readonly onExit = (): void => this.cleanup();

  constructor(tag = '') {
    removeStale();
    const id = `${process.pid}${tag}`;
    this.server = `${PREFIX}-${id}-srv`;
    this.client = `${PREFIX}-${id}-cli`;
    // Interface names are limited to 15 bytes.
    this.serverIf = `${PREFIX}${id}s`.slice(-15);
    this.clientIf = `${PREFIX}${id}c`.slice(-15);
    process.once('exit', this.onExit);
    try {
      must('ip', ['netns', 'add', this.server]);
      must('ip', ['netns', 'add', this.client]);
      // Created inside the server namespace, its peer moved straight into the client's: neither end
      // ever exists in the namespace this process runs in.
      must('ip', [
        '-n',
        this.server,
        'link',
        'add',
        this.serverIf,
        'type',
        'veth',
        'peer',
        'name',
        this.clientIf,
        'netns',
        this.client,
      ]);
      for (const [ns, dev, ip4, ip6] of [
        [this.server, this.serverIf, SERVER_IP, SERVER_IP6],
        [this.client, this.clientIf, CLIENT_IP, CLIENT_IP6],
      ] as const) {
        must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
        must('ip', ['-n', ns, 'addr', 'add', `${ip4}/24`, 'dev', dev]);
        must('ip', ['-n', ns, 'addr', 'add', `${ip6}/64`, 'dev', dev, 'nodad']);
        must('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      }
      // A dropped SYN: the client gives up after one retransmission (SYNs at 0 and 1 s, ETIMEDOUT at 3 s).
      must('ip', ['netns', 'exec', this.client, 'sysctl', '-qw', 'net.ipv4.tcp_syn_retries=1']);
      // Bursts: a wide ephemeral port range, and no rate limit on the ICMP errors the server sends.
      must('ip', ['netns', 'exec', this.client, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=10000 60999']);
      must('ip', ['netns', 'exec', this.server, 'sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
      must('ip', ['netns', 'exec', this.server, 'sysctl', '-qw', 'net.ipv6.icmp.ratelimit=0']);
    } catch (e) {
      this.cleanup();
      throw e;
    }
  }

  /** Runs a command inside a namespace to completion (bounded by timeoutMs). */
  exec(
    ns: string,
    cmd: string,
    args: readonly string[],
    timeoutMs = 10_000,
  ): { status: number | null; stdout: string; stderr: string } {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs);
  }

  /** Like exec() but throws on a non-zero exit. */
  must(ns: string, cmd: string, args: readonly string[]): string {
    return must('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /** Starts a process inside a namespace; cleanup() kills it if it is still running. */
  spawn(ns: string, cmd: string, args: readonly string[]): Spawned {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    this.children.add(child);
    const waiters = new Set<() => void>();
    const s: Spawned = {
      child,
      stdout: '',
      stderr: '',
      stdoutLines: 0,
      exited: new Promise<number | string>((resolve) => {
        // 'close', not 'exit': by then stdout and stderr have been read to the end.
        child.on('close', (code, signal) => {
          this.children.delete(child);
          for (const w of waiters) w();
          resolve(code ?? signal ?? 'unknown');
        });
        child.on('error', () => resolve('spawn error'));
      }),
      waitFor: (what, test, ms) =>
        new Promise<void>((resolve, reject) => {
          if (test(s)) {
            resolve();
            return;
          }
          const check = (): void => {
            if (test(s)) {
              done();
              resolve();
            } else if (child.exitCode !== null || child.signalCode !== null) {
              done();
              reject(new Error(`process exited before ${what}; stderr: ${s.stderr.slice(-2000)}`));
            }
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`timed out after ${ms} ms waiting for ${what}; stderr: ${s.stderr.slice(-2000)}`));
          }, ms);
          const done = (): void => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
        }),
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      s.stdout += d;
      for (let i = d.indexOf('\n'); i >= 0; i = d.indexOf('\n', i + 1)) s.stdoutLines++;
      for (const w of [...waiters]) w();
    });
    child.stderr.on('data', (d: string) => {
      s.stderr += d;
      for (const w of [...waiters]) w();
    });
    return s;
  }

  /** Starts `synscope live` on the server's veth end, and waits until it is capturing. */
  async startLive(args: readonly string[], readyMs = 10_000): Promise<Spawned> {
    const s = this.spawn(this.server, process.execPath, [CLI, 'live', '-i', this.serverIf, ...args]);
    await s.waitFor('synscope to start capturing', (x) => x.stderr.includes('listening on'), readyMs);
    return s;
  }

  /**
   * Runs a node one-liner in a namespace (node is the one client every test machine has) and resolves
   * with its stdout; killed after timeoutMs. Asynchronous, so that the test keeps reading synscope's output.
   */
  async node(ns: string, script: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
    const s = this.spawn(ns, process.execPath, ['-e', script, ...args]);
    const timer = setTimeout(() => s.child.kill('SIGKILL'), timeoutMs);
    const code = await s.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`client script failed (${code}): ${s.stderr.trim()}`);
    return s.stdout;
  }

  /** Kills every process started here and deletes both namespaces (and with them the veth pair). Idempotent. */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    this.children.clear();
    // Processes started in the namespaces by anything else (a listener left by a failed test).
    for (const ns of [this.server, this.client]) {
      const pids = run('ip', ['netns', 'pids', ns])
        .stdout.split('\n')
        .map((x) => Number(x.trim()))
        .filter((n) => n > 0);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      run('ip', ['netns', 'del', ns]);
    }
    process.removeListener('exit', this.onExit);
  }
}

// ---------------------------------------------------------------------------------------------
// client scripts (plain CommonJS for node -e), each bounded in count and time

/**
 * connect(host, port) once with a timeout; prints {"code": "OK" | errno code, "ms": how long connect()
 * took}. When it connects, it closes cleanly (FIN) and waits for the server's FIN.  argv: host port timeoutMs
 */
export const CONNECT_ONCE = `
const net = require('net');
const [host, port, ms] = process.argv.slice(1);
const t0 = process.hrtime.bigint();
const took = () => Number(process.hrtime.bigint() - t0) / 1e6;
let connectMs = 0;
const s = net.connect({ host, port: Number(port) });
const t = setTimeout(() => { console.log(JSON.stringify({ code: 'CLIENT_TIMEOUT' })); process.exit(0); }, Number(ms));
s.on('connect', () => { connectMs = took(); s.end(); });
s.on('close', () => {
  if (!s.errored) { clearTimeout(t); console.log(JSON.stringify({ code: 'OK', ms: connectMs })); }
});
s.on('error', (e) => { clearTimeout(t); console.log(JSON.stringify({ code: e.code, ms: took() })); });
`;

/**
 * n connects to host:port, at most \`parallel\` at a time, each with a timeout; paced to \`rate\` per second
 * when rate > 0. Prints {"codes": {ECONNREFUSED: n, ...}, "ms": elapsed, "rate": achieved}.
 * argv: host port n parallel rate timeoutMs
 */
export const CONNECT_BURST = `
const net = require('net');
const [host, portText, nText, parText, rateText, msText] = process.argv.slice(1);
const port = Number(portText), n = Number(nText), par = Number(parText), rate = Number(rateText), ms = Number(msText);
const codes = {};
let started = 0, done = 0, active = 0;
const t0 = process.hrtime.bigint();
const elapsed = () => Number(process.hrtime.bigint() - t0) / 1e6;
const finish = () => {
  const e = elapsed();
  console.log(JSON.stringify({ codes, ms: e, rate: n / (e / 1000) }));
  process.exit(0);
};
const deadline = setTimeout(() => { codes.UNFINISHED = n - done; finish(); }, ms);
function one() {
  started++; active++;
  const s = net.connect({ host, port });
  const end = (code) => {
    s.destroy(); codes[code] = (codes[code] || 0) + 1; active--; done++;
    if (done === n) { clearTimeout(deadline); finish(); } else pump();
  };
  s.setTimeout(5000, () => end('SOCKET_TIMEOUT'));
  s.on('connect', () => end('OK'));
  s.on('error', (e) => end(e.code));
}
let waiting = false;
function pump() {
  while (active < par && started < n) {
    if (rate > 0 && started >= rate * (elapsed() / 1000)) {
      if (!waiting) { waiting = true; setTimeout(() => { waiting = false; pump(); }, 1); }
      return;
    }
    one();
  }
}
pump();
`;

/** A listener that answers every connection by closing it. argv: host port; prints "ready". */
export const LISTEN = `
const net = require('net');
const [host, port] = process.argv.slice(1);
net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(Number(port), host, () => console.log('ready'));
setTimeout(() => process.exit(0), 120000);
`;
