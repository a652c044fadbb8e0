#!/usr/bin/env node
// The command's entry. Before the program loads: the signal listeners (SIGUSR1 must never reach
// Node's inspector, which it opens by default) and the file-descriptor limit (limits.ts); then run.ts.
// Nothing but signals.ts and limits.ts is imported here, so that a low limit is told in one line.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openFilesLimit, tooFewFiles } from './limits.js';
import { installSignals } from './signals.js';

function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  installSignals();
  const problem = tooFewFiles(openFilesLimit());
  if (problem !== null) {
    process.stderr.write(`synscope: ${problem}\n`);
    process.exit(2);
  }
  const { start } = await import('./run.js');
  start(process.argv.slice(2));
}
