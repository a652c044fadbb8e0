// The report worker of threads.ts: settled attempts in, the report out on stdout.

import { once } from 'node:events';
import { parentPort } from 'node:worker_threads';
import { makeReporter } from '../report/formats.js';
import { ndjsonFindingLines } from '../report/json.js';
import { runReport } from '../report/reporter.js';
import { SettledAttempt } from '../track/attempt.js';
import { AttemptBatch } from '../track/wire.js';
import { Listing } from '../verdicts.js';
import {
  C_IN_FLIGHT, C_STATE, STATE_STOPPED, type FreeMessage, type FromReportWorker, type ReportWorkerData, type ToReportWorker,
} from './threads.js';
import { FdSink } from './sink.js';

const parent = parentPort;
if (parent === null) throw new Error('report-worker.js runs as a worker thread');
// Started before the command line was parsed (spawn.ts): the data comes in the first message.
const data = (await once(parent, 'message'))[0] as ReportWorkerData;
const port = data.port;
const control = new Int32Array(data.control);
const only = new Set(data.only);
const out = new FdSink(1);
const reporter = await makeReporter(data.format, out.write, data.color, out, data.files.length > 1, data.width);
const listing = new Listing(only, data.timeout, reporter);
// One attempt object and one answer address, refilled from every slot.
const attempt = new SettledAttempt();
const from = Buffer.alloc(16);
let stopped = false;
const post = (m: FromReportWorker): void => parent.postMessage(m);

/**
 * Once stdout cannot take the report: a failed write stops the track worker (the main thread ends the
 * run); a reader gone away is only said (the main thread ends the run, or lets it go on without a
 * report when --fail-on or --evidence still need the rest).
 */
let goneSaid = false;
function checkOutput(): void {
  if (out.gone && !goneSaid) {
    goneSaid = true;
    post({ type: 'stdout-gone' });
  }
  if (stopped || out.failed === null) return;
  stopped = true;
  Atomics.store(control, C_STATE, STATE_STOPPED);
  Atomics.notify(control, C_IN_FLIGHT);
  post({ type: 'stdout-failed', message: out.failed });
}

port.on('message', (m: ToReportWorker) => {
  if (m.type === 'batch') {
    if (!stopped) {
      const batch = new AttemptBatch(m.buffer, m.count, m.used);
      while (batch.next(data.files, attempt, from)) listing.attempt(attempt);
      checkOutput();
    }
    Atomics.sub(control, C_IN_FLIGHT, 1);
    Atomics.notify(control, C_IN_FLIGHT);
    const free: FreeMessage = { type: 'free', buffer: m.buffer };
    port.postMessage(free, [m.buffer]);
    return;
  }
  const v = listing.verdicts;
  const run = runReport({ ...m, summary: v.summary, findings: v.allFindings() }, data.timeout, only, null);
  if (!stopped) {
    if (m.finish) reporter.finish(run);
    out.flush();
    checkOutput();
  }
  post({ type: 'done', seen: [...listing.verdicts.seen], notes: ndjsonFindingLines(data.format, run.findings) });
  port.close();
});
