// `synscope live` against tcpdump, both with their defaults, sniffing the same veth end in one run.
// Builds two network namespaces joined by a veth pair (test/helpers/netns.ts: 10.199.0.0/24 only, inside
// them) and fires refused connects from the client end with a small C client (scripts/bench/lib/connect-burst.c,
// compiled here with cc): bursts of 3 000, 30 000 and 100 000 connects as fast as it goes, then paced
// rounds at rising rates to find where losses start. For each: the connects the client saw refused,
// synscope's `refused` verdicts, the refused attempts `synscope read` finds in tcpdump's file, and the CPU
// both used; at the end their peak RSS and the kernel's drop counters. Needs root.
//
//   npm run build && node --import tsx scripts/bench/bench-live.ts [--bursts 3000,30000,100000]
//                                                              [--rates 10000,20000,...] [--seconds 3]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, liveTestsMissing, NetnsPair, SERVER_IP } from '../../test/helpers/netns.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

/** Counts synscope's ndjson verdicts per server port as they arrive. */
class Counter {
  private offset = 0;
  readonly refused = new Map<number, number>();
  update(text: string): void {
    let nl = text.indexOf('\n', this.offset);
    while (nl >= 0) {
      const h = JSON.parse(text.slice(this.offset, nl)) as { server: { port: number }; outcome: string };
      if (h.outcome === 'refused') this.refused.set(h.server.port, (this.refused.get(h.server.port) ?? 0) + 1);
      this.offset = nl + 1;
      nl = text.indexOf('\n', this.offset);
    }
  }
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

function peakRssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Math.round(Number(m[1]) / 1024);
  } catch {
    return 0;
  }
}

interface Round {
  label: string;
  port: number;
  n: number;
  clientRate: number;
  clientRefused: number;
  synscope: number;
  synscopeCpu: number;
  tcpdumpCpu: number;
  tcpdump: number;
}

async function main(): Promise<number> {
  const missing = liveTestsMissing();
  if (missing !== null) {
    process.stderr.write(`bench-live: needs ${missing}\n`);
    return 1;
  }
  const bursts = arg('bursts', '3000,30000,100000').split(',').map(Number);
  const rates = arg('rates', '10000,15000,20000,25000,30000,40000').split(',').map(Number);
  const seconds = Number(arg('seconds', '3'));
  const tmp = mkdtempSync(join(tmpdir(), 'synscope-bench-live-'));
  const client = join(tmp, 'connect-burst');
  const cc = spawnSync('cc', ['-O2', '-o', client, join(import.meta.dirname, 'lib', 'connect-burst.c')], {
    encoding: 'utf8',
  });
  if (cc.status !== 0) {
    process.stderr.write(`bench-live: cannot compile the client: ${cc.stderr}\n`);
    return 1;
  }
  const pair = new NetnsPair('b');
  const rounds: Round[] = [];
  const dump = join(tmp, 'tcpdump.pcap');
  try {
    const tcpdump = pair.spawn(pair.server, 'tcpdump', ['-i', pair.serverIf, '-Z', 'root', '-w', dump]);
    await tcpdump.waitFor('tcpdump to listen', (s) => s.stderr.includes('listening on'), 10_000);
    const live = await pair.startLive(['--format', 'ndjson', '--timeout', '2']);
    const counter = new Counter();
    let port = 9000;
    const plan = [
      ...bursts.map((n) => ({ label: `burst of ${n}`, n, rate: 0 })),
      ...rates.map((r) => ({ label: `${r}/s for ${seconds} s`, n: Math.round(r * seconds), rate: r })),
    ];
    for (const step of plan) {
      port++;
      const cpu0 = [cpuSeconds(live.child.pid), cpuSeconds(tcpdump.child.pid)];
      const r = pair.exec(
        pair.client,
        client,
        [SERVER_IP, String(port), String(step.n), '1000', String(step.rate), '120000'],
        130_000,
      );
      const out = JSON.parse(r.stdout) as { codes: Record<string, number>; rate: number };
      // Every verdict comes within LINGER (0.5 s) plus a block timeout; stop waiting after 3 s of nothing new.
      let last = -1;
      let lastAt = Date.now();
      for (;;) {
        counter.update(live.stdout);
        const got = counter.refused.get(port) ?? 0;
        if (got >= step.n) break;
        if (got !== last) {
          last = got;
          lastAt = Date.now();
        } else if (Date.now() - lastAt > 3000) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      const cpu1 = [cpuSeconds(live.child.pid), cpuSeconds(tcpdump.child.pid)];
      const round: Round = {
        label: step.label,
        port,
        n: step.n,
        clientRate: Math.round(out.rate),
        clientRefused: out.codes['ECONNREFUSED'] ?? 0,
        synscope: counter.refused.get(port) ?? 0,
        synscopeCpu: cpu1[0]! - cpu0[0]!,
        tcpdumpCpu: cpu1[1]! - cpu0[1]!,
        tcpdump: 0,
      };
      rounds.push(round);
      process.stdout.write(
        `${round.label}: client ${round.clientRefused} refused at ${round.clientRate}/s;` +
          ` synscope ${round.synscope} refused verdicts, ` +
          `${round.synscopeCpu.toFixed(2)} s CPU; tcpdump ${round.tcpdumpCpu.toFixed(2)} s CPU\n`,
      );
      await new Promise((res) => setTimeout(res, 500));
    }
    const rss = [peakRssMiB(live.child.pid), peakRssMiB(tcpdump.child.pid)];
    live.child.kill('SIGINT');
    tcpdump.child.kill('SIGINT');
    await Promise.all([live.exited, tcpdump.exited]);
    const ours =
      /synscope: (\d+ received by filter, \d+ dropped by kernel, \d+ dropped by interface)/.exec(live.stderr)?.[1] ??
      '?';
    const theirs = [...tcpdump.stderr.matchAll(/^(\d+ packets? (?:captured|received by filter|dropped by kernel))$/gm)]
      .map((m) => m[1])
      .join(', ');

    // The refused attempts tcpdump's file holds, per port.
    const read = spawnSync(process.execPath, [CLI, 'read', dump, '--format', 'ndjson', '--only', 'refused'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const fromDump = new Counter();
    fromDump.update(read.stdout);
    for (const r of rounds) r.tcpdump = fromDump.refused.get(r.port) ?? 0;

    process.stdout.write(
      '\n| connects | client rate | synscope verdicts | tcpdump (read of its file) | synscope CPU | tcpdump CPU |\n' +
        '| --- | ---: | ---: | ---: | ---: | ---: |\n',
    );
    for (const r of rounds) {
      process.stdout.write(
        `| ${r.label} | ${r.clientRate}/s | ${r.synscope} of ${r.clientRefused} | ${r.tcpdump} of ${r.clientRefused} ` +
          `| ${r.synscopeCpu.toFixed(2)} s | ${r.tcpdumpCpu.toFixed(2)} s |\n`,
      );
    }
    process.stdout.write(`\nsynscope: ${ours}; peak RSS ${rss[0]} MiB\ntcpdump: ${theirs}; peak RSS ${rss[1]} MiB\n`);
    const lossAt = rounds.find((r) => r.synscope < r.clientRefused);
    process.stdout.write(
      lossAt === undefined
        ? 'synscope kept every verdict in every round\n'
        : `synscope's first loss: ${lossAt.label} (${lossAt.synscope} of ${lossAt.clientRefused})\n`,
    );
    const behind = rounds.filter((r) => r.synscope < r.tcpdump);
    return behind.length === 0 ? 0 : 1;
  } finally {
    pair.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench-live: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
