// One capture cut into rotated files, read in one command: the time and peak memory of
// `synscope read DIR` for the capture whole, in 10 files and in 1 000 files, with at most 64 open
// file descriptors (`ulimit -n 64`), and the same totals for all three (an attempt cut by a
// rotation is still one attempt). Memory must stay flat: it follows the open attempts, not the
// number of files.
//
//   npm run build && node --import tsx scripts/bench/bench-rotated.ts [--attempts 100000] [--runs 3] [--seed 1]
//
// Generates (once per parameter set) /tmp/synscope-bench-rotated/synth.pcap with scripts/bench/synth.ts and
// cuts it, record by record, into files of equal packet counts, as `tcpdump -C` would. The three
// reads run alternately (the order rotates every run); wall time and peak RSS by /usr/bin/time.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, synthesize, type SynthParams, type Truth } from './synth.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const DIR = '/tmp/synscope-bench-rotated';
const PCAP_HEADER = 24;
const RECORD_HEADER = 16;

const { values } = parseArgs({
  options: { attempts: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' } },
  strict: true,
});
const params: SynthParams = {
  attempts: Number(values.attempts ?? 100_000),
  seed: values.seed ?? '1',
  rate: 1000,
  ipv6: 0.15,
  snaplen: 262144,
};
const runs = Number(values.runs ?? 3);
if (!existsSync(MAIN)) {
  process.stderr.write(`bench-rotated: ${MAIN} is missing: npm run build first\n`);
  process.exit(2);
}

/** The synthetic capture, generated unless one with the same parameters is there. */
function capture(): { file: string; truth: Truth } {
  mkdirSync(DIR, { recursive: true });
  const file = join(DIR, 'synth.pcap');
  try {
    const old = JSON.parse(readFileSync(`${file}.truth.json`, 'utf8')) as Truth;
    const p = old.params;
    if (
      old.version === GENERATOR_VERSION &&
      p.attempts === params.attempts &&
      p.seed === params.seed &&
      statSync(file).size === old.bytes
    )
      return { file, truth: old };
  } catch {
    // none yet
  }
  process.stdout.write(`generating ${file} (${params.attempts} attempts)\n`);
  return { file, truth: synthesize(file, params) };
}

/** Cuts a classic little-endian pcap into `n` files of equal packet counts under DIR/parts-n/. */
function cut(file: string, packets: number, n: number): string {
  const out = join(DIR, `parts-${n}`);
  if (existsSync(out) && readdirSync(out).length === n) return out;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const bytes = readFileSync(file);
  const header = bytes.subarray(0, PCAP_HEADER);
  const per = Math.ceil(packets / n);
  let at = PCAP_HEADER;
  for (let i = 0; i < n; i++) {
    const start = at;
    for (let k = 0; k < per && at < bytes.length; k++) at += RECORD_HEADER + bytes.readUInt32LE(at + 8);
    writeFileSync(
      join(out, `part-${String(i).padStart(5, '0')}.pcap`),
      Buffer.concat([header, bytes.subarray(start, at)]),
    );
  }
  return out;
}

interface Result {
  wall: number[];
  rssMb: number[];
  totals: string;
}

/** `synscope read TARGET` (the default table) under ulimit -n 64: wall time, peak RSS, the totals table's rows. */
function readOnce(target: string): { wall: number; rssMb: number; totals: string } {
  const time = `/usr/bin/time -f '%e %M' -o ${DIR}/time.txt`;
  const cmd = `ulimit -n 64 && exec ${time} "${process.execPath}" "${MAIN}" read "${target}"`;
  const r = spawnSync('bash', ['-c', cmd], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (r.status !== 0) throw new Error(`synscope read ${target} exited ${r.status}: ${r.stderr}`);
  const [wall, kb] = readFileSync(join(DIR, 'time.txt'), 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  // The totals table: "│ refused     │ 1234     │ ECONNREFUSED │" rows up to "total".
  const totals = r.stdout
    .split('\n')
    .filter((l) => /^│ (established|refused|rejected|dropped|timed-out|aborted|incomplete|total) /.test(l))
    .map((l) =>
      l
        .split('│')
        .slice(1, 3)
        .map((x) => x.trim())
        .join(' '),
    )
    .join(', ');
  return { wall: wall!, rssMb: kb! / 1024, totals };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const { file, truth } = capture();
const targets: [string, string][] = [
  ['1 file', file],
  ['10 files', cut(file, truth.packets, 10)],
  ['1 000 files', cut(file, truth.packets, 1000)],
];
process.stdout.write(
  `${truth.packets} packets, ${(truth.bytes / 1e6).toFixed(0)} MB, ${truth.attempts} attempts;` +
    ` ${runs} runs each, alternated\n`,
);
const results = new Map<string, Result>(targets.map(([name]) => [name, { wall: [], rssMb: [], totals: '' }]));
for (let run = 0; run < runs; run++) {
  for (let k = 0; k < targets.length; k++) {
    const [name, target] = targets[(k + run) % targets.length]!;
    const m = readOnce(target);
    const res = results.get(name)!;
    res.wall.push(m.wall);
    res.rssMb.push(m.rssMb);
    res.totals = m.totals;
  }
}
let same = true;
const first = results.get('1 file')!.totals;
process.stdout.write('\n| input | median wall | peak RSS (min-max) |\n| --- | ---: | ---: |\n');
for (const [name, target] of targets) {
  const r = results.get(name)!;
  process.stdout.write(
    `| ${name} (\`read ${target}\`) | ${median(r.wall).toFixed(2)} s |` +
      ` ${Math.min(...r.rssMb).toFixed(0)}-${Math.max(...r.rssMb).toFixed(0)} MB |\n`,
  );
  if (r.totals !== first) same = false;
}
process.stdout.write(
  `\ntotals: ${first}\n${same ? 'the same totals for all three' : 'TOTALS DIFFER between the cuts'}\n`,
);
process.exit(same ? 0 : 1);
