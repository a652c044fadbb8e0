// The track worker of threads.ts: reads the capture files, decodes and tracks them, and sends the
// settled attempts to the report worker.

import { once } from 'node:events';
import { parentPort } from 'node:worker_threads';
import { reportWanted, trackFiles } from '../analyze.js';
import type { FrameSource } from '../capture/source.js';
import { BatchSender, type FromTrackWorker, type StopMessage, type TrackWorkerData } from './threads.js';

const parent = parentPort;
if (parent === null) throw new Error('track-worker.js runs as a worker thread');
// Started before the command line was parsed (spawn.ts): the data comes in the first message.
const data = (await once(parent, 'message'))[0] as TrackWorkerData;
const post = (m: FromTrackWorker): void => parent.postMessage(m);

// A stop (a signal in the main thread) ends the input as its end would.
const stop = new AbortController();
const onStopMessage = (m: StopMessage): void => {
  if (m.type === 'stop') stop.abort();
};
parent.on('message', onStopMessage);
const sender = new BatchSender(data.control, data.port);
let current: FrameSource | null = null;
const timer = data.progress
  ? setInterval(() => {
      if (current !== null) post({ type: 'progress', name: current.name, packets: current.packets });
    }, 500)
  : null;
const r = await trackFiles(
  data.files,
  data.track,
  sender.attempt,
  (s) => {
    // Every input as it opens (several are opened one after the other), then every 500 ms.
    current = s;
    post({ type: 'progress', name: s === null ? null : s.name, packets: s === null ? 0 : s.packets });
  },
  stop.signal,
);
if (timer !== null) clearInterval(timer);
sender.end({
  captures: r.captures,
  evicted: r.evicted,
  anomalies: r.anomalies,
  coverage: r.coverage,
  finish: reportWanted(r, data.files.length, data.format),
});
post({ type: 'result', errors: r.errors.map((e) => e.message) });
parent.off('message', onStopMessage);
