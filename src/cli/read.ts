// `synscope read <captures...>`: options → analysis → report → evidence → exit status.

import { analyzeFiles, reportWanted, type EvidencePacket } from '../analyze.js';
import { captureFilesIn, isDirectory } from '../capture/directory.js';
import { CaptureFormatError, UsageError } from '../errors.js';
import { EvidenceStream } from '../evidence-stream.js';
import { createEvidenceWriter, openEvidenceWriter } from '../report/evidence-writer.js';
import { makeReporter } from '../report/formats.js';
import { ndjsonFindingLines, type ByteSink } from '../report/json.js';
import { runReport, type EvidenceFrames, type EvidenceJson, type Sink } from '../report/reporter.js';
import { OutcomeTimeline } from '../report/timeline.js';
import { writeChart } from './chart.js';
import { outputWidth } from './help.js';
import { evidenceToStdout, parseOptions, type RawOptions } from './options.js';
import { onStatistics, onStop } from './signals.js';
import { EXIT_ERROR, EXIT_FAIL_ON, EXIT_OK, STDIN_TOKEN } from './exit.js';

/**
 * Evidence packets in capture order: their place in the timeline of all inputs (one file's frame
 * order, several files merged by time); a packet listed twice is written once.
 */
export function evidenceOrder(packets: EvidencePacket[]): EvidencePacket[] {
  packets.sort((a, b) => a.seq - b.seq);
  const out: EvidencePacket[] = [];
  for (const p of packets) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.seq === p.seq) continue;
    out.push(p);
  }
  return out;
}

/** Where each packet written in evidence order landed in the file: input name → its frame → evidence frame. */
export function evidenceFrames(written: readonly EvidencePacket[], files: readonly string[]): EvidenceFrames {
  const frames = new Map<string, Map<number, number>>();
  written.forEach((p, i) => {
    const name = files[p.fileIndex] ?? '';
    let m = frames.get(name);
    if (m === undefined) frames.set(name, (m = new Map()));
    m.set(p.number, i + 1);
  });
  return frames;
}

/** The command line's inputs with each directory replaced by the capture files in it. */
function inputFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  for (const a of args) {
    if (a === '-' || !isDirectory(a)) {
      files.push(a);
      continue;
    }
    const inside = captureFilesIn(a);
    if (inside.length === 0) throw new UsageError(`read: ${a}: no capture files in this directory`);
    files.push(...inside);
  }
  return files;
}

/** The one line for an evidence file that could not be written (a write error names the file itself). */
function evidenceMessage(path: string, e: unknown): string {
  if (e instanceof CaptureFormatError) return `--evidence ${e.message}`;
  return `--evidence ${path}: ${e instanceof Error ? e.message : String(e)}`;
}

/** stdout for the reporters: text, bytes (json), and a flush at the end. */
export interface ReadOutput {
  readonly write: Sink;
  readonly bytes?: ByteSink;
  flush(): void;
  /** Resolves once everything flushed has been taken by stdout. */
  drained(): Promise<void>;
  /** While stdout's reader lags far behind: resolves once it has caught up. Null otherwise. */
  backlog(): Promise<void> | null;
  /** The reader of stdout went away (EPIPE): ends the process quietly. */
  gone(): void;
  /** stdout failed (ENOSPC, EIO...): says so and ends the process. */
  failed(message: string): void;
  /** The report goes to stderr: stdout carries the evidence capture. */
  toStderr(): void;
}

export async function runRead(
  args: RawOptions & { captures?: unknown },
  out: ReadOutput,
  color: boolean,
  err: (line: string) => void,
): Promise<number> {
  const opts = parseOptions(args, { format: 'table' }, color);
  const width = outputWidth(process.env, process.stdout.columns);
  const files = inputFiles(
    (Array.isArray(args.captures) ? args.captures : [args.captures])
      .filter((x) => x !== undefined)
      .map((x) => (String(x) === STDIN_TOKEN ? '-' : String(x))),
  );
  if (files.length === 0) throw new UsageError('read: name at least one capture file, or - for stdin');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('read: stdin (-) can be read only once');
  if (
    opts.evidence !== null &&
    evidenceToStdout(
      opts.evidence,
      files.filter((f) => f !== '-'),
    )
  )
    out.toStderr();

  // A progress line on stderr for long reads, only when a person is watching it.
  let line: (() => string) | null = null;
  let timer: NodeJS.Timeout | null = null;
  const showProgress = Boolean(process.stderr.isTTY) && process.env['SYNSCOPE_NO_PROGRESS'] === undefined;
  if (showProgress) {
    timer = setInterval(() => {
      if (line !== null) process.stderr.write(`\r\u001b[K${line()}`);
    }, 500);
    timer.unref();
  }
  const progress = (name: string | null, packets: () => number): void => {
    line = name === null ? null : () => `${name}: ${packets()} packets`;
    if (name === null && showProgress) process.stderr.write('\r\u001b[K');
  };
  const track = {
    timeout: opts.timeout,
    select: opts.select,
    keepPackets: opts.evidence !== null,
    vxlanPorts: opts.vxlanPorts,
    // A reader of stdout slower than the reading (a pipe to jq, a pager) holds the reading back.
    open: { readGate: out.backlog },
  };

  // SIGINT, SIGTERM, SIGHUP end the input as its end would (signals.ts); SIGUSR1 asks how far it got.
  const stop = new AbortController();
  onStop(() => stop.abort());
  let reading: { name: string; packets: () => number } | null = null;
  onStatistics(() =>
    reading === null
      ? `synscope: ${files.length} inputs, none being read`
      : `synscope: input ${files.indexOf(reading.name) + 1} of ${files.length}, ` +
        `${reading.name}: ${reading.packets()} packets`,
  );
  /** The input being read (null: none now). */
  const watch = (name: string | null, packets: () => number): void => {
    reading = name === null ? null : { name, packets };
    progress(name, packets);
  };

  // A capture streamed on stdin may go on for hours: its verdicts are handed on as they come, not
  // when a chunk of output is full.
  const flusher = files.includes('-') ? setInterval(() => out.flush(), 200) : null;
  flusher?.unref();

  let evidenceError: string | null = null;
  const timeline = opts.chart === null ? null : new OutcomeTimeline();
  let chartError: string | null = null;
  const reporter = await makeReporter(opts.format, out.write, color, out.bytes, files.length > 1, width);
  // stdin streams its evidence as attempts are listed, as live does: a killed read leaves them all.
  const streamed = opts.evidence !== null && files.length === 1 && files[0] === '-' ? opts.evidence : null;
  const stream = streamed === null ? null : new EvidenceStream(null, opts.format === 'markdown');
  const result = await analyzeFiles(files, { ...track, only: opts.only }, reporter, {
    progress: (s) => {
      if (s === null) {
        watch(null, () => 0);
        return;
      }
      watch(s.name, () => s.packets);
      if (streamed !== null && stream !== null && !stream.attached && evidenceError === null) {
        try {
          // Opened once the capture header told the link types; nanoseconds keep any input's precision.
          stream.attach(openEvidenceWriter(streamed, s.linkTypes, true, [], true));
        } catch (e) {
          evidenceError = evidenceMessage(streamed, e);
        }
      }
    },
    signal: stop.signal,
    evidence: stream ?? undefined,
    timeline: timeline ?? undefined,
  });
  if (timer !== null) clearInterval(timer);
  let evidence: EvidenceJson | null = null;
  if (stream !== null && stream.attached) {
    await stream.close();
    if (stream.error !== null) evidenceError = `--evidence ${streamed}: ${stream.error}`;
    else
      evidence = {
        file: streamed!,
        packets: stream.written,
        ...(stream.frames === null ? {} : { frames: new Map([[files[0]!, stream.frames]]) }),
      };
  } else if (opts.evidence !== null && streamed === null) {
    const packets = evidenceOrder(result.evidence);
    const linkTypes = [...new Set(packets.map((p) => p.linkType))];
    try {
      const w = await createEvidenceWriter(
        opts.evidence,
        linkTypes,
        result.nanosecond,
        files.filter((f) => f !== '-'),
      );
      for (const p of packets) w.write(p);
      await w.close();
      evidence = { file: opts.evidence, packets: packets.length, frames: evidenceFrames(packets, files) };
    } catch (e) {
      evidenceError = evidenceMessage(opts.evidence, e);
    }
  }
  let run = runReport(result, opts.timeout, opts.only, evidence);
  if (timeline !== null && opts.chart !== null) {
    const c = writeChart(
      opts.chart,
      timeline,
      result.summary,
      files.length === 1 ? files[0]! : `${files.length} inputs`,
    );
    if ('error' in c) chartError = c.error;
    else run = { ...run, chart: c.link };
  }
  if (reportWanted(result, files.length, opts.format)) reporter.finish(run);
  out.flush();
  // The error lines come after the whole report, also when stdout and stderr share a slow pipe.
  const notes = ndjsonFindingLines(opts.format, run.findings);
  if (result.errors.length > 0 || evidenceError !== null || chartError !== null || notes.length > 0)
    await out.drained();
  const errors = result.errors.map((e) => e.message);
  const seen = result.seen;
  if (flusher !== null) clearInterval(flusher);
  for (const n of notes) err(n);
  for (const e of errors) err(`synscope: ${e}`);
  if (evidenceError !== null) err(`synscope: ${evidenceError}`);
  if (chartError !== null) err(`synscope: ${chartError}`);
  if (errors.length > 0 || evidenceError !== null || chartError !== null) return EXIT_ERROR;
  for (const o of opts.failOn) if (seen.has(o)) return EXIT_FAIL_ON;
  return EXIT_OK;
}
