// Long fuzz run over the whole read pipeline (reader → decoders → tracker → reporter), beyond what
// CI's property tests do: mutated real captures must either be read or fail with CaptureFormatError.
//
//   node --import tsx scripts/fuzz/fuzz.ts [--seed N] [--count N] [--captures DIR]
//
// Prints the seed and case number of any failure, so it can be replayed with --seed/--count.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { analyzeFiles } from '../../src/analyze.js';
import { CaptureFormatError } from '../../src/errors.js';
import { JsonReporter } from '../../src/report/json.js';
import { OUTCOMES } from '../../src/track/attempt.js';
import { SELECT_ALL } from '../../src/track/select.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** xorshift32: small, seedable, the same sequence on every machine. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const seed = Number(arg('seed', String(Date.now() % 1_000_000)));
const count = Number(arg('count', '10000'));
const dir = arg('captures', 'captures');
const corpus = readdirSync(dir)
  .filter((f) => /\.(pcap|pcapng)$/.test(f))
  .map((f) => readFileSync(join(dir, f)));
if (corpus.length === 0) throw new Error(`no captures in ${dir}`);

function mutate(rand: () => number, src: Buffer): Buffer {
  const b = Buffer.from(src);
  switch (Math.floor(rand() * 6)) {
    case 0:
      return b.subarray(0, Math.floor(rand() * b.length)); // cut anywhere
    case 1: {
      // flip bits, weighted to the headers at the front
      const flips = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < flips; i++) {
        const at = rand() < 0.5 ? Math.floor(rand() * Math.min(b.length, 64)) : Math.floor(rand() * b.length);
        b[at] = b[at]! ^ (1 << Math.floor(rand() * 8));
      }
      return b;
    }
    case 2: {
      // overwrite a 32-bit field with an extreme length
      const at = Math.floor(rand() * Math.max(1, b.length - 4)) & ~3;
      const values = [0, 1, 3, 0xffffffff, 0x7ffffff0, 0x80000000, 12, 28];
      if (at + 4 <= b.length) b.writeUInt32LE(values[Math.floor(rand() * values.length)]!, at);
      return b;
    }
    case 3: {
      // random bytes after a valid header
      const keep = Math.min(b.length, 24 + Math.floor(rand() * 64));
      const tail = Buffer.alloc(Math.floor(rand() * 4096));
      for (let i = 0; i < tail.length; i++) tail[i] = Math.floor(rand() * 256);
      return Buffer.concat([b.subarray(0, keep), tail]);
    }
    case 4: {
      // duplicate a slice into the middle
      const from = Math.floor(rand() * b.length);
      const len = Math.floor(rand() * 200);
      const at = Math.floor(rand() * b.length);
      return Buffer.concat([b.subarray(0, at), b.subarray(from, from + len), b.subarray(at)]);
    }
    default:
      return gzipSync(mutate(rand, src)).subarray(0, Math.floor(rand() * 1.2 * b.length) + 10); // damaged gzip
  }
}

const rand = rng(seed);
const start = Date.now();
let failed = 0;
let damaged = 0;
const sink = (): void => {};
for (let i = 1; i <= count; i++) {
  const input = mutate(rand, corpus[Math.floor(rand() * corpus.length)]!);
  const reporter = new JsonReporter(sink);
  try {
    const r = await analyzeFiles(
      ['-'],
      {
        timeout: 3,
        only: new Set(OUTCOMES),
        select: SELECT_ALL,
        keepPackets: rand() < 0.2,
        open: { stdin: Readable.from([input]) },
      },
      reporter,
    );
    if (r.errors.length > 0) damaged++;
    for (const e of r.errors) {
      if (!(e instanceof CaptureFormatError)) throw e;
    }
  } catch (e) {
    failed++;
    process.stderr.write(`case ${i} (seed ${seed}): ${e instanceof Error ? e.stack : String(e)}\n`);
    if (failed > 10) break;
  }
  if (i % 10000 === 0)
    process.stderr.write(`${i} cases, ${damaged} damaged inputs reported cleanly, ${failed} failures\n`);
}
const secs = (Date.now() - start) / 1000;
process.stdout.write(
  `fuzz: seed ${seed}, ${count} cases in ${secs.toFixed(1)} s: ${damaged} damaged inputs reported cleanly,` +
    ` ${failed} failures\n`,
);
process.exitCode = failed === 0 ? 0 : 1;
