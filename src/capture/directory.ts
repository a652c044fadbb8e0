// `read DIR`: the capture files in a directory (a rotated set, a ring buffer), recognised by their
// magic bytes as open.ts recognises them; other files (notes, checksums, .expected.json) are left
// out. Their order does not matter: merge.ts orders the files by their first packet.

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { looksLikeCapture } from './open.js';

/** True when `path` names a directory (false for anything else, or when it cannot be looked at). */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The regular files in `dir` (not its subdirectories) that start like a capture, by name. */
export function captureFilesIn(dir: string): string[] {
  const head = Buffer.alloc(4);
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    let fd = -1;
    try {
      if (!statSync(path).isFile()) continue;
      fd = openSync(path, 'r');
      const n = readSync(fd, head, 0, 4, 0);
      if (looksLikeCapture(head.subarray(0, n))) out.push(path);
    } catch {
      // unreadable: not one of the captures
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
  return out;
}
