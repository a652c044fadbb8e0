// The end of input settles every attempt still open at once; handing them out waits, batch by batch,
// while the report's reader falls behind (the read gate), instead of piling the rest of the report up
// in memory, and a stop (a signal) ends that waiting.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFiles } from '../src/analyze.js';
import type { Reporter } from '../src/report/reporter.js';
import { SELECT_ALL } from '../src/track/select.js';
import { buildPcap } from './helpers/capture-files.js';
import { CLIENT4, SERVER4, ethernet, ipv4, tcp } from './helpers/frames.js';

/** Unanswered SYNs from distinct client ports, all within one second: none is settled before the end. */
const ATTEMPTS = 5000;

class Counting implements Reporter {
  listed = 0;
  handshake(): void {
    this.listed++;
  }
  finish(): void {}
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('analyze: the attempts settled at the end of input', function () {
  this.timeout(30_000);
  let dir = '';
  let pcap = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-handout-'));
    pcap = join(dir, 'syns.pcap');
    const records = [];
    for (let i = 0; i < ATTEMPTS; i++) {
      const syn = tcp({ srcPort: 10000 + i, seq: 1000 + i });
      records.push({
        tsSec: 1_700_000_000,
        tsSub: i * 100,
        data: ethernet(0x0800, ipv4(6, syn, { src: CLIENT4, dst: SERVER4 })),
      });
    }
    writeFileSync(pcap, buildPcap(records).bytes);
  });

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the analysis with a gate held shut once anything was listed; resolves when it first waits. */
  function run(
    reporter: Counting,
    signal?: AbortSignal,
  ): { done: Promise<unknown>; waiting: () => boolean; open: () => void } {
    let release: (() => void) | null = null;
    let shut = true;
    const gate = (): Promise<void> | null =>
      shut && reporter.listed > 0 ? new Promise<void>((r) => (release = r)) : null;
    const done = analyzeFiles(
      [pcap],
      { timeout: 3, select: SELECT_ALL, keepPackets: false, only: new Set(['incomplete']), open: { readGate: gate } },
      reporter,
      { signal },
    );
    return {
      done,
      waiting: () => release !== null,
      open: () => {
        shut = false;
        release?.();
      },
    };
  }

  async function untilWaiting(r: { done: Promise<unknown>; waiting: () => boolean }): Promise<void> {
    let finished = false;
    void r.done.then(() => (finished = true));
    for (let i = 0; i < 500 && !r.waiting() && !finished; i++) await sleep(10);
  }

  it('hands them out a batch at a time while the gate is shut, and all once it opens', async () => {
    const reporter = new Counting();
    const r = run(reporter);
    await untilWaiting(r);
    assert.ok(r.waiting(), `the hand-out never waited: ${reporter.listed} of ${ATTEMPTS} listed at once`);
    assert.ok(reporter.listed > 0 && reporter.listed < ATTEMPTS / 2, `${reporter.listed} listed before the wait`);
    r.open();
    const result = (await r.done) as { summary: { totals: { incomplete: number } } };
    assert.equal(reporter.listed, ATTEMPTS);
    assert.equal(result.summary.totals.incomplete, ATTEMPTS);
  });

  it('a stop ends the waiting: the rest goes out at once', async () => {
    const reporter = new Counting();
    const stop = new AbortController();
    const r = run(reporter, stop.signal);
    await untilWaiting(r);
    assert.ok(r.waiting());
    stop.abort();
    await r.done;
    assert.equal(reporter.listed, ATTEMPTS);
  });
});
