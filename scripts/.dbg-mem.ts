import { readFileSync } from 'node:fs';
import { NetnsPair, CONNECT_BURST, SERVER_IP } from '../test/helpers/netns.js';
const pair = new NetnsPair('m');
const rss = (pid: number): string => { const s = readFileSync(`/proc/${pid}/status`, 'utf8'); return `${/VmRSS:\s+(\d+)/.exec(s)![1]}kB hwm ${/VmHWM:\s+(\d+)/.exec(s)![1]}kB`; };
try {
  const live = await pair.startLive(['--format', process.argv[2] ?? 'ndjson', '--timeout', '2', '--duration', '200']);
  let drained = 0;
  live.child.stdout!.on('data', () => { drained++; });
  for (let round = 0; round < 12; round++) {
    const out = await pair.node(pair.client, CONNECT_BURST, [SERVER_IP, String(9000 + (round % 50)), '15000', '256', '3000', '30000'], 40_000);
    live.stdout = ''; // drop what the test process holds
    console.log(round, JSON.parse(out).rate.toFixed(0), 'lines', live.stdoutLines, rss(live.child.pid!));
  }
  live.child.kill('SIGINT');
  await live.exited;
  console.log(live.stderr.slice(-500));
} finally { pair.cleanup(); }
