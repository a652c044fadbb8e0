// A report read by a slower program (a pipe to jq, a pager) holds the reading back instead of piling up
// in memory: with its stdout pipe unread, `read` stops reading the capture well before its end (60 000
// attempts, 47 MB: it stands at about half), and goes on, to the complete report, once the pipe is read.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../helpers/cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The read position of `pid`'s descriptor open on `path`, or null when none is (closed, or the process ended). */
function readPosition(pid: number, path: string): number | null {
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target !== path) continue;
      const m = /^pos:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m !== null) return Number(m[1]);
    }
  } catch {
    return null;
  }
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('read with a slow reader of its report', function () {
  this.timeout(60_000);
  let dir = '';
  let pcap = '';

  before(function () {
    if (process.platform !== 'linux') this.skip(); // /proc/PID/fdinfo
    dir = mkdtempSync(join(tmpdir(), 'synscope-slow-'));
    pcap = join(dir, 'synth.pcap');
    const gen = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'scripts/bench/synth.ts'),
        '--out',
        pcap,
        '--attempts',
        '60000',
        '--snaplen',
        '112',
        '--quiet',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(gen.status, 0, gen.stderr);
  });

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('json: the capture is read no further than the unread report allows, then to the end', async () => {
    const size = statSync(pcap).size;
    const child = spawn(process.execPath, [CLI, 'read', pcap, '--format', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pause();
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Wait (at most 15 s) for the capture to be opened, then until its read position stands still for
    // half a second.
    let last = -1;
    let still = 0;
    for (let i = 0; i < 150 && still < 5; i++) {
      await sleep(100);
      const pos = readPosition(child.pid!, pcap);
      if (pos === null) {
        if (last >= 0) break; // closed: read to the end
        continue;
      }
      still = pos === last ? still + 1 : 0;
      last = pos;
    }
    const held = readPosition(child.pid!, pcap);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stdout.resume();
    const code = await exited;
    assert.notEqual(held, null, 'the capture is still open while the report waits for its reader');
    assert.ok(held! < 0.8 * size, `read ${held} of ${size} bytes with the report unread`);
    assert.equal(code, 0);
    const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { summary: { attempts: number } };
    const truth = JSON.parse(readFileSync(`${pcap}.truth.json`, 'utf8')) as { attempts: number };
    assert.equal(doc.summary.attempts, truth.attempts);
  });
});
