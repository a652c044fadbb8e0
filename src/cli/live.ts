// `synscope live -i <interface>`: options → open the capture → verdicts as they happen → on Ctrl-C,
// SIGTERM, SIGHUP, --count or --duration: the summary, the evidence file, the exit status.

import { performance } from 'node:perf_hooks';
import { DEFAULT_RING_MIB, DEFAULT_SNAPLEN, LiveSource, MAX_SNAPLEN } from '../capture/live.js';
import { linkTypeName } from '../capture/source.js';
import { UsageError } from '../errors.js';
import { LiveAnalysis, type LiveProgress } from '../live.js';
import { createEvidenceWriter, type EvidenceWriter } from '../report/evidence-writer.js';
import { ndjsonFindingLines } from '../report/json.js';
import { captureLossText, captureLossWarning, runReport, type Sink } from '../report/reporter.js';
import { OUTCOMES } from '../track/attempt.js';
import { plural } from '../report/text.js';
import { EXIT_ERROR, EXIT_FAIL_ON, EXIT_OK } from './exit.js';
import { addVxlanPorts } from '../decode/udp.js';
import { outputWidth } from './help.js';
import { evidenceToStdout, parseOptions, single, type RawOptions } from './options.js';
import { makeReporter } from '../report/formats.js';
import { OutcomeTimeline } from '../report/timeline.js';
import { writeChart } from './chart.js';
import { onStatistics, onStop } from './signals.js';

export interface LiveRawOptions extends RawOptions {
  interface?: unknown;
  filter?: unknown;
  count?: unknown;
  duration?: unknown;
  interval?: unknown;
  'buffer-size'?: unknown;
  snaplen?: unknown;
}

/** A positive number of seconds, or null when the flag is absent. */
function seconds(name: string, v: unknown): number | null {
  const s = single(name, v);
  if (s === undefined) return null;
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name}: '${s}' is not a positive number of seconds`);
  return n;
}

/** The periodic line for --interval: totals so far and the rate since the previous line. */
export function progressLine(
  p: LiveProgress,
  iface: string,
  sincePackets: number,
  sinceAttempts: number,
  secs: number,
): string {
  const t = p.summary.totals;
  const parts: string[] = [];
  for (const k of OUTCOMES) if (t[k] > 0) parts.push(`${t[k]} ${k}`);
  const rate = (n: number): string => (secs > 0 ? (n / secs).toFixed(n / secs >= 100 ? 0 : 1) : '0');
  return (
    `# ${new Date().toISOString()} ${iface}: ${plural(p.packets, 'packet')}, ${plural(t.attempts, 'attempt')}` +
    `${parts.length > 0 ? ` (${parts.join(', ')})` : ''}, ${p.open} open; ` +
    `${p.stats.received} received by filter, ${p.stats.dropped} dropped by kernel, ` +
    `${p.stats.ifdropped} dropped by interface; ` +
    `last ${secs.toFixed(secs < 10 ? 1 : 0)} s: ${rate(sincePackets)} packets/s, ${rate(sinceAttempts)} attempts/s`
  );
}

export async function runLive(
  args: LiveRawOptions,
  out: { write: Sink; flush(): void; immediate: boolean; toStderr(): void },
  color: boolean,
  err: (line: string) => void,
): Promise<number> {
  const opts = parseOptions(args, { format: 'lines' }, color);
  const iface = single('interface', args.interface);
  if (iface === undefined || iface === '') {
    throw new UsageError(
      'live: name the interface to capture on: -i <interface> (synscope interfaces lists them; -i any for all)',
    );
  }
  const filterText = single('filter', args.filter);
  if (filterText !== undefined && filterText.trim() === '')
    throw new UsageError('--filter needs a pcap-filter expression');
  const countText = single('count', args.count);
  let count = 0;
  if (countText !== undefined) {
    count = Number(countText);
    if (!/^\d+$/.test(countText.trim()) || count < 1)
      throw new UsageError(`--count: '${countText}' is not a positive number of packets`);
  }
  const duration = seconds('duration', args.duration);
  const interval = seconds('interval', args.interval);
  const bufText = single('buffer-size', args['buffer-size']);
  let ringMiB = DEFAULT_RING_MIB;
  if (bufText !== undefined) {
    ringMiB = Number(bufText);
    if (bufText.trim() === '' || !Number.isFinite(ringMiB) || ringMiB < 1 || ringMiB > 2047) {
      throw new UsageError(`--buffer-size: '${bufText}' is not a size in MiB (1-2047)`);
    }
  }

  const snapText = single('snaplen', args.snaplen);
  let snaplen = DEFAULT_SNAPLEN;
  if (snapText !== undefined) {
    snaplen = Number(snapText);
    if (!/^\d+$/.test(snapText.trim()) || snaplen < DEFAULT_SNAPLEN || snaplen > MAX_SNAPLEN) {
      throw new UsageError(
        `--snaplen: '${snapText}' is not a number of bytes from ${DEFAULT_SNAPLEN} to ${MAX_SNAPLEN}`,
      );
    }
  }

  if (opts.evidence !== null && evidenceToStdout(opts.evidence)) out.toStderr();
  addVxlanPorts(opts.vxlanPorts);
  const source = LiveSource.open(iface, {
    filter: filterText ?? null,
    count,
    ringMiB,
    snaplen,
    vxlanPorts: opts.vxlanPorts,
  });
  let writer: EvidenceWriter | null = null;
  if (opts.evidence !== null) {
    try {
      // The kernel's timestamps, unchanged: a nanosecond pcap of the one link type, written as packets
      // come (streaming): a killed capture leaves what was listed so far.
      writer = await createEvidenceWriter(opts.evidence, [source.linkType], true, [], true);
    } catch (e) {
      source.stop();
      throw e instanceof UsageError ? new UsageError(`--evidence ${opts.evidence}: ${e.message}`) : e;
    }
  }

  // Each verdict is written the moment it is reached: at the end of the event-loop turn that reached it,
  // together with the others of that turn. One write(2) per turn, not per verdict: in a CPU profile of
  // the sniffer at 6000 verdicts/s, per-verdict writes were its largest single cost.
  out.immediate = false;
  let flushQueued = false;
  const flushNow = (): void => {
    flushQueued = false;
    out.flush();
  };
  const write: Sink = (text) => {
    out.write(text);
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flushNow);
    }
  };
  const reporter = await makeReporter(
    opts.format,
    write,
    color,
    undefined,
    false,
    outputWidth(process.env, process.stdout.columns),
  );
  const timeline = opts.chart === null ? null : new OutcomeTimeline();
  const analysis = new LiveAnalysis(
    source,
    {
      timeout: opts.timeout,
      only: opts.only,
      select: opts.select,
      evidence: writer,
      evidenceFrames: opts.format === 'markdown',
      timeline: timeline ?? undefined,
    },
    reporter,
  );

  // Ctrl-C, SIGTERM, SIGHUP stop the capture cleanly (a second one exits at once: signals.ts);
  // SIGUSR1 prints the progress line.
  onStop(() => analysis.stop());
  const started = performance.now();
  onStatistics(() => {
    const p = analysis.progress;
    return progressLine(p, iface, p.packets, p.summary.totals.attempts, (performance.now() - started) / 1000);
  });
  const durationTimer = duration === null ? null : setTimeout(() => analysis.stop(), duration * 1000);

  // --interval: a progress line on stderr, so that stdout stays the report (pure ndjson / json).
  let intervalTimer: NodeJS.Timeout | null = null;
  if (interval !== null) {
    let packets = 0;
    let attempts = 0;
    let at = performance.now();
    intervalTimer = setInterval(() => {
      const p = analysis.progress;
      const now = performance.now();
      err(progressLine(p, iface, p.packets - packets, p.summary.totals.attempts - attempts, (now - at) / 1000));
      packets = p.packets;
      attempts = p.summary.totals.attempts;
      at = now;
    }, interval * 1000);
    intervalTimer.unref();
  }

  const what = [
    `link-type ${linkTypeName(source.linkType)}`,
    `snapshot length ${source.snaplen} bytes`,
    `filter "${source.filter}"`,
  ];
  if (count > 0) what.push(`stopping after ${count} packets`);
  if (duration !== null) what.push(`for ${duration} s`);
  err(`synscope: listening on ${iface}, ${what.join(', ')} (Ctrl-C to stop)`);

  let result;
  try {
    result = await analysis.run();
  } finally {
    if (durationTimer !== null) clearTimeout(durationTimer);
    if (intervalTimer !== null) clearInterval(intervalTimer);
  }

  const evidence =
    result.evidencePackets === null || result.evidenceError !== null || opts.evidence === null
      ? null
      : {
          file: opts.evidence,
          packets: result.evidencePackets,
          ...(result.evidenceFrames === null
            ? {}
            : { frames: new Map([[result.captures[0]!.file, result.evidenceFrames]]) }),
        };
  let run = runReport(result, opts.timeout, opts.only, evidence);
  let chartError: string | null = null;
  if (timeline !== null && opts.chart !== null) {
    const c = writeChart(opts.chart, timeline, result.summary, `live capture on interface ${iface}`);
    if ('error' in c) chartError = c.error;
    else run = { ...run, chart: c.link };
  }
  reporter.finish(run);
  for (const line of ndjsonFindingLines(opts.format, run.findings)) err(line);
  out.flush();
  // As tcpdump ends: what the kernel passed and lost, on stderr whatever the format (ndjson stays pure).
  const capture = result.captures[0]!;
  err(`synscope: ${captureLossText(capture) ?? ''}`);
  const warning = captureLossWarning(capture);
  if (warning !== null) err(`synscope: warning: ${warning}`);
  if (source.lost !== null) {
    err(`synscope: capture on ${iface} ended: ${source.lost}`);
    return EXIT_ERROR;
  }
  if (result.evidenceError !== null) {
    err(`synscope: --evidence ${opts.evidence ?? ''}: ${result.evidenceError}`);
    return EXIT_ERROR;
  }
  if (chartError !== null) {
    err(`synscope: ${chartError}`);
    return EXIT_ERROR;
  }
  for (const o of opts.failOn) if (result.seen.has(o)) return EXIT_FAIL_ON;
  return EXIT_OK;
}
