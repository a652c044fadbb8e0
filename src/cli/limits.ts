// The file descriptors synscope needs, checked before anything loads: Node alone holds ~18 (its
// event loop, its platform threads, stdio), loading the program opens its modules several at a time,
// and `live` holds libpcap's socket; inputs are opened one at a time, so thousands of capture files
// need no more. Below the minimum, Node fails while loading modules (EMFILE, a stack trace) or,
// below 18, crashes before any JavaScript runs.
// Loads nothing but node:fs.

import { readFileSync } from 'node:fs';

/** The least RLIMIT_NOFILE synscope starts with: every command, `read` and `live` work at it. */
export const MIN_FILE_DESCRIPTORS = 64;

/** The soft limit on open files (`ulimit -n`), from /proc/self/limits; null where that cannot be read. */
export function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    if (m === null || m[1] === 'unlimited') return null;
    return Number(m[1]);
  } catch {
    return null;
  }
}

/** The one line for a limit below MIN_FILE_DESCRIPTORS, or null when it is enough (or unknown). */
export function tooFewFiles(limit: number | null): string | null {
  if (limit === null || limit >= MIN_FILE_DESCRIPTORS) return null;
  return (
    `too few file descriptors: ulimit -n is ${limit}, synscope needs at least ${MIN_FILE_DESCRIPTORS} ` +
    '(raise it: ulimit -n 1024)'
  );
}

/** The one line for an EMFILE that happened all the same (something else holds descriptors), or null. */
export function tooManyFiles(e: unknown): string | null {
  if (typeof e !== 'object' || e === null || !('code' in e) || (e as { code: unknown }).code !== 'EMFILE') return null;
  const limit = openFilesLimit();
  return `too many open files (ulimit -n is ${limit ?? 'unknown'}; raise it: ulimit -n 1024)`;
}
