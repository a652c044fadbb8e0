// `read` of large capture files on two cores. Two worker threads do the work, each with a heap
// sized for its job:
//
//   main thread        options, progress line, errors, exit status (waits on the two below)
//   track-worker.ts    capture → decode → track; settled attempts in batches to the report worker
//   report-worker.ts   summary, findings, records, diagnoses → the report on stdout
//
// Attempts cross as binary slots (track/wire.ts), one transferred ArrayBuffer per batch;
// the report worker runs the same Listing and reporter as a single thread would, so the output is
// the same byte for byte (test/cli/threads.test.ts checks every capture in every format).

import { Worker } from 'node:worker_threads';
import type { TrackOptions } from '../analyze.js';
import type { Format } from '../report/formats.js';
import type { CaptureJson } from '../report/reporter.js';
import type { Attempt, Outcome } from '../track/attempt.js';
import { AttemptBatch } from '../track/wire.js';

/** Bytes per batch: about 500 attempts. */
const BATCH_BYTES = 128 * 1024;
/**
 * Batches sent and not yet taken by the report worker before the track worker waits for it: 2 MiB,
 * about 8 000 attempts, so neither thread waits on the other's short stalls (a collection, a read).
 */
const MAX_IN_FLIGHT = 16;
/** The track worker gives up on a report worker that takes no batch for this long. */
const STALL_MS = 60_000;

/**
 * Young-generation sizes (MiB). The tracker's objects live long and the report's die young: these
 * keep the process's peak memory near a single thread's, at the same speed (measured on the
 * 320 000-attempt benchmark: 12 MiB for the tracker, 4 MiB for the report).
 */
const TRACK_YOUNG_MB = 12;
const REPORT_YOUNG_MB = 4;

// The shared control words between the track and the report worker.
export const C_IN_FLIGHT = 0;
export const C_STATE = 1;
export const STATE_RUNNING = 0;
/** The report's reader went away (EPIPE): nothing more is worth sending. */
export const STATE_STDOUT_GONE = 1;
/** The report worker failed; its error comes as the worker's 'error' event. */
export const STATE_FAILED = 2;

export interface ReportOptions {
  readonly format: Format;
  readonly color: boolean;
  readonly only: readonly Outcome[];
  readonly timeout: number;
  readonly files: readonly string[];
}

export interface ReportWorkerData extends ReportOptions {
  readonly control: SharedArrayBuffer;
}

export interface TrackWorkerData {
  readonly files: readonly string[];
  /** TrackOptions without `open`; host travels as plain bytes. */
  readonly track: Omit<TrackOptions, 'open' | 'host'> & { readonly host: Uint8Array | null };
  readonly report: ReportOptions;
  /** Post progress messages (the main thread shows a progress line). */
  readonly progress: boolean;
}

/** What the track worker found besides the attempts, for the report's totals. */
export interface EndMessage {
  readonly type: 'end';
  readonly captures: readonly CaptureJson[];
  readonly evicted: number;
  readonly anomalies: Record<string, number>;
  /** False when the report is left out (nothing could be read, and the format is not json). */
  readonly finish: boolean;
}

export interface BatchMessage {
  readonly type: 'batch';
  readonly buffer: ArrayBuffer;
  /** Attempts in the buffer, and the doubles they fill. */
  readonly count: number;
  readonly used: number;
}

export type ToReportWorker = BatchMessage | EndMessage;

export type FromReportWorker =
  | { readonly type: 'free'; readonly buffer: ArrayBuffer }
  | { readonly type: 'done'; readonly seen: readonly Outcome[]; readonly stdoutGone: boolean };

export type FromTrackWorker =
  | { readonly type: 'progress'; readonly name: string | null; readonly packets: number }
  | { readonly type: 'stdout-gone' }
  | { readonly type: 'result'; readonly result: ThreadsResult };

export interface ThreadsResult {
  /** One line per damaged or unreadable input, in order. */
  readonly errors: readonly string[];
  readonly seen: readonly Outcome[];
  readonly stdoutGone: boolean;
}

export interface ThreadsHooks {
  /** The file being read and its packets so far; null between files. */
  progress?(name: string | null, packets: number): void;
  /** The report's reader went away: the caller ends the process. */
  stdoutGone(): void;
}

/** Runs capture → report for regular files in the two workers; resolves when the report is written. */
export function readInThreads(
  files: readonly string[], track: Omit<TrackOptions, 'open'>, report: ReportOptions, hooks: ThreadsHooks,
): Promise<ThreadsResult> {
  const data: TrackWorkerData = {
    files, track: { ...track, host: track.host === null ? null : new Uint8Array(track.host) }, report,
    progress: hooks.progress !== undefined,
  };
  const worker = new Worker(new URL('./track-worker.js', import.meta.url), {
    workerData: data, resourceLimits: { maxYoungGenerationSizeMb: TRACK_YOUNG_MB }, stdout: false, stderr: false,
  });
  return new Promise<ThreadsResult>((resolve, reject) => {
    worker.on('message', (m: FromTrackWorker) => {
      if (m.type === 'progress') hooks.progress?.(m.name, m.packets);
      else if (m.type === 'stdout-gone') hooks.stdoutGone();
      else resolve(m.result);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`track thread exited (${code}) before its result`)));
  });
}

/** The track worker's end of the report worker: batches out, the report's result back. */
export class ReportThread {
  private readonly control: Int32Array;
  private readonly worker: Worker;
  private readonly free: ArrayBuffer[] = [];
  private batch = new AttemptBatch(BATCH_BYTES);
  private readonly done: Promise<{ seen: readonly Outcome[]; stdoutGone: boolean }>;
  private readonly onStdoutGone: () => void;
  private goneSeen = false;

  constructor(opts: ReportOptions, onStdoutGone: () => void) {
    const control = new SharedArrayBuffer(8);
    this.control = new Int32Array(control);
    this.onStdoutGone = onStdoutGone;
    const data: ReportWorkerData = { ...opts, control };
    this.worker = new Worker(new URL('./report-worker.js', import.meta.url), {
      workerData: data, resourceLimits: { maxYoungGenerationSizeMb: REPORT_YOUNG_MB }, stdout: false, stderr: false,
    });
    this.done = new Promise((resolve, reject) => {
      this.worker.on('message', (m: FromReportWorker) => {
        if (m.type === 'free') this.free.push(m.buffer);
        else resolve(m);
      });
      this.worker.on('error', reject);
      this.worker.on('exit', (code) => reject(new Error(`report thread exited (${code}) before the end of the report`)));
    });
    // A failure is reported by finish(); until then it must not count as unhandled.
    this.done.catch(() => undefined);
  }

  /** One settled attempt of input `fileIndex`: the tracker's onAttempt. */
  readonly attempt = (a: Attempt, fileIndex: number): void => {
    if (this.batch.add(a, fileIndex)) return;
    this.send();
    this.batch.add(a, fileIndex); // an empty batch has room for the largest slot
  };

  /** Ends the report with the totals; resolves once the report worker wrote everything. */
  async finish(end: Omit<EndMessage, 'type'>): Promise<{ seen: readonly Outcome[]; stdoutGone: boolean }> {
    if (this.batch.count > 0) this.send();
    const m: EndMessage = { type: 'end', ...end };
    this.worker.postMessage(m);
    return this.done;
  }

  private send(): void {
    const c = this.control;
    let waited = 0;
    while (Atomics.load(c, C_IN_FLIGHT) >= MAX_IN_FLIGHT && Atomics.load(c, C_STATE) === STATE_RUNNING) {
      if (Atomics.wait(c, C_IN_FLIGHT, Atomics.load(c, C_IN_FLIGHT), 100) === 'timed-out') waited += 100;
      else waited = 0;
      if (waited >= STALL_MS) throw new Error(`report thread took no batch for ${STALL_MS / 1000} s`);
    }
    const state = Atomics.load(c, C_STATE);
    if (state !== STATE_RUNNING) {
      if (state === STATE_STDOUT_GONE && !this.goneSeen) {
        this.goneSeen = true;
        this.onStdoutGone();
      }
      // Nothing more is worth sending; the end message still collects the report worker's result.
      this.batch.clear();
      return;
    }
    Atomics.add(c, C_IN_FLIGHT, 1);
    const b = this.batch;
    const m: BatchMessage = { type: 'batch', buffer: b.buffer, count: b.count, used: b.used };
    this.worker.postMessage(m, [b.buffer]);
    this.batch = new AttemptBatch(this.free.pop() ?? BATCH_BYTES);
  }
}
