// Where `read` spends its time, stage by stage, on one capture: each run adds one stage of the
// pipeline to the one before, so the differences between the medians are what each stage costs.
//
//   npm run build && node --import tsx scripts/bench/bench-stages.ts [--file F] [--runs 5]
//
// Stages: read (frames only), decode (+ decodePacket), track (+ the handshake tracker), count
// (+ summary and findings of every settled attempt, as `read` does for attempts it does not list),
// json (+ every attempt listed by the json reporter, its bytes thrown away). Each stage runs in a
// fresh process, the stages in turn, `runs` rounds; the default file is the benchmark capture
// (scripts/bench/bench.ts makes it).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openCapture } from '../../src/capture/open.js';
import { decodePacket } from '../../src/decode/packet.js';
import { DECODE_OK, PacketView } from '../../src/decode/view.js';
import { ByteOut } from '../../src/report/bytes.js';
import { makeReporter } from '../../src/report/formats.js';
import { OUTCOMES, type Listed, type SettledAttempt } from '../../src/track/attempt.js';
import { DEFAULT_TRACKER_OPTIONS, HandshakeTracker } from '../../src/track/handshakes.js';
import { Listing, Verdicts } from '../../src/verdicts.js';

const STAGES = ['read', 'decode', 'track', 'count', 'json'] as const;
type Stage = (typeof STAGES)[number];

/** One stage in this process: prints "wall_ms cpu_ms packets attempts" on stdout. */
async function runStage(stage: Stage, file: string): Promise<void> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const source = await openCapture(file);
  const view = new PacketView();
  let packets = 0;
  let attempts = 0;
  const level = STAGES.indexOf(stage);
  const timeout = DEFAULT_TRACKER_OPTIONS.timeout;
  // count: what read does with every settled attempt it does not list; json: every attempt listed.
  const counted = new Verdicts(new Set<Listed>(), timeout, () => undefined);
  const out = new ByteOut(1 << 20);
  const sink = {
    out,
    commit: (): void => {
      if (out.pos > 900_000) out.pos = 0;
    },
  };
  const reporter = await makeReporter('json', () => undefined, false, sink);
  const listed = new Listing(new Set<Listed>(OUTCOMES), timeout, reporter);
  const onAttempt = (a: SettledAttempt): void => {
    attempts++;
    if (level === STAGES.indexOf('count')) counted.handle(a);
    else if (level === STAGES.indexOf('json')) listed.attempt(a);
  };
  const tracker = new HandshakeTracker([file], DEFAULT_TRACKER_OPTIONS, onAttempt);
  await source.run((f) => {
    packets++;
    if (level < STAGES.indexOf('decode')) return;
    const st = decodePacket(f.data, f.offset, f.offset + f.caplen, f.linkType, view);
    if (level < STAGES.indexOf('track')) return;
    if (st === DECODE_OK) tracker.packet(f, view);
    else tracker.tick(f.tsSec, f.tsNsec);
  });
  if (level >= STAGES.indexOf('track')) tracker.finish();
  const cpu = process.cpuUsage(c0);
  process.stdout.write(
    `${(performance.now() - t0).toFixed(1)} ${((cpu.user + cpu.system) / 1000).toFixed(1)} ${packets} ${attempts}\n`,
  );
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { file: { type: 'string' }, runs: { type: 'string' }, stage: { type: 'string' } },
  });
  const file = values.file ?? '/tmp/synscope-bench/synth.pcap';
  if (values.stage !== undefined) {
    await runStage(values.stage as Stage, file);
    return;
  }
  if (!existsSync(file)) {
    process.stderr.write(`bench-stages: ${file}: no such file (run scripts/bench/bench.ts once to make it)\n`);
    process.exit(2);
  }
  const runs = Number(values.runs ?? '5');
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`bench-stages: --runs wants a positive integer, not ${values.runs}\n`);
    process.exit(2);
  }
  const self = fileURLToPath(import.meta.url);
  const wall = new Map<Stage, number[]>(STAGES.map((s) => [s, []]));
  const cpu = new Map<Stage, number[]>(STAGES.map((s) => [s, []]));
  let packets = 0;
  let attempts = 0;
  for (let r = 0; r < runs; r++) {
    for (const stage of STAGES) {
      const p = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--no-allocation-site-pretenuring', self, '--file', file, '--stage', stage],
        {
          encoding: 'utf8',
          timeout: 600_000,
        },
      );
      if (p.status !== 0) {
        process.stderr.write(`bench-stages: stage ${stage} failed: ${p.stderr}\n`);
        process.exit(1);
      }
      const [w, c, n, a] = p.stdout.trim().split(' ').map(Number);
      wall.get(stage)!.push(w!);
      cpu.get(stage)!.push(c!);
      packets = n!;
      if (stage === 'json') attempts = a!;
    }
  }
  process.stdout.write(`${file}: ${packets} packets, ${attempts} attempts; median of ${runs} runs per stage\n\n`);
  process.stdout.write('stage     wall ms   cpu ms   wall ms added by the stage\n');
  let before = 0;
  for (const stage of STAGES) {
    const w = median(wall.get(stage)!);
    const c = median(cpu.get(stage)!);
    process.stdout.write(
      `${stage.padEnd(8)} ${w.toFixed(0).padStart(8)} ${c.toFixed(0).padStart(8)}   ` +
        `${(w - before).toFixed(0).padStart(8)}\n`,
    );
    before = w;
  }
  process.stdout.write('\n(in-process timings, without node startup; the CLI adds writing to stdout)\n');
}

await main();
