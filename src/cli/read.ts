// `synscope read <captures...>`: options → analysis → report → evidence → exit status.

import { analyzeFiles, runReport, type EvidencePacket } from '../analyze.js';
import type { FrameSource } from '../capture/source.js';
import { UsageError } from '../errors.js';
import { createEvidenceWriter } from '../report/evidence-writer.js';
import { JsonReporter, NdjsonReporter, type ByteSink } from '../report/json.js';
import { LinesReporter } from '../report/lines.js';
import { MarkdownReporter } from '../report/markdown.js';
import type { Reporter, Sink } from '../report/reporter.js';
import { TableReporter } from '../report/table.js';
import { parseOptions, type Format, type RawOptions } from './options.js';
import { EXIT_ERROR, EXIT_FAIL_ON, EXIT_OK, STDIN_TOKEN } from './exit.js';

export function makeReporter(format: Format, out: Sink, color: boolean, bytesOut?: ByteSink): Reporter {
  switch (format) {
    case 'json': return new JsonReporter(out, bytesOut);
    case 'ndjson': return new NdjsonReporter(out, bytesOut);
    case 'lines': return new LinesReporter(out, color);
    case 'markdown': return new MarkdownReporter(out);
    case 'table': return new TableReporter(out, color);
  }
}

/** Evidence packets in capture order: by input, then frame number; a packet listed twice is written once. */
export function evidenceOrder(packets: EvidencePacket[]): EvidencePacket[] {
  packets.sort((a, b) => a.fileIndex - b.fileIndex || a.number - b.number);
  const out: EvidencePacket[] = [];
  for (const p of packets) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.fileIndex === p.fileIndex && prev.number === p.number) continue;
    out.push(p);
  }
  return out;
}

export async function runRead(
  args: RawOptions & { captures?: unknown }, out: { write: Sink; flush(): void; readonly bytes?: ByteSink }, color: boolean,
  err: (line: string) => void,
): Promise<number> {
  const opts = parseOptions(args, { format: 'table' }, color);
  const files = (Array.isArray(args.captures) ? args.captures : [args.captures]).filter((x) => x !== undefined)
    .map((x) => (String(x) === STDIN_TOKEN ? '-' : String(x)));
  if (files.length === 0) throw new UsageError('read: name at least one capture file, or - for stdin');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('read: stdin (-) can be read only once');
  const reporter = makeReporter(opts.format, out.write, color, out.bytes);

  // A progress line on stderr for long reads, only when a person is watching it.
  let current: FrameSource | null = null;
  let timer: NodeJS.Timeout | null = null;
  const showProgress = Boolean(process.stderr.isTTY) && process.env['SYNSCOPE_NO_PROGRESS'] === undefined;
  if (showProgress) {
    timer = setInterval(() => {
      if (current !== null) process.stderr.write(`\r\u001b[K${current.name}: ${current.packets} packets`);
    }, 500);
    timer.unref();
  }
  const result = await analyzeFiles(files, {
    timeout: opts.timeout, only: opts.only, host: opts.host, port: opts.port, keepPackets: opts.evidence !== null,
  }, reporter, (s) => {
    current = s;
    if (s === null && showProgress) process.stderr.write('\r\u001b[K');
  });
  if (timer !== null) clearInterval(timer);

  let evidence: { file: string; packets: number } | null = null;
  let evidenceError: string | null = null;
  if (opts.evidence !== null) {
    const packets = evidenceOrder(result.evidence);
    const linkTypes = [...new Set(packets.map((p) => p.linkType))];
    try {
      const w = await createEvidenceWriter(opts.evidence, linkTypes, result.nanosecond, files.filter((f) => f !== '-'));
      for (const p of packets) {
        w.write({ tsSec: p.tsSec, tsNsec: p.tsNsec, linkType: p.linkType, caplen: p.data.length, origLen: p.origLen, data: p.data, offset: 0 });
      }
      await w.close();
      evidence = { file: opts.evidence, packets: packets.length };
    } catch (e) {
      evidenceError = `--evidence ${opts.evidence}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  // Nothing was read at all (missing file, not a capture): the error line says it all, except
  // in json, which stays one valid object whatever happens.
  const nothingRead = result.errors.length === files.length && result.captures.every((c) => c.packets === 0);
  if (!nothingRead || opts.format === 'json') reporter.finish(runReport(result, opts.timeout, opts.only, evidence));
  out.flush();
  for (const e of result.errors) err(`synscope: ${e.message}`);
  if (evidenceError !== null) err(`synscope: ${evidenceError}`);
  if (result.errors.length > 0 || evidenceError !== null) return EXIT_ERROR;
  for (const o of opts.failOn) if (result.seen.has(o)) return EXIT_FAIL_ON;
  return EXIT_OK;
}
