// The report worker of threads.ts: settled attempts in, the report out on stdout.

import { parentPort, workerData } from 'node:worker_threads';
import { makeReporter } from '../report/formats.js';
import { runReport } from '../report/reporter.js';
import { Attempt } from '../track/attempt.js';
import { AttemptBatch } from '../track/wire.js';
import { Listing } from '../verdicts.js';
import {
  C_IN_FLIGHT, C_STATE, STATE_FAILED, STATE_STDOUT_GONE, type FromReportWorker, type ReportWorkerData, type ToReportWorker,
} from './threads.js';
import { FdSink } from './sink.js';

const port = parentPort;
if (port === null) throw new Error('report-worker.js runs as a worker thread');
const data = workerData as ReportWorkerData;
const control = new Int32Array(data.control);
const only = new Set(data.only);
const out = new FdSink(1);
const reporter = await makeReporter(data.format, out.write, data.color, out);
const listing = new Listing(only, data.timeout, reporter, data.files.length);
// One attempt object and one answer address, refilled from every slot.
const attempt = new Attempt('', Buffer.alloc(32), 4, 0, 0, 0, 0, 0, 0, 6, 0, 0);
const from = Buffer.alloc(16);

function onMessage(m: ToReportWorker): void {
  if (m.type === 'batch') {
    if (!out.gone) {
      const batch = new AttemptBatch(m.buffer, m.count, m.used);
      for (let fileIndex = batch.next(data.files, attempt, from); fileIndex >= 0; fileIndex = batch.next(data.files, attempt, from)) {
        listing.attempt(attempt, fileIndex);
      }
    }
    Atomics.sub(control, C_IN_FLIGHT, 1);
    if (out.gone) Atomics.store(control, C_STATE, STATE_STDOUT_GONE);
    Atomics.notify(control, C_IN_FLIGHT);
    const free: FromReportWorker = { type: 'free', buffer: m.buffer };
    port!.postMessage(free, [m.buffer]);
    return;
  }
  listing.end();
  const v = listing.verdicts;
  if (m.finish && !out.gone) {
    reporter.finish(runReport({ ...m, summary: v.summary, findings: v.findings.all() }, data.timeout, only, null));
  }
  out.flush();
  const done: FromReportWorker = { type: 'done', seen: [...v.seen], stdoutGone: out.gone };
  port!.postMessage(done);
  port!.close();
}

port.on('message', (m: ToReportWorker) => {
  try {
    onMessage(m);
  } catch (e) {
    // Wake the reading thread if it waits for room; the error itself reaches it as 'error'.
    Atomics.store(control, C_STATE, STATE_FAILED);
    Atomics.notify(control, C_IN_FLIGHT);
    throw e;
  }
});
