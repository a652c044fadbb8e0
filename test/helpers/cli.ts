// Runs the built CLI (dist/cli/main.js) as a user would, capturing stdout, stderr and the exit status.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const CAPTURES = join(ROOT, 'captures');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function synscope(
  args: readonly string[],
  input?: Buffer,
  env: Readonly<Record<string, string>> = {},
): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
    // The table's width is pinned (COLUMNS, as on a terminal of 80 columns) unless a test asks for another.
    env: { ...process.env, NO_COLOR: '1', COLUMNS: '80', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
