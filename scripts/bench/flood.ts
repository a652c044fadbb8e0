// Generates a flood capture — a SYN flood from spoofed sources and a port scan answered by
// resets, millions of distinct attempts — and checks that synscope reads it in bounded memory
// and counts every attempt.
//
//   npm run build && node --import tsx scripts/bench/flood.ts [--attempts 3000000] [--rate 50000] [--out FILE]
//                                                            [--regenerate]
//
// Half the attempts are a SYN flood to 198.18.0.9:80 (single SYNs, never answered: dropped), half
// a port scan of 198.18.0.10 from one client (each SYN answered by RST+ACK: refused). Raw IPv4
// link type, 40-byte packets. Prints synscope's summary, its tracker line and its peak RSS.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PcapFileWriter } from '../../src/capture/pcap-writer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LINKTYPE_RAW = 101;
const { values } = parseArgs({
  options: {
    attempts: { type: 'string', default: '3000000' },
    rate: { type: 'string', default: '50000' },
    out: { type: 'string', default: '/tmp/synscope-bench/flood.pcap' },
    regenerate: { type: 'boolean', default: false },
  },
});
const attempts = Number(values.attempts);
const rate = Number(values.rate);
const out = values.out;

/** IPv4 + TCP header (no options) into `b`; checksums left 0 (never checked). */
function packet(
  b: Buffer,
  src: number,
  dst: number,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
): number {
  b.fill(0, 0, 40);
  b[0] = 0x45;
  b.writeUInt16BE(40, 2);
  b[6] = 0x40; // DF
  b[8] = 64;
  b[9] = 6;
  b.writeUInt32BE(src >>> 0, 12);
  b.writeUInt32BE(dst >>> 0, 16);
  b.writeUInt16BE(sport, 20);
  b.writeUInt16BE(dport, 22);
  b.writeUInt32BE(seq >>> 0, 24);
  b.writeUInt32BE(ack >>> 0, 28);
  b[32] = 0x50;
  b[33] = flags;
  b.writeUInt16BE(64240, 34);
  return 40;
}

if (!existsSync(out) || values.regenerate === true) {
  const w = new PcapFileWriter(out, 262144, LINKTYPE_RAW);
  const b = Buffer.alloc(64);
  const server1 = (198 << 24) | (18 << 16) | 9;
  const server2 = (198 << 24) | (18 << 16) | 10;
  const scanner = (198 << 24) | (19 << 16) | 5;
  const t0 = 1_764_000_000;
  let x = 12345;
  for (let i = 0; i < attempts; i++) {
    const t = i / rate;
    const sec = t0 + Math.floor(t);
    const usec = Math.floor((t % 1) * 1e6);
    x = (x * 1103515245 + 12345) >>> 0;
    if (i % 2 === 0) {
      // SYN flood: a new spoofed source each time (198.19.0.0/16, then the next source port), never answered.
      const k = i >> 1;
      const src = (198 << 24) | (19 << 16) | (k & 0xffff);
      w.write(sec, usec, b, packet(b, src, server1, 1024 + ((k >>> 16) & 0xffff), 80, x, 0, 0x02));
    } else {
      // Port scan: every port of one target, answered by RST+ACK (ack = ISN + 1).
      const port = 1 + ((i >> 1) % 65535);
      const sport = 40000 + ((((i >> 1) / 65535) | 0) % 20000);
      w.write(sec, usec, b, packet(b, scanner, server2, sport, port, x, 0, 0x02));
      w.write(sec, usec + 1 > 999999 ? usec : usec + 1, b, packet(b, server2, scanner, port, sport, 0, x + 1, 0x14));
    }
  }
  // Keep the capture going past --timeout so the last SYNs count as dropped.
  w.write(t0 + Math.ceil(attempts / rate) + 5, 0, b, packet(b, server1, server1, 9, 9, 0, 0, 0x10));
  w.close();
  process.stdout.write(`wrote ${out}: ${w.packets} packets, ${(w.bytes / 1e6).toFixed(0)} MB\n`);
}

const main = join(ROOT, 'dist', 'cli', 'main.js');
const r = spawnSync(
  '/usr/bin/time',
  ['-f', '%e %M', process.execPath, main, 'read', out, '--format', 'json', '--only', 'aborted'],
  {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  },
);
if (r.status !== 0) {
  process.stderr.write(r.stderr);
  process.exit(1);
}
const [secs, kb] = r.stderr.trim().split('\n').pop()!.split(' ');
const report = JSON.parse(r.stdout) as {
  summary: Record<string, number>;
  tracker: { evicted: number };
  services: { server: { ip: string; port: number | null }; ports?: number; attempts: number }[];
};
process.stdout.write(
  `synscope read ${out} --format json --only aborted: ${secs} s, peak RSS ${(Number(kb) / 1024).toFixed(1)} MB\n`,
);
process.stdout.write(`summary ${JSON.stringify(report.summary)}\n`);
process.stdout.write(`evicted ${report.tracker.evicted}; services ${JSON.stringify(report.services)}\n`);
const ok = report.summary['attempts'] === attempts;
process.stdout.write(
  ok
    ? `every one of the ${attempts} attempts counted\n`
    : `MISMATCH: ${report.summary['attempts']} attempts counted, ${attempts} generated\n`,
);
process.exitCode = ok ? 0 : 1;
