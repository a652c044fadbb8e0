// When `read` runs on two cores (threadsWanted), and the two worker threads, started as early as
// possible. A worker takes ~120 ms to boot and load its modules, about as long as the main thread
// takes to load its own and parse the command line; main.ts calls prestart() first thing, from the
// raw arguments, so both happen at once. The workers wait for their data (threads.ts sends it).
// This module loads nothing but node:fs and node:worker_threads: it runs before everything else.

import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** Capture files this large in all are read on two cores; smaller ones are done before the workers would start. */
const THREADS_MIN_BYTES = 16 * 1024 * 1024;

/**
 * Whether `read` runs in worker threads (threads.ts): for regular files of 16 MiB or more in all,
 * unless --evidence keeps packets (those stay in one thread) or stdin is read. SYNSCOPE_THREADS=0
 * or 1 decides instead for regular files of any size.
 */
export function threadsWanted(files: readonly string[], evidence: boolean): boolean {
  if (evidence) return false;
  let total = 0;
  for (const f of files) {
    if (f === '-') return false;
    try {
      const st = statSync(f);
      if (!st.isFile()) return false; // a FIFO or a device: read as a stream, in this thread
      total += st.size;
    } catch {
      return false; // missing or unreadable: the reader says so, in this thread
    }
  }
  const env = process.env['SYNSCOPE_THREADS'];
  if (env === '0' || env === '1') return env === '1';
  return total >= THREADS_MIN_BYTES;
}

/**
 * Young-generation sizes (MiB). The tracker's objects live long and the report's die young: these
 * keep the process's peak memory near a single thread's, at the same speed (measured on the
 * 320 000-attempt benchmark: 12 MiB for the tracker, 4 MiB for the report).
 */
const TRACK_YOUNG_MB = 12;
const REPORT_YOUNG_MB = 4;
/**
 * The report worker's old generation, where everything it keeps is bounded (at most 200 000
 * services, 100 000 servers in the findings; handshakes stream through, one input or several):
 * far above that need, and a limit V8 sizes its first collections by, so short-lived text promoted
 * by a young collection is freed sooner (--format lines peaked at 147-151 MB without it, 139 MB with it).
 */
const REPORT_OLD_MB = 1024;

export interface Workers {
  readonly track: Worker;
  readonly report: Worker;
}

/** Starts both workers; each waits for its data in its first message. */
export function spawnWorkers(): Workers {
  const report = new Worker(new URL('./report-worker.js', import.meta.url), {
    resourceLimits: {
      maxYoungGenerationSizeMb: REPORT_YOUNG_MB,
      maxOldGenerationSizeMb: REPORT_OLD_MB,
    },
    stdout: false,
    stderr: false,
  });
  const track = new Worker(new URL('./track-worker.js', import.meta.url), {
    resourceLimits: { maxYoungGenerationSizeMb: TRACK_YOUNG_MB },
    stdout: false,
    stderr: false,
  });
  return { track, report };
}

/** Options of `read` that take a value (yargs also accepts --name=value): their value is not a file. */
const VALUE_OPTIONS: ReadonlySet<string> = new Set([
  '--format',
  '-f',
  '--timeout',
  '--only',
  '--host',
  '--port',
  '--since',
  '--until',
  '--vxlan-port',
  '--evidence',
  '--chart',
  '--fail-on',
]);

/**
 * The capture files of a `read` command line, as far as a look at the raw arguments tells, or null
 * when it is not a `read` that would run on two cores anyway (--evidence, --chart, stdin, --help...). Only a
 * hint: yargs parses the arguments for real, and threadsWanted() decides on its result.
 */
export function readFilesOf(argv: readonly string[]): string[] | null {
  if (argv[0] !== 'read') return null;
  const files: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-' || a === '--help' || a === '--version' || a === '-h') return null;
    if (a === '--') {
      files.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-')) {
      const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
      if (name === '--evidence' || name === '--chart') return null;
      if (VALUE_OPTIONS.has(name) && !a.includes('=')) i++;
      continue;
    }
    files.push(a);
  }
  return files.length > 0 ? files : null;
}

let early: (Workers & { failed: boolean }) | null = null;

/**
 * Starts the workers now when the raw arguments look like a `read` that threadsWanted() will send
 * to them. They do not keep the process alive until taken (a usage error just exits).
 */
export function prestart(argv: readonly string[]): void {
  const files = readFilesOf(argv);
  if (files === null || !threadsWanted(files, false)) return;
  const w = spawnWorkers();
  const started = { ...w, failed: false };
  for (const worker of [w.track, w.report]) {
    worker.unref();
    // A worker that failed before it was taken is not taken: takeWorkers() starts fresh ones.
    worker.once('error', () => {
      started.failed = true;
    });
  }
  early = started;
}

/** The workers prestart() started, or fresh ones. */
export function takeWorkers(): Workers {
  const w = early;
  if (w !== null && !w.failed) {
    early = null;
    w.track.ref();
    w.report.ref();
    return w;
  }
  dropWorkers();
  return spawnWorkers();
}

/** `read` runs in one thread after all (or with other workers): the early workers go. */
export function dropWorkers(): void {
  const w = early;
  early = null;
  if (w !== null) void Promise.all([w.track.terminate(), w.report.terminate()]);
}
