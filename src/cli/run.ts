// The process boundary: parses the command line (yargs), runs a command, and is the only place
// that writes to stderr, sets the exit status, or turns an error into one line. main.ts starts it.

import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type { Argv } from 'yargs';
import { OutputError, SynscopeError, UsageError } from '../errors.js';
import { EXIT_ERROR, EXIT_OK, STDIN_TOKEN } from './exit.js';
import { EPILOGUE, EXAMPLES, USAGE, helpWidth } from './help.js';
import { StdoutSink } from './sink.js';
import { signalStatus, stopSignal } from './signals.js';
import { tooManyFiles } from './limits.js';

/** Adds a command's examples (help.ts) to its help. */
/**
 * A command's examples (help.ts) and the epilogue. Types stay hidden ("[string]" on every line says
 * nothing, and yargs glues it to a description that fills the line): defaults are in the words.
 */
function examples<T>(y: Argv<T>, command: string): Argv<T> {
  for (const [cmd, what] of EXAMPLES[command] ?? []) y.example(cmd, what);
  (y as unknown as { usageConfiguration(c: { 'hide-types': boolean }): unknown }).usageConfiguration({
    'hide-types': true,
  });
  return y.epilogue(EPILOGUE);
}

function analysisOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('format', {
      alias: 'f',
      type: 'string',
      describe: 'table | lines | json | ndjson | markdown; default table for read, lines for live',
    })
    .option('timeout', {
      type: 'string',
      describe: 'seconds a SYN (or SYN/ACK) may wait for an answer before it counts as dropped (timed-out); default 3',
      default: '3',
    })
    .option('only', {
      type: 'string',
      describe:
        'outcomes to list, comma-separated, or all; ' +
        'reset: connections reset after the handshake (the summary counts all)',
    })
    .option('host', {
      type: 'string',
      describe:
        'keep only attempts with an address in one of these on either side: ' +
        '10.0.0.9, [fd77::2], 10.0.0.0/8 (comma-separated or repeated)',
    })
    .option('port', {
      type: 'string',
      describe: 'keep only attempts with one of these ports on either side: 443 or 80,443,8000-8100',
    })
    .option('since', {
      type: 'string',
      describe:
        'keep only attempts that started at or after this time: ' +
        '2026-11-25T12:22:00Z, 12:22 (UTC, on the day of the first packet) or +30s (after the first packet)',
    })
    .option('until', { type: 'string', describe: 'keep only attempts that started before this time (the same forms)' })
    .option('vxlan-port', {
      type: 'string',
      describe: 'also decode UDP to this port as VXLAN (besides 4789 and 8472); comma-separated or repeated',
    })
    .option('evidence', { type: 'string', describe: 'write every packet of the listed handshakes to this pcap' })
    .option('chart', {
      type: 'string',
      describe: 'write an SVG timeline: attempts per second (or wider buckets) by outcome for the failing services',
    })
    .option('fail-on', { type: 'string', describe: 'exit 1 when an attempt had one of these outcomes (or reset)' });
}

/** The report's sink (null before main() runs) and whether the run goes on once nobody reads it. */
let report: StdoutSink | null = null;
let outlivesStdout = false;

/**
 * `synscope read x | head`: the reader went away. With nothing else to do, the run ends quietly (0), as
 * tcpdump's does; with --fail-on or --evidence it goes on without a report, so that the exit status
 * still says whether an outcome matched and the evidence file is complete.
 */
function stdoutGone(): void {
  if (!outlivesStdout) process.exit(EXIT_OK);
  report?.close();
}

/** stdout failed (a full disk, an I/O error): one line, and the error status. */
function stdoutFailed(message: string): never {
  process.stderr.write(`synscope: ${new OutputError(message).message}\n`);
  process.exit(EXIT_ERROR);
}

export async function main(argv: readonly string[]): Promise<number> {
  const out = new StdoutSink();
  report = out;
  const color = Boolean(process.stdout.isTTY) && process.env['NO_COLOR'] === undefined;
  let status = EXIT_OK;
  // yargs' CommonJS build: its help wraps at word boundaries (wrap-ansi), where the ES module build
  // cuts words in two at the wrap width ("co" / "unts").
  const yargs = createRequire(import.meta.url)('yargs') as typeof import('yargs').default;
  const parser = examples(yargs(argv.map((a) => (a === '-' ? STDIN_TOKEN : a))), '')
    .scriptName('synscope')
    .usage(USAGE)
    .command('read [captures..]', 'analyse capture files (pcap, pcapng, gzip); "-" reads stdin', (y) =>
      examples(
        analysisOptions(
          y.positional('captures', { type: 'string', array: true, describe: 'capture files, or - for stdin' }),
        ),
        'read',
      ),
    )
    .command(
      'live',
      'sniff an interface through libpcap; print each verdict as it happens, a summary at the end',
      (y) =>
        examples(analysisOptions(y), 'live')
          .option('interface', {
            alias: 'i',
            type: 'string',
            describe: 'interface to capture on (synscope interfaces lists them; any for all)',
          })
          .option('filter', {
            type: 'string',
            describe: 'pcap-filter expression (default: tcp or icmp or icmp6, and the same inside VLAN tags)',
          })
          .option('count', { alias: 'c', type: 'string', describe: 'stop after this many packets' })
          .option('duration', { type: 'string', describe: 'stop after this many seconds' })
          .option('interval', { type: 'string', describe: 'print a progress line on stderr every this many seconds' })
          .option('buffer-size', {
            type: 'string',
            describe: 'libpcap kernel ring in MiB (default 32: ~160 000 handshake packets)',
          })
          .option('snaplen', {
            type: 'string',
            describe: 'bytes kept of each packet (default 256: every header synscope reads)',
          }),
    )
    .command('interfaces', 'list the capture interfaces with their addresses', (y) =>
      examples(
        y.option('format', { alias: 'f', type: 'string', describe: 'text | json; default text', default: 'text' }),
        'interfaces',
      ),
    )
    .demandCommand(1, 'name a command: read, live or interfaces')
    .strict()
    .help()
    .version()
    .wrap(helpWidth(process.stdout.columns))
    .exitProcess(false)
    .fail((msg: string | undefined, err: Error | undefined) => {
      throw err ?? new UsageError(msg ?? 'bad usage');
    });
  if (argv.length === 0) {
    // Bare `synscope`: the whole usage (bad usage all the same: stderr, status 2).
    parser.showHelp((text: string) => process.stderr.write(`${text}\n`));
    return EXIT_ERROR;
  }
  try {
    const args = await parser.parseAsync();
    const cmd = String(args._[0] ?? '');
    if (args['help'] === true || args['version'] === true) return EXIT_OK;
    outlivesStdout = args['fail-on'] !== undefined || args['evidence'] !== undefined;
    if (cmd === 'read') {
      const output = {
        write: out.write,
        bytes: out.bytes,
        flush: () => out.flush(),
        drained: () => out.drained(),
        backlog: () => out.backlog(),
        gone: stdoutGone,
        failed: stdoutFailed,
        toStderr: () => out.toStderr(),
      };
      const { runRead } = await import('./read.js');
      status = await runRead(args, output, color, (line) => process.stderr.write(`${line}\n`));
    } else if (cmd === 'live') {
      const { runLive } = await import('./live.js');
      status = await runLive(args, out, color, (line) => process.stderr.write(`${line}\n`));
    } else if (cmd === 'interfaces') {
      const { runInterfaces } = await import('./interfaces.js');
      status = runInterfaces(args, out, (line) => process.stderr.write(`${line}\n`));
    }
  } catch (e) {
    out.flush();
    if (e instanceof SynscopeError) {
      process.stderr.write(`synscope: ${e.message}\n`);
      return EXIT_ERROR;
    }
    const limit = tooManyFiles(e);
    if (limit !== null) {
      process.stderr.write(`synscope: ${limit}\n`);
      return EXIT_ERROR;
    }
    throw e;
  }
  out.flush();
  return status;
}

/** Runs the command line `argv` in this process (main.ts has installed the signal listeners). */
export function start(argv: readonly string[]): void {
  // V8 "pretenures" an allocation site (allocates its objects straight in the old generation) once
  // most of its objects survived a few young collections. Early in a read, the tracker's objects do;
  // the sites then keep filling the old generation with short-lived records until a full collection.
  // Measured on the 320 000-attempt benchmark (read, table format): 135-143 MB promoted and a peak
  // RSS of 216 MB with it, 33-36 MB promoted and 136 MB without, and no slower.
  // Only a heuristic is switched off; nothing else about the heap changes. (Should a later V8 drop
  // the flag, it prints "unrecognized flag" on stderr and goes on: stdout stays clean.)
  setFlagsFromString('--no-allocation-site-pretenuring');
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') stdoutGone();
    else stdoutFailed(e.message);
  });
  main(argv).then(
    async (code) => {
      const signal = stopSignal();
      if (signal === null) {
        process.exitCode = code;
        return;
      }
      // Ended by a signal: the report is out; a read left waiting on a FIFO or stdin must not hold the
      // process. An error (2) or --fail-on (1) says more than the signal does.
      await report?.drained();
      process.exit(code === EXIT_OK ? signalStatus(signal) : code);
    },
    (e: unknown) => {
      const limit = tooManyFiles(e);
      if (limit !== null) {
        process.stderr.write(`synscope: ${limit}\n`);
        process.exitCode = EXIT_ERROR;
        return;
      }
      // A bug, not an input problem: keep the stack trace.
      process.stderr.write(`synscope: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
