// How many connection attempts per second `synscope live` keeps up with, every verdict kept.
// Builds two network namespaces joined by a veth pair (test/helpers/netns.ts: 10.199.0.0/24 only, inside
// them), sniffs the server end with `synscope live --format ndjson`, and sends rounds of connects to a closed
// port from the client end at rising paced rates, then one unpaced burst. A round passes when every attempt
// comes back as a `refused` verdict. Needs root.
//
//   npm run build && node --import tsx scripts/bench-live.ts [--rounds 1000,2000,...] [--seconds 2]

import { readFileSync } from 'node:fs';
import { CONNECT_BURST, liveTestsMissing, NetnsPair, SERVER_IP, type Spawned } from '../test/helpers/netns.js';

interface Round {
  target: number;
  attempts: number;
  sent: number;
  rate: number;
  verdicts: number;
  refused: number;
  lagMs: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

/** Parses the ndjson as it arrives and counts verdicts per server port. */
class Counter {
  private offset = 0;
  readonly byPort = new Map<number, { all: number; refused: number }>();
  update(s: Spawned): void {
    const text = s.stdout;
    let nl = text.indexOf('\n', this.offset);
    while (nl >= 0) {
      const h = JSON.parse(text.slice(this.offset, nl)) as { server: { port: number }; outcome: string };
      let c = this.byPort.get(h.server.port);
      if (c === undefined) {
        c = { all: 0, refused: 0 };
        this.byPort.set(h.server.port, c);
      }
      c.all++;
      if (h.outcome === 'refused') c.refused++;
      this.offset = nl + 1;
      nl = text.indexOf('\n', this.offset);
    }
  }
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Math.round(Number(m[1]) / 1024);
  } catch {
    return 0;
  }
}

async function main(): Promise<number> {
  const missing = liveTestsMissing();
  if (missing !== null) {
    process.stderr.write(`bench-live: needs ${missing}\n`);
    return 1;
  }
  const targets = arg('rounds', '1000,2000,3000,4000,6000,8000,12000,16000').split(',').map(Number);
  const seconds = Number(arg('seconds', '2'));
  const pair = new NetnsPair('b');
  const rounds: Round[] = [];
  let hwm = 0;
  try {
    const live = await pair.startLive(['--format', 'ndjson', '--timeout', '2', '--duration', '900']);
    const counter = new Counter();
    let port = 9000;
    // Paced rounds, then 0 = as fast as the client goes.
    for (const target of [...targets, 0]) {
      port++;
      const n = target > 0 ? Math.min(Math.round(target * seconds), 40_000) : 20_000;
      const out = JSON.parse(await pair.node(pair.client, CONNECT_BURST,
        [SERVER_IP, String(port), String(n), '512', String(target), '120000'], 180_000)) as { codes: Record<string, number>; ms: number; rate: number };
      const sentAt = Date.now();
      let lagMs = -1;
      // Every verdict should be in 2 s (LINGER 0.5 s + printing); give it 10.
      while (Date.now() - sentAt < 10_000) {
        counter.update(live);
        if ((counter.byPort.get(port)?.all ?? 0) >= n) {
          lagMs = Date.now() - sentAt;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      counter.update(live);
      const c = counter.byPort.get(port) ?? { all: 0, refused: 0 };
      hwm = Math.max(hwm, rssMiB(live.child.pid));
      const r: Round = { target, attempts: n, sent: out.codes['ECONNREFUSED'] ?? 0, rate: Math.round(out.rate), verdicts: c.all, refused: c.refused, lagMs };
      rounds.push(r);
      process.stdout.write(`${target > 0 ? `paced ${target}/s` : 'unpaced burst'}: ${n} connects at ${r.rate}/s, `
        + `client saw ${r.sent} ECONNREFUSED; synscope reported ${c.refused} refused of ${c.all} verdicts`
        + `${lagMs >= 0 ? `, the last ${lagMs} ms after the client finished` : ' (missing)'}\n`);
      if (target > 0 && c.refused < n) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    live.child.kill('SIGINT');
    await live.exited;
  } finally {
    pair.cleanup();
  }
  const kept = rounds.filter((r) => r.refused === r.attempts && r.sent === r.attempts);
  const best = kept.reduce((m, r) => Math.max(m, r.rate), 0);
  process.stdout.write(`\nlive mode kept up with ${best} attempts/s (${best * 2} packets/s), every verdict kept; `
    + `synscope's peak RSS ${hwm} MiB\n`);
  return best >= 3000 ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`bench-live: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
