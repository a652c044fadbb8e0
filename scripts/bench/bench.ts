// Benchmarks `synscope read` against tcpdump reading the same capture with a handshake filter,
// and checks synscope's summary against the generator's ground truth.
//
//   npm run build && node --import tsx scripts/bench/bench.ts [--file F] [--runs 5] [--attempts 320000] [--one-thread]
//                                                        [--seed 1] [--timeout 3] [--strict]
//
// Without --file it generates (or reuses, when its FILE.truth.json says the same parameters)
// /tmp/synscope-bench/synth.pcap with scripts/bench/synth.ts. The two commands run alternately (the
// order flips every run), their wall time measured here and their peak RSS by /usr/bin/time
// (or /proc/PID/status VmHWM when it is missing). Exit status: 1 when the summary differs from the
// ground truth (or, with --strict, when a target of the contract is missed), 2 on bad usage.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, OUTCOMES, type SynthParams, type Truth } from './synth.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const BENCH_DIR = '/tmp/synscope-bench';
const TIME = '/usr/bin/time';
const TCPDUMP_FILTER = 'tcp[tcpflags] & (tcp-syn|tcp-rst) != 0 or icmp or icmp6';
/** The contract's targets. */
const TARGET_RATIO = 1.5;
const TARGET_RSS_MB = 150;

interface Measure {
  wall: number;
  cpu: number;
  rssMb: number;
  load: number;
}

interface Bench {
  name: string;
  argv: string[];
  /** Extra environment for the command (shown in front of it). */
  env?: Record<string, string>;
  runs: Measure[];
}

function fail(msg: string, code = 2): never {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(code);
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function commandLine(argv: readonly string[], redirect = '> /dev/null'): string {
  return `${argv.map(shellQuote).join(' ')} ${redirect}`;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function readTruth(path: string): Truth | null {
  if (!existsSync(path)) return null;
  const t = JSON.parse(readFileSync(path, 'utf8')) as Truth;
  return t;
}

function sameParams(a: SynthParams, b: SynthParams): boolean {
  return a.attempts === b.attempts && a.seed === b.seed && a.rate === b.rate && a.ipv6 === b.ipv6 && a.snaplen === b.snaplen;
}

/** The capture to run on and its ground truth: generated unless an identical one is there. */
function capture(file: string | undefined, params: SynthParams): { file: string; truth: Truth | null } {
  if (file !== undefined) {
    if (!existsSync(file)) fail(`${file}: no such file`);
    const truth = readTruth(`${file}.truth.json`);
    if (truth === null) process.stdout.write(`note: no ${file}.truth.json, the summary will not be checked\n`);
    return { file, truth };
  }
  let dir = BENCH_DIR;
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    dir = mkdtempSync(join(tmpdir(), 'synscope-bench-'));
  }
  const out = join(dir, 'synth.pcap');
  const old = readTruth(`${out}.truth.json`);
  if (old !== null && old.version === GENERATOR_VERSION && sameParams(old.params, params)
    && existsSync(out) && statSync(out).size === old.bytes) {
    process.stdout.write(`reusing ${out} (same generator version and parameters)\n`);
    return { file: out, truth: old };
  }
  const argv = ['--import', 'tsx', join(ROOT, 'scripts', 'bench', 'synth.ts'), '--out', out, '--attempts', String(params.attempts),
    '--seed', params.seed, '--rate', String(params.rate), '--ipv6', String(params.ipv6), '--snaplen', String(params.snaplen)];
  process.stdout.write(`generating: node ${argv.map(shellQuote).join(' ')}\n`);
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) fail('synth.ts failed', 1);
  const truth = readTruth(`${out}.truth.json`);
  if (truth === null) fail(`synth.ts wrote no ${out}.truth.json`, 1);
  return { file: out, truth };
}

/** The first `"key": value` line of synscope's JSON (the totals come one per line at the end). */
function jsonLine(lines: Map<string, string>, key: string): unknown {
  const raw = lines.get(key);
  if (raw === undefined) return undefined;
  return JSON.parse(raw.replace(/,\s*$/, ''));
}

/** Runs synscope once, reading only the totals from its JSON, and compares them with the truth. */
async function checkSummary(file: string, truth: Truth, timeout: string): Promise<boolean> {
  const [lo, hi] = truth.timeoutRange;
  const t = Number(timeout);
  if (!(t > lo && t <= hi)) {
    process.stdout.write(`warning: --timeout ${timeout} is outside the range the ground truth holds for (${lo} s, ${hi} s]\n`);
  }
  const argv = [MAIN, 'read', file, '--format', 'json', '--timeout', timeout];
  process.stdout.write(`\nsummary check: ${commandLine(['node', ...argv], '').trim()}\n`);
  const wanted = new Set(['"summary": ', '"captures": ', '"tracker": ']);
  const lines = new Map<string, string>();
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SYNSCOPE_NO_PROGRESS: '1' } });
  let rest = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const text = rest + chunk;
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      if (line.charCodeAt(0) !== 34) continue; // '"'
      for (const k of wanted) if (line.startsWith(k) && !lines.has(k)) lines.set(k, line.slice(k.length));
    }
  });
  const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  if (status !== 0) {
    process.stdout.write(`SUMMARY CHECK FAILED: synscope exited with status ${status}\n`);
    return false;
  }
  const summary = jsonLine(lines, '"summary": ') as Record<string, number> | undefined;
  const captures = jsonLine(lines, '"captures": ') as { packets: number }[] | undefined;
  const tracker = jsonLine(lines, '"tracker": ');
  if (summary === undefined || captures === undefined) {
    process.stdout.write('SUMMARY CHECK FAILED: no "summary" / "captures" line in synscope\'s JSON\n');
    return false;
  }
  const rows: string[] = [];
  let ok = true;
  const compare = (what: string, want: number, got: number | undefined): void => {
    const same = got === want;
    if (!same) ok = false;
    rows.push(`  ${what.padEnd(12)} ${String(want).padStart(9)} ${String(got ?? '-').padStart(9)}${same ? '' : `   <-- differs by ${(got ?? 0) - want}`}`);
  };
  compare('packets', truth.packets, captures[0]?.packets);
  compare('attempts', truth.attempts, summary['attempts']);
  for (const k of OUTCOMES) compare(k, truth.outcomes[k], summary[k]);
  process.stdout.write(`  ${'count'.padEnd(12)} ${'truth'.padStart(9)} ${'synscope'.padStart(9)}\n${rows.join('\n')}\n`);
  process.stdout.write(`  tracker: ${JSON.stringify(tracker)}\n`);
  process.stdout.write(ok ? 'summary check: OK, synscope matches the ground truth\n'
    : '\n*** SUMMARY CHECK FAILED: synscope\'s outcome counts differ from the ground truth ***\n');
  return ok;
}

/** Peak RSS (kB) of a running process, by polling /proc (fallback when /usr/bin/time is missing). */
function pollHwm(pid: number, state: { kb: number }): NodeJS.Timeout {
  return setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m !== null) state.kb = Math.max(state.kb, Number(m[1]));
    } catch {
      // the process has exited
    }
  }, 10);
}

async function runOnce(b: Bench, haveTime: boolean, scratch: string): Promise<Measure> {
  const timeOut = join(scratch, 'time.txt');
  const argv = haveTime ? ['-f', '%e %M %U %S', '-o', timeOut, ...b.argv] : b.argv;
  const cmd = haveTime ? TIME : b.argv[0]!;
  const args = haveTime ? argv : b.argv.slice(1);
  const devnull = openSync('/dev/null', 'w');
  const load = loadavg()[0]!;
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ['ignore', devnull, 'pipe'], env: { ...process.env, SYNSCOPE_NO_PROGRESS: '1', ...b.env } });
  const hwm = { kb: 0 };
  const poll = haveTime ? null : pollHwm(child.pid ?? -1, hwm);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr += s;
  });
  const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  closeSync(devnull);
  if (poll !== null) clearInterval(poll);
  if (status !== 0) fail(`${b.name} exited with status ${status}:\n${stderr}`, 1);
  let rssKb = hwm.kb;
  let cpu = Number.NaN;
  if (haveTime) {
    const f = readFileSync(timeOut, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
    rssKb = f[1] ?? 0;
    cpu = (f[2] ?? 0) + (f[3] ?? 0);
  }
  return { wall, cpu, rssMb: rssKb / 1024, load };
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      file: { type: 'string' },
      runs: { type: 'string', default: '5' },
      attempts: { type: 'string', default: '320000' },
      seed: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '3' },
      strict: { type: 'boolean', default: false },
      'one-thread': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) fail('--runs: a positive integer');
  const attempts = Number(values.attempts);
  if (!Number.isInteger(attempts) || attempts < 1) fail('--attempts: a positive integer');
  if (!existsSync(MAIN)) fail(`${MAIN} is missing: run npm run build first`);
  const built = statSync(MAIN).mtimeMs;
  const stale = (dir: string): boolean => readdirSync(dir, { withFileTypes: true }).some((d) =>
    d.isDirectory() ? stale(join(dir, d.name)) : d.name.endsWith('.ts') && statSync(join(dir, d.name)).mtimeMs > built);
  if (stale(join(ROOT, 'src'))) process.stdout.write('warning: src/ has changes newer than dist/cli/main.js (npm run build?)\n');
  const tcpdump = spawnSync('which', ['tcpdump'], { encoding: 'utf8' }).stdout.trim();
  if (tcpdump === '') fail('tcpdump is not installed');
  const haveTime = existsSync(TIME);

  const { file, truth } = capture(values.file, { attempts, seed: values.seed, rate: 1000, ipv6: 0.15, snaplen: 262144 });
  const size = statSync(file).size;
  const packets = truth?.packets ?? Number.NaN;
  process.stdout.write(`capture: ${file}, ${(size / 1e6).toFixed(1)} MB${truth !== null ? `, ${truth.packets} packets, ${truth.attempts} attempts` : ''}\n`);

  const checked = truth === null ? null : await checkSummary(file, truth, values.timeout);

  const benches: Bench[] = [
    { name: 'synscope', argv: [process.execPath, MAIN, 'read', file, '--format', 'json', '--timeout', values.timeout], runs: [] },
    // -w - (stdout is /dev/null): as root, `tcpdump -w /dev/null` hands /dev/null to the tcpdump user (chown).
    { name: 'tcpdump', argv: [tcpdump, '-nn', '-r', file, '-w', '-', TCPDUMP_FILTER], runs: [] },
  ];
  // --one-thread also times synscope with its two threads turned off (SYNSCOPE_THREADS=0).
  if (values['one-thread'] === true) {
    benches.push({ name: 'synscope-1', argv: benches[0]!.argv, env: { SYNSCOPE_THREADS: '0' }, runs: [] });
  }
  const scratch = mkdtempSync(join(tmpdir(), 'synscope-bench-time-'));
  const ncpu = cpus().length;
  process.stdout.write(`\ntiming ${runs} runs each, alternating; ${ncpu} CPUs, load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  try {
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? benches : [...benches].reverse();
      for (const b of order) {
        const m = await runOnce(b, haveTime, scratch);
        b.runs.push(m);
        process.stdout.write(`  run ${i + 1} ${b.name.padEnd(10)} ${fmt(m.wall)} s wall, ${fmt(m.cpu)} s cpu, ${fmt(m.rssMb, 1)} MB peak RSS (load ${m.load.toFixed(2)})\n`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const stats = benches.map((b) => ({
    b,
    med: median(b.runs.map((r) => r.wall)),
    min: Math.min(...b.runs.map((r) => r.wall)),
    cpu: median(b.runs.map((r) => r.cpu)),
    rss: Math.max(...b.runs.map((r) => r.rssMb)),
  }));
  const syn = stats[0]!;
  const tcp = stats[1]!;
  const header = ['command', 'median s', 'min s', 'cpu s', 'packets/s', 'peak RSS MB'];
  const rows = stats.map((s) => [s.b.name, fmt(s.med, 3), fmt(s.min, 3), fmt(s.cpu, 2),
    Number.isFinite(packets) ? Math.round(packets / s.med).toLocaleString('en-US') : '-', fmt(s.rss, 1)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const ratio = syn.med / tcp.med;
  const cpuRatio = syn.cpu / tcp.cpu;
  process.stdout.write(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(`\nratio synscope/tcpdump: ${fmt(ratio)} by median wall time (min ${fmt(syn.min / tcp.min)}), ${fmt(cpuRatio)} by cpu time\n`);
  const one = stats[2];
  if (one !== undefined) {
    process.stdout.write(`ratio with one thread (SYNSCOPE_THREADS=0): ${fmt(one.med / tcp.med)} by median wall time, ${fmt(one.cpu / tcp.cpu)} by cpu time; `
      + `two threads take ${fmt(syn.med / one.med)}x its time\n`);
  }
  const ratioOk = ratio <= TARGET_RATIO;
  const rssOk = syn.rss < TARGET_RSS_MB;
  process.stdout.write(`targets: ratio <= ${TARGET_RATIO} (1.0 ideal): ${ratioOk ? 'met' : 'MISSED'}; `
    + `synscope peak RSS < ${TARGET_RSS_MB} MB: ${rssOk ? 'met' : 'MISSED'}\n`);
  process.stdout.write(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${ncpu} CPUs; synscope's threads keep up to 2 busy, so a load well above 2 means other work inflated the wall times; cpu s is less affected)\n`);
  process.stdout.write('\ncommands timed:\n');
  for (const b of benches) {
    const cmd = commandLine(b.argv.map((a, i) => (i === 0 && a === process.execPath ? 'node' : a)));
    const env = Object.entries(b.env ?? {}).map(([k, v]) => `${k}=${v} `).join('');
    process.stdout.write(`  ${env}${haveTime ? "/usr/bin/time -f '%e %M %U %S' " : ''}${cmd}\n`);
  }
  if (checked === false) process.exit(1);
  if (values.strict === true && (!ratioOk || !rssOk)) process.exit(1);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.stack ?? e.message : String(e), 1));
