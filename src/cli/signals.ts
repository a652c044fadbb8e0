// How synscope answers signals, the same in `read` and `live`, as tcpdump does:
// - SIGINT, SIGTERM, SIGHUP: the running command stops its input, settles what is open as the end of a
//   capture would, prints its verdicts and summary, finishes the evidence, and the process exits
//   128 + the signal's number (SIGHUP 129, SIGINT 130, SIGTERM 143) unless an error (2) or --fail-on (1)
//   says more. A second one ends the process at once, by the signal's default action. Before a
//   command can stop (parsing the command line), the first one does.
// - SIGUSR1 (and SIGINFO where it exists): one statistics line on stderr. Node opens its inspector on
//   SIGUSR1 by default (a debugger anyone local could attach to a root capture): a listener on
//   SIGUSR1 replaces that handler, which is why this module is the first main.ts loads.
// Commands register what stopping and statistics mean for them; this module does the rest.

import { constants } from 'node:os';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The exit status for a run a signal ended: 128 + its number, as a shell reports a process it killed. */
export function signalStatus(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** The stop signal received first, or null. */
let received: StopSignal | null = null;
let stopper: ((signal: StopSignal) => void) | null = null;
let statistics: (() => string) | null = null;

export function stopSignal(): StopSignal | null {
  return received;
}

/**
 * What a stop signal does while a command runs: `stop` ends its input, after which the command
 * finishes as at the end of a capture. Null: a signal exits at once. Called at once when a signal
 * came before.
 */
export function onStop(stop: ((signal: StopSignal) => void) | null): void {
  stopper = stop;
  if (stop !== null && received !== null) stop(received);
}

/** The statistics line SIGUSR1 / SIGINFO prints (null: none yet). */
export function onStatistics(line: (() => string) | null): void {
  statistics = line;
}

function onStopSignal(signal: StopSignal): void {
  if (received !== null || stopper === null) {
    // A second signal, or nothing to settle yet: at once. The default action itself (the listener goes,
    // the signal comes again), not process.exit(), which waits for libuv's thread pool, where an open
    // or a write on a FIFO may wait for a reader forever. The shell sees 128 + the signal's number.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  received = signal;
  stopper(signal);
}

function onInfoSignal(): void {
  if (statistics === null) return;
  process.stderr.write(`${statistics()}\n`);
}

/** Installs the listeners (never removed: without a listener, libuv leaves SIGUSR1 to kill the process). */
export function installSignals(): void {
  for (const s of STOP_SIGNALS) process.on(s, onStopSignal);
  process.on('SIGUSR1', onInfoSignal);
  // SIGINFO (Ctrl-T) exists on the BSDs and macOS, not on Linux.
  if ('SIGINFO' in constants.signals) process.on('SIGINFO' as NodeJS.Signals, onInfoSignal);
}
