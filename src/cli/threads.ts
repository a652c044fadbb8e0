// `read` of large capture files on two cores. Two worker threads do the work, each with a heap
// sized for its job, joined by a MessageChannel:
//
//   main thread        options, progress line, errors, exit status; starts both workers (spawn.ts),
//                      sends them their data, learns
//                      their results, and wakes the track worker if the report worker dies
//   track-worker.ts    capture → decode → track; settled attempts in batches to the report worker
//   report-worker.ts   summary, findings, records, diagnoses → the report on stdout
//
// Attempts cross as binary slots (track/wire.ts), one transferred ArrayBuffer per batch;
// the report worker runs the same Listing and reporter as a single thread would, so the output is
// the same byte for byte (test/cli/threads.test.ts checks every capture in every format).

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { TrackOptions } from '../analyze.js';
import type { Format } from '../report/formats.js';
import type { CaptureJson } from '../report/reporter.js';
import type { SettledAttempt, Listed } from '../track/attempt.js';
import type { Coverage } from '../track/handshakes.js';
import { AttemptBatch } from '../track/wire.js';
import { takeWorkers } from './spawn.js';

/** Bytes per batch: about 500 attempts. */
const BATCH_BYTES = 128 * 1024;
/**
 * Batches sent and not yet taken by the report worker before the track worker waits for it: 2 MiB,
 * about 8 000 attempts, so neither thread waits on the other's short stalls (a collection, a read).
 */
const MAX_IN_FLIGHT = 16;
/** Last resort: the track worker gives up on a report worker that takes no batch for this long. */
const STALL_MS = 60_000;

// The shared control words between the workers (and the main thread).
export const C_IN_FLIGHT = 0;
export const C_STATE = 1;
export const STATE_RUNNING = 0;
/** The report cannot be written (its reader went away, or a write failed): stop sending. */
export const STATE_STOPPED = 1;

export interface ReportOptions {
  readonly format: Format;
  readonly color: boolean;
  readonly only: readonly Listed[];
  readonly timeout: number;
  readonly files: readonly string[];
  /** Table output width (help.ts outputWidth). */
  readonly width: number;
}

export interface ReportWorkerData extends ReportOptions {
  readonly control: SharedArrayBuffer;
  /** Batches and the end message come in here; emptied buffers go back through it. */
  readonly port: MessagePort;
}

export interface TrackWorkerData {
  readonly files: readonly string[];
  /** TrackOptions without `open` (the selection is plain data and typed arrays: it is cloned as it is). */
  readonly track: Omit<TrackOptions, 'open'>;
  readonly format: Format;
  readonly control: SharedArrayBuffer;
  /** To the report worker. */
  readonly port: MessagePort;
  /** Post progress messages (the main thread shows a progress line). */
  readonly progress: boolean;
}

/** What the track worker found besides the attempts, for the report's totals. */
export interface EndMessage {
  readonly type: 'end';
  readonly captures: readonly CaptureJson[];
  readonly evicted: number;
  readonly anomalies: Record<string, number>;
  readonly coverage: Coverage;
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

export interface FreeMessage {
  readonly type: 'free';
  readonly buffer: ArrayBuffer;
}

export type FromReportWorker =
  | { readonly type: 'done'; readonly seen: readonly Listed[]; readonly notes: readonly string[] }
  | { readonly type: 'stdout-gone' }
  | { readonly type: 'stdout-failed'; readonly message: string };

export type FromTrackWorker =
  | { readonly type: 'progress'; readonly name: string | null; readonly packets: number }
  | { readonly type: 'result'; readonly errors: readonly string[] };

export interface ThreadsResult {
  /** One line per damaged or unreadable input, in order. */
  readonly errors: readonly string[];
  readonly seen: readonly Listed[];
  /** Lines for stderr after the report (ndjson's findings). */
  readonly notes: readonly string[];
}

export interface ThreadsHooks {
  /** The file being read and its packets so far; null between files. */
  progress?(name: string | null, packets: number): void;
  /** The report's reader went away (EPIPE): the caller ends the process quietly. */
  stdoutGone(): void;
  /** Writing the report failed (ENOSPC, EIO...): the caller reports it and ends the process. */
  stdoutFailed(message: string): void;
  /** Aborting it ends the input (a signal): the track worker settles what it read, the report is written. */
  signal?: AbortSignal;
}

/** To the track worker after its data: end the input now. */
export interface StopMessage {
  readonly type: 'stop';
}

/** Runs capture → report for regular files in the two workers; resolves when the report is written. */
export async function readInThreads(
  files: readonly string[], track: Omit<TrackOptions, 'open'>, report: ReportOptions, hooks: ThreadsHooks,
): Promise<ThreadsResult> {
  const control = new SharedArrayBuffer(8);
  const state = new Int32Array(control);
  const { port1, port2 } = new MessageChannel();
  const { track: trackWorker, report: reportWorker } = takeWorkers();
  const reportData: ReportWorkerData = { ...report, control, port: port2 };
  reportWorker.postMessage(reportData, [port2]);
  const trackData: TrackWorkerData = {
    files, track, format: report.format,
    control, port: port1, progress: hooks.progress !== undefined,
  };
  trackWorker.postMessage(trackData, [port1]);
  const stop = (): void => {
    const m: StopMessage = { type: 'stop' };
    trackWorker.postMessage(m);
  };
  if (hooks.signal?.aborted === true) stop();
  else hooks.signal?.addEventListener('abort', stop, { once: true });

  const reported = new Promise<{ seen: readonly Listed[]; notes: readonly string[] }>((resolve, reject) => {
    let done = false;
    const fail = (e: Error): void => {
      // Wake the track worker if it waits for room: nothing more will be taken.
      Atomics.store(state, C_STATE, STATE_STOPPED);
      Atomics.notify(state, C_IN_FLIGHT);
      reject(e);
    };
    reportWorker.on('message', (m: FromReportWorker) => {
      if (m.type === 'done') {
        done = true;
        resolve(m);
      } else if (m.type === 'stdout-gone') {
        hooks.stdoutGone();
      } else {
        hooks.stdoutFailed(m.message);
      }
    });
    reportWorker.on('error', fail);
    reportWorker.on('exit', (code) => {
      if (!done) fail(new Error(`report thread exited (${code}) before the end of the report`));
    });
  });
  const tracked = new Promise<readonly string[]>((resolve, reject) => {
    let done = false;
    trackWorker.on('message', (m: FromTrackWorker) => {
      if (m.type === 'progress') {
        hooks.progress?.(m.name, m.packets);
      } else {
        done = true;
        resolve(m.errors);
      }
    });
    trackWorker.on('error', reject);
    trackWorker.on('exit', (code) => {
      if (!done) reject(new Error(`track thread exited (${code}) before its result`));
    });
  });
  try {
    const [errors, { seen, notes }] = await Promise.all([tracked, reported]);
    return { errors, seen, notes };
  } catch (e) {
    await Promise.all([trackWorker.terminate(), reportWorker.terminate()]);
    throw e;
  }
}

/** The track worker's end of the channel: settled attempts out in batches, waiting when too many are in flight. */
export class BatchSender {
  private readonly control: Int32Array;
  private readonly port: MessagePort;
  private readonly free: ArrayBuffer[] = [];
  private batch = new AttemptBatch(BATCH_BYTES);

  constructor(control: SharedArrayBuffer, port: MessagePort) {
    this.control = new Int32Array(control);
    this.port = port;
    port.on('message', (m: FreeMessage) => this.free.push(m.buffer));
  }

  /** One settled attempt: the tracker's onAttempt. */
  readonly attempt = (a: SettledAttempt): void => {
    if (this.batch.add(a)) return;
    this.send();
    this.batch.add(a); // an empty batch has room for the largest slot
  };

  /** Sends what is left and the end of the report. */
  end(end: Omit<EndMessage, 'type'>): void {
    if (this.batch.count > 0) this.send();
    const m: EndMessage = { type: 'end', ...end };
    // The report worker closes the channel once it has written everything.
    this.port.postMessage(m);
  }

  private send(): void {
    const c = this.control;
    let waited = 0;
    while (Atomics.load(c, C_IN_FLIGHT) >= MAX_IN_FLIGHT && Atomics.load(c, C_STATE) === STATE_RUNNING) {
      if (Atomics.wait(c, C_IN_FLIGHT, Atomics.load(c, C_IN_FLIGHT), 100) === 'timed-out') waited += 100;
      else waited = 0;
      if (waited >= STALL_MS) throw new Error(`report thread took no batch for ${STALL_MS / 1000} s`);
    }
    if (Atomics.load(c, C_STATE) !== STATE_RUNNING) {
      // The report cannot be written any more: nothing is worth sending.
      this.batch.clear();
      return;
    }
    Atomics.add(c, C_IN_FLIGHT, 1);
    const b = this.batch;
    const m: BatchMessage = { type: 'batch', buffer: b.buffer, count: b.count, used: b.used };
    this.port.postMessage(m, [b.buffer]);
    this.batch = new AttemptBatch(this.free.pop() ?? BATCH_BYTES);
  }
}
