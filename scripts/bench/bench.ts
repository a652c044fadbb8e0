// Benchmarks `synscope read` (table and json) against tcpdump's BPF
// pass over the same capture, on two synthetic captures, and checks synscope's summary against the
// generator's ground truth for each.
//
//   npm run build && node --import tsx scripts/bench/bench.ts [--runs 5] [--file F ...] [--timeout 3] [--strict]
//
// Without --file it generates (or reuses, when FILE.truth.json says the same parameters), with
// scripts/bench/synth.ts, in /tmp/synscope-bench/:
// - synth.pcap: 320 000 attempts at ~1 000/s with whole packets (876 MB, 2.66 M packets);
// - handshake-heavy.pcap: 300 000 attempts at ~5 000/s cut to 112 bytes (2.37 M packets).
// For each file the commands run in rounds, in an order that rotates every round; each round's ratio is
// a command's wall time over tcpdump's in that round. Wall time is measured here, CPU time and peak RSS
// by /usr/bin/time (or peak RSS from /proc/PID/status VmHWM when it is missing). Exit status: 1 when a
// summary differs from the ground truth (or, with --strict, when a goal is missed), 2 on bad usage.

import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, OUTCOMES, type SynthParams, type Truth } from './synth.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const BENCH_DIR = '/tmp/synscope-bench';
const TIME = '/usr/bin/time';
const TCPDUMP_FILTER = 'tcp[tcpflags] & (tcp-syn|tcp-rst) != 0 or icmp or icmp6';
/** Goals, on the handshake-heavy file: table and json within these multiples of tcpdump's time. */
const GOAL_TABLE_RATIO = 3.0;
const GOAL_JSON_RATIO = 4.0;
/** Goal on every file: synscope's peak RSS below this. */
const GOAL_RSS_MB = 150;

/** The two benchmark captures, made by synth.ts. */
interface BenchFile {
  readonly name: string;
  readonly what: string;
  readonly params: SynthParams;
}
const BENCH_FILES: readonly BenchFile[] = [
  {
    name: 'synth.pcap',
    what: 'synth.ts defaults',
    params: { attempts: 320000, seed: '1', rate: 1000, ipv6: 0.15, snaplen: 262144 },
  },
  // 112 bytes a packet: the least that keeps what the ground truth counts (an ICMPv6 error's quoted IPv6 and
  // TCP ports and sequence number end at byte 110). At 64, IPv6 TCP flags and every ICMP quote are cut off.
  {
    name: 'handshake-heavy.pcap',
    what: 'handshake-heavy',
    params: { attempts: 300000, seed: '1', rate: 5000, ipv6: 0.15, snaplen: 112 },
  },
];

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
  return (
    a.attempts === b.attempts && a.seed === b.seed && a.rate === b.rate && a.ipv6 === b.ipv6 && a.snaplen === b.snaplen
  );
}

/** A capture given on the command line, with its ground truth when there is one. */
function givenCapture(file: string): { file: string; truth: Truth | null } {
  if (!existsSync(file)) fail(`${file}: no such file`);
  const truth = readTruth(`${file}.truth.json`);
  if (truth === null) process.stdout.write(`note: no ${file}.truth.json, the summary will not be checked\n`);
  return { file, truth };
}

/** A benchmark capture and its ground truth: generated unless an identical one is there. */
function benchCapture(dir: string, name: string, params: SynthParams): { file: string; truth: Truth } {
  const out = join(dir, name);
  const old = readTruth(`${out}.truth.json`);
  if (
    old !== null &&
    old.version === GENERATOR_VERSION &&
    sameParams(old.params, params) &&
    existsSync(out) &&
    statSync(out).size === old.bytes
  ) {
    process.stdout.write(`reusing ${out} (same generator version and parameters)\n`);
    return { file: out, truth: old };
  }
  const argv = [
    '--import',
    'tsx',
    join(ROOT, 'scripts', 'bench', 'synth.ts'),
    '--out',
    out,
    '--attempts',
    String(params.attempts),
    '--seed',
    params.seed,
    '--rate',
    String(params.rate),
    '--ipv6',
    String(params.ipv6),
    '--snaplen',
    String(params.snaplen),
  ];
  process.stdout.write(`generating: node ${argv.map(shellQuote).join(' ')}\n`);
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) fail('synth.ts failed', 1);
  const truth = readTruth(`${out}.truth.json`);
  if (truth === null) fail(`synth.ts wrote no ${out}.truth.json`, 1);
  return { file: out, truth };
}

function benchDir(): string {
  try {
    mkdirSync(BENCH_DIR, { recursive: true });
    return BENCH_DIR;
  } catch {
    return mkdtempSync(join(tmpdir(), 'synscope-bench-'));
  }
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
    process.stdout.write(
      `warning: --timeout ${timeout} is outside the range the ground truth holds for (${lo} s, ${hi} s]\n`,
    );
  }
  const argv = [MAIN, 'read', file, '--format', 'json', '--timeout', timeout];
  process.stdout.write(`\nsummary check: ${commandLine(['node', ...argv], '').trim()}\n`);
  const wanted = new Set(['"summary": ', '"captures": ', '"tracker": ']);
  const lines = new Map<string, string>();
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SYNSCOPE_NO_PROGRESS: '1' },
  });
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
    rows.push(
      `  ${what.padEnd(12)} ${String(want).padStart(9)} ${String(got ?? '-').padStart(9)}` +
        (same ? '' : `   <-- differs by ${(got ?? 0) - want}`),
    );
  };
  compare('packets', truth.packets, captures[0]?.packets);
  compare('attempts', truth.attempts, summary['attempts']);
  for (const k of OUTCOMES) compare(k, truth.outcomes[k], summary[k]);
  process.stdout.write(
    `  ${'count'.padEnd(12)} ${'truth'.padStart(9)} ${'synscope'.padStart(9)}\n${rows.join('\n')}\n`,
  );
  process.stdout.write(`  tracker: ${JSON.stringify(tracker)}\n`);
  process.stdout.write(
    ok
      ? 'summary check: OK, synscope matches the ground truth\n'
      : "\n*** SUMMARY CHECK FAILED: synscope's outcome counts differ from the ground truth ***\n",
  );
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
  const child = spawn(cmd, args, {
    stdio: ['ignore', devnull, 'pipe'],
    env: { ...process.env, SYNSCOPE_NO_PROGRESS: '1', ...b.env },
  });
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

/** One command's measures on one file, and its wall time over tcpdump's in each round. */
interface Result {
  file: string;
  b: Bench;
  ratios: number[];
}

/** Times the benches on one file: `runs` rounds, the order rotating by one every round. */
async function timeFile(file: string, benches: Bench[], runs: number, haveTime: boolean): Promise<Result[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'synscope-bench-time-'));
  const results = benches.map((b) => ({ file, b, ratios: [] as number[] }));
  process.stdout.write(
    `\ntiming ${runs} rounds on ${file}; load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
  );
  try {
    for (let i = 0; i < runs; i++) {
      const order = results.map((_, k) => results[(k + i) % results.length]!);
      const round = new Map<Result, Measure>();
      for (const r of order) {
        const m = await runOnce(r.b, haveTime, scratch);
        r.b.runs.push(m);
        round.set(r, m);
      }
      const base = round.get(results[0]!)!.wall;
      for (const r of results) {
        const m = round.get(r)!;
        if (r !== results[0]) r.ratios.push(m.wall / base);
        process.stdout.write(
          `  round ${i + 1} ${r.b.name.padEnd(WIDEST)} ${fmt(m.wall)} s wall, ${fmt(m.cpu)} s cpu, ` +
            `${fmt(m.rssMb, 1)} MB peak RSS${r === results[0] ? '' : `, ${fmt(m.wall / base)}x tcpdump`}` +
            ` (load ${m.load.toFixed(2)})\n`,
        );
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return results;
}

/** The commands timed on `file`: tcpdump first (every ratio is to it), then synscope's. */
function benchesFor(file: string, tcpdump: string, timeout: string): Bench[] {
  const synscope = (format: string): string[] => [
    process.execPath,
    MAIN,
    'read',
    file,
    '--format',
    format,
    '--timeout',
    timeout,
  ];
  return [
    // -w - (stdout is /dev/null): as root, `tcpdump -w /dev/null` hands /dev/null to the tcpdump user (chown).
    { name: 'tcpdump', argv: [tcpdump, '-nn', '-r', file, '-w', '-', TCPDUMP_FILTER], runs: [] },
    { name: 'synscope table', argv: synscope('table'), runs: [] },
    { name: 'synscope json', argv: synscope('json'), runs: [] },
  ];
}
const WIDEST = 'synscope table'.length;

function medianOf(b: Bench, pick: (m: Measure) => number): number {
  return median(b.runs.map(pick));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      file: { type: 'string', multiple: true },
      runs: { type: 'string', default: '5' },
      timeout: { type: 'string', default: '3' },
      strict: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) fail('--runs: a positive integer');
  if (!existsSync(MAIN)) fail(`${MAIN} is missing: run npm run build first`);
  const built = statSync(MAIN).mtimeMs;
  const stale = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((d) =>
      d.isDirectory()
        ? stale(join(dir, d.name))
        : d.name.endsWith('.ts') && statSync(join(dir, d.name)).mtimeMs > built,
    );
  if (stale(join(ROOT, 'src')))
    process.stdout.write('warning: src/ has changes newer than dist/cli/main.js (npm run build?)\n');
  const tcpdump = spawnSync('which', ['tcpdump'], { encoding: 'utf8' }).stdout.trim();
  if (tcpdump === '') fail('tcpdump is not installed');
  const haveTime = existsSync(TIME);

  const dir = values.file === undefined ? benchDir() : '';
  const inputs =
    values.file === undefined
      ? BENCH_FILES.map((f) => ({ ...benchCapture(dir, f.name, f.params), what: f.what }))
      : values.file.map((f) => ({ ...givenCapture(f), what: 'given' }));

  let checked = true;
  const results: Result[] = [];
  /** Packets in each file, when its ground truth tells. */
  const packets = new Map<string, number>();
  for (const { file, truth, what } of inputs) {
    if (truth !== null) packets.set(file, truth.packets);
    const size = statSync(file).size;
    process.stdout.write(
      `\ncapture: ${file} (${what}), ${(size / 1e6).toFixed(1)} MB` +
        `${truth !== null ? `, ${truth.packets} packets, ${truth.attempts} attempts` : ''}\n`,
    );
    if (truth !== null && !(await checkSummary(file, truth, values.timeout))) checked = false;
    results.push(...(await timeFile(file, benchesFor(file, tcpdump, values.timeout), runs, haveTime)));
  }
  const tcpdumpOn = (file: string): Bench => results.find((x) => x.file === file && x.b.name === 'tcpdump')!.b;
  const ratioOf = (r: Result): number => medianOf(r.b, (m) => m.wall) / medianOf(tcpdumpOn(r.file), (m) => m.wall);
  const rssOf = (b: Bench): number => Math.max(...b.runs.map((m) => m.rssMb));

  // The figures, as a markdown table.
  const header = ['file', 'command', 'median wall', 'packets/s', 'x tcpdump', 'per round', 'CPU', 'peak RSS'];
  const rows = results.map((r, k) => {
    const isBase = r.b.name === 'tcpdump';
    const wall = medianOf(r.b, (m) => m.wall);
    const n = packets.get(r.file);
    return [
      k > 0 && results[k - 1]!.file === r.file ? '' : basename(r.file),
      r.b.name,
      `${fmt(wall)} s`,
      n === undefined ? '' : `${fmt(n / wall / 1e6)} M`,
      isBase ? '1.00' : fmt(ratioOf(r)),
      isBase ? '' : `${fmt(Math.min(...r.ratios))}-${fmt(Math.max(...r.ratios))}`,
      `${fmt(medianOf(r.b, (m) => m.cpu))} s`,
      `${fmt(rssOf(r.b), 0)} MB`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i < 2 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  process.stdout.write(
    `\nmedians of ${runs} rounds; packets/s: the file's packets over the median wall time (start-up included);` +
      ` x tcpdump: median wall time over tcpdump's; per round: the lowest and the highest of the rounds' own` +
      ` ratios\n\n${line(header)}\n${rule}\n${rows.map(line).join('\n')}\n`,
  );

  // The goals: on the handshake-heavy file, table and json within 3x and 4x of
  // tcpdump; on every file, synscope under 150 MB.
  let goalsMet = true;
  const goal = (what: string, ok: boolean): string => {
    if (!ok) goalsMet = false;
    return `  ${what}: ${ok ? 'met' : 'MISSED'}\n`;
  };
  let goals = '';
  const heavy = values.file === undefined ? join(dir, 'handshake-heavy.pcap') : null;
  for (const r of results) {
    if (r.b.name === 'tcpdump') continue;
    const name = `${basename(r.file)}, ${r.b.name}:`;
    goals += goal(`${name} peak RSS ${fmt(rssOf(r.b), 1)} MB < ${GOAL_RSS_MB} MB`, rssOf(r.b) < GOAL_RSS_MB);
    if (r.file !== heavy || r.b.env !== undefined) continue;
    const limit = r.b.name.endsWith('json') ? GOAL_JSON_RATIO : GOAL_TABLE_RATIO;
    goals += goal(`${name} ${fmt(ratioOf(r))}x tcpdump <= ${fmt(limit, 1)}x`, ratioOf(r) <= limit);
  }
  process.stdout.write(`\ngoals:\n${goals}`);
  process.stdout.write(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (${cpus().length} CPUs; synscope and tcpdump keep one busy, so a load well above 1 means` +
      ' other work inflated the wall times; CPU time is less affected)\n',
  );
  const shown = relative(process.cwd(), MAIN).startsWith('..') ? MAIN : relative(process.cwd(), MAIN);
  process.stdout.write('\ncommands timed (FILE: each capture above):\n');
  for (const b of benchesFor('FILE', tcpdump, values.timeout)) {
    const cmd = commandLine(
      b.argv.map((a, i) => (i === 0 && a === process.execPath ? 'node' : a === MAIN ? shown : a)),
    );
    const env = Object.entries(b.env ?? {})
      .map(([k, v]) => `${k}=${v} `)
      .join('');
    process.stdout.write(`  ${env}${haveTime ? "/usr/bin/time -f '%e %M %U %S' " : ''}${cmd}\n`);
  }
  if (!checked) process.exit(1);
  if (values.strict === true && !goalsMet) process.exit(1);
}

main().catch((e: unknown) => fail(e instanceof Error ? (e.stack ?? e.message) : String(e), 1));
