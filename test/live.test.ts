// `synscope live` end to end: the built CLI sniffs one end of a veth pair between two network namespaces
// while real clients connect from the other end. Needs root; fails instead of skipping under
// SYNSCOPE_REQUIRE_LIVE_TESTS=1. Traffic: only 10.199.0.0/24 and fd99:199::/64 inside those namespaces.

import { openCapture } from '../src/capture/open.js';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPTURES, synscope } from './helpers/cli.js';
import {
  CLI,
  CLIENT_IP,
  CONNECT_BURST,
  CONNECT_ONCE,
  LISTEN,
  NetnsPair,
  requireLive,
  SERVER_IP,
  SERVER_IP6,
  type Spawned,
  type LiveHandshake as Handshake,
} from './helpers/netns.js';

const LISTENING = 8080;
const CLOSED = 8081;
const REJECTED = 8082;
const DROPPED = 8083;
const COUNTED = 8084;
const HOLDING = 8085;
const BURST = 9000;
const BURST30K = 9001;
const STARVED = 9002;
const STAMPED = 8086;

/** Every stdout line parsed as a handshake (throws on any line that is not JSON: ndjson stays pure). */
function ndjson(stdout: string): Handshake[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Handshake);
}

async function stop(s: Spawned, signal: NodeJS.Signals = 'SIGINT'): Promise<number | string> {
  s.child.kill(signal);
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
  const code = await s.exited;
  clearTimeout(timer);
  return code;
}

describe('synscope live (veth between two network namespaces)', function () {
  this.timeout(120_000);
  let ns: NetnsPair | null = null;
  let tmp = '';

  before(async function () {
    requireLive(this);
    tmp = mkdtempSync(join(tmpdir(), 'synscope-live-'));
    const pair = new NetnsPair();
    ns = pair;
    for (const ipt of ['iptables', 'ip6tables']) {
      pair.must(pair.server, ipt, ['-A', 'INPUT', '-p', 'tcp', '--dport', String(REJECTED), '-j', 'REJECT']);
      pair.must(pair.server, ipt, ['-A', 'INPUT', '-p', 'tcp', '--dport', String(DROPPED), '-j', 'DROP']);
    }
    const listener = pair.spawn(pair.server, process.execPath, ['-e', LISTEN, '::', String(LISTENING)]);
    await listener.waitFor('the listener', (s) => s.stdout.includes('ready'), 10_000);
  });

  after(() => {
    ns?.cleanup();
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('reports established, refused, rejected, dropped over IPv4 and IPv6 as they happen, with the errno', async () => {
    const pair = ns!;
    const evidence = join(tmp, 'evidence.pcap');
    const live = await pair.startLive([
      '--format',
      'ndjson',
      '--timeout',
      '2',
      '--duration',
      '60',
      '--evidence',
      evidence,
    ]);
    const cases = [
      { ip: SERVER_IP, port: LISTENING, outcome: 'established', errno: null, client: 'OK' },
      { ip: SERVER_IP, port: CLOSED, outcome: 'refused', errno: 'ECONNREFUSED', client: 'ECONNREFUSED' },
      { ip: SERVER_IP, port: REJECTED, outcome: 'rejected', errno: 'ECONNREFUSED', client: 'ECONNREFUSED' },
      { ip: SERVER_IP, port: DROPPED, outcome: 'dropped', errno: 'ETIMEDOUT', client: 'ETIMEDOUT' },
      { ip: SERVER_IP6, port: LISTENING, outcome: 'established', errno: null, client: 'OK' },
      { ip: SERVER_IP6, port: CLOSED, outcome: 'refused', errno: 'ECONNREFUSED', client: 'ECONNREFUSED' },
      { ip: SERVER_IP6, port: REJECTED, outcome: 'rejected', errno: 'ECONNREFUSED', client: 'ECONNREFUSED' },
      { ip: SERVER_IP6, port: DROPPED, outcome: 'dropped', errno: 'ETIMEDOUT', client: 'ETIMEDOUT' },
    ];
    // All at once; the dropped ones give up after tcp_syn_retries=1 (SYNs at 0 s and 1 s, ETIMEDOUT at 3 s).
    const clients = (
      await Promise.all(cases.map((c) => pair.node(pair.client, CONNECT_ONCE, [c.ip, String(c.port), '8000'], 15_000)))
    ).map((out) => JSON.parse(out) as { code: string; ms: number });
    clients.forEach((out, i) => {
      assert.equal(out.code, cases[i]!.client, `client of ${cases[i]!.ip} port ${cases[i]!.port}`);
    });
    // The verdicts come while synscope is still running: --timeout 2 after the last SYN for the dropped ones.
    await live.waitFor('all eight verdicts', (s) => s.stdoutLines >= cases.length, 15_000);
    assert.equal(await stop(live), 130, live.stderr);

    const got = ndjson(live.stdout);
    cases.forEach((c, i) => {
      const h = got.filter((x) => x.server.ip === c.ip && x.server.port === c.port);
      assert.ok(h.length >= 1, `an attempt to ${c.ip} port ${c.port}: ${live.stdout}`);
      // One client connect, one attempt. (Linux takes an ICMP error that arrives while connect() still
      // holds the socket lock as a soft error and retransmits the SYN 1 s later; that retransmission
      // joins the attempt already reported, it never starts another.)
      assert.equal(h.length, 1, `one attempt to ${c.ip} port ${c.port}: ${live.stdout}`);
      const v = h[0]!;
      for (const x of h) assert.equal(x.outcome, c.outcome, `${c.ip} port ${c.port}`);
      assert.equal(v.errno, c.errno, `${c.ip} port ${c.port}`);
      if (c.outcome === 'refused') assert.equal(v.answer?.kind, 'rst');
      if (c.outcome === 'rejected') {
        assert.equal(v.answer?.kind, 'icmp');
        assert.equal(v.answer?.from, c.ip);
        // iptables REJECT's default: icmp-port-unreachable (3/3), icmp6-port-unreachable (1/4).
        assert.deepEqual([v.answer?.icmpType, v.answer?.icmpCode], c.ip === SERVER_IP ? [3, 3] : [1, 4]);
        // The syns the client really sent: Linux takes the ICMP error answering the first SYN as soft
        // while connect() holds the socket, retransmits 1 s later and fails on the second error.
        const clientMs = clients[i]!.ms;
        assert.equal(
          v.synCount,
          clientMs > 500 ? 2 : 1,
          `synCount of ${c.ip} port ${c.port}, the client failed after ${clientMs} ms`,
        );
        // The error that ended connect() came before the client saw it, and after the retransmission (RTO 1 s)
        // when there was one.
        const afterMs = (v.answer as { afterMs?: number }).afterMs!;
        assert.ok(
          afterMs <= clientMs + 1 && (v.synCount === 1 || afterMs >= 900),
          `afterMs ${JSON.stringify(v.answer)} vs the client's ${clientMs} ms`,
        );
      }
      if (c.outcome === 'dropped') {
        assert.equal(v.answer, null);
        // tcp_syn_retries=1 in the client: the SYN and one retransmission, or two when the 3 s budget is not
        // quite spent.
        assert.ok(v.synCount >= 2 && v.synCount <= 3, `synCount ${v.synCount}`);
      }
    });
    assert.match(
      live.stderr,
      new RegExp(
        /listening on \w+, link-type ETHERNET, snapshot length 256 bytes, /.source +
          /filter "tcp or icmp or icmp6 or udp dst port 4789 or 8472 or 6081 or 4754 or .* or \(vlan/.source,
      ),
    );

    // The evidence capture holds exactly the packets of the listed handshakes, and reads back the same.
    const frames = new Set(got.flatMap((h) => h.frames));
    const back = synscope(['read', evidence, '--format', 'json', '--timeout', '0.5']);
    assert.equal(back.status, 0, back.stderr);
    const doc = JSON.parse(back.stdout) as {
      captures: { packets: number; linkTypes: string[] }[];
      handshakes: Handshake[];
    };
    assert.equal(doc.captures[0]!.packets, frames.size);
    assert.deepEqual(doc.captures[0]!.linkTypes, ['ETHERNET']);
    // In capture order, although the dropped attempt was reported seconds after later ones.
    const times: number[] = [];
    await (
      await openCapture(evidence)
    ).run((f) => {
      times.push(f.tsSec * 1e9 + f.tsNsec);
    });
    assert.deepEqual(
      times,
      [...times].sort((x, y) => x - y),
      'evidence packets in capture order',
    );
    for (const c of cases.filter((x) => x.outcome !== 'dropped')) {
      const h = doc.handshakes.filter((x) => x.server.ip === c.ip && x.server.port === c.port);
      assert.ok(h.length >= 1 && h.every((x) => x.outcome === c.outcome), `evidence: ${c.ip} port ${c.port}`);
      // read of the evidence agrees with live, down to the SYNs of a rejected attempt.
      const v = got.find((x) => x.server.ip === c.ip && x.server.port === c.port)!;
      assert.deepEqual(
        [h[0]!.errno, h[0]!.synCount, h[0]!.answer?.kind],
        [v.errno, v.synCount, v.answer?.kind],
        `evidence: ${c.ip} port ${c.port}`,
      );
    }
  });

  it('keeps up with a burst: 3000 connects to a closed port in 2 s, every one reported refused', async () => {
    const pair = ns!;
    const n = 3000;
    const live = await pair.startLive([
      '--format',
      'ndjson',
      '--timeout',
      '2',
      '--duration',
      '60',
      '--port',
      String(BURST),
    ]);
    // 1500 connects/s for 2 s (scripts/bench/bench-live.ts finds the ceiling).
    const out = JSON.parse(
      await pair.node(pair.client, CONNECT_BURST, [SERVER_IP, String(BURST), String(n), '64', '1500', '30000'], 40_000),
    ) as {
      codes: Record<string, number>;
      ms: number;
    };
    assert.deepEqual(out.codes, { ECONNREFUSED: n });
    await live.waitFor(`${n} verdicts`, (s) => s.stdoutLines >= n, 20_000);
    assert.equal(await stop(live, 'SIGTERM'), 143, live.stderr);
    const got = ndjson(live.stdout);
    assert.equal(got.length, n);
    assert.equal(
      got.filter((h) => h.outcome === 'refused' && h.errno === 'ECONNREFUSED' && h.server.port === BURST).length,
      n,
    );
  });

  it('a burst of 30 000 connects with the default options: every one reported, nothing dropped', async () => {
    const pair = ns!;
    const n = 30_000;
    const live = await pair.startLive([
      '--format',
      'ndjson',
      '--timeout',
      '2',
      '--duration',
      '90',
      '--port',
      String(BURST30K),
    ]);
    // As fast as the client goes (scripts/bench/bench-live.ts measures the rate).
    const out = JSON.parse(
      await pair.node(
        pair.client,
        CONNECT_BURST,
        [SERVER_IP, String(BURST30K), String(n), '1000', '0', '60000'],
        70_000,
      ),
    ) as {
      codes: Record<string, number>;
      rate: number;
    };
    assert.deepEqual(out.codes, { ECONNREFUSED: n });
    await live.waitFor(`${n} verdicts`, (s) => s.stdoutLines >= n, 20_000);
    assert.equal(await stop(live, 'SIGTERM'), 143, live.stderr);
    const got = ndjson(live.stdout);
    assert.equal(
      got.filter((h) => h.outcome === 'refused' && h.errno === 'ECONNREFUSED' && h.synCount === 1).length,
      n,
    );
    const stats = /^synscope: (\d+) received by filter, (\d+) dropped by kernel, (\d+) dropped by interface$/m.exec(
      live.stderr,
    );
    assert.ok(stats !== null, live.stderr);
    assert.ok(Number(stats[1]) >= 2 * n, live.stderr);
    assert.deepEqual([stats[2], stats[3]], ['0', '0'], live.stderr);
    assert.doesNotMatch(live.stderr, /warning/);
  });

  it('a starved ring (--buffer-size 1, stopped in a burst): the drops counted, the verdicts said unsafe', async () => {
    const pair = ns!;
    const n = 5000;
    const live = await pair.startLive([
      '--format',
      'json',
      '--timeout',
      '1',
      '--buffer-size',
      '1',
      '--port',
      String(STARVED),
    ]);
    const pid = live.child.pid!;
    // While synscope is stopped, the kernel fills the 1 MiB ring (four 256 KiB blocks) and drops the rest.
    process.kill(pid, 'SIGSTOP');
    let out: { codes: Record<string, number> };
    try {
      out = JSON.parse(
        await pair.node(
          pair.client,
          CONNECT_BURST,
          [SERVER_IP, String(STARVED), String(n), '500', '0', '30000'],
          40_000,
        ),
      ) as typeof out;
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    assert.deepEqual(out.codes, { ECONNREFUSED: n });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await stop(live), 130, live.stderr);
    const doc = JSON.parse(live.stdout) as {
      captures: { packets: number; received: number; droppedByKernel: number; droppedByInterface: number }[];
      summary: Record<string, number>;
    };
    const c = doc.captures[0]!;
    assert.ok(c.droppedByKernel > 0, JSON.stringify(c));
    // Every packet the filter passed was either read or dropped for want of room.
    assert.equal(c.received, c.packets + c.droppedByKernel, JSON.stringify(c));
    assert.ok(c.packets < 2 * n, JSON.stringify(c));
    assert.match(
      live.stderr,
      new RegExp(
        `^synscope: ${c.received} received by filter, ${c.droppedByKernel} dropped by kernel, 0 dropped by interface$`,
        'm',
      ),
    );
    assert.match(
      live.stderr,
      new RegExp(
        /^synscope: warning: \d+ packets were lost before synscope could read them /.source +
          /\(kernel ring full: raise --buffer-size\): verdicts may be missing, .*a lost RST .* look dropped/.source,
        'm',
      ),
    );
  });

  it("stamps packets with the kernel's timestamps, as tcpdump on the same interface does (within 10 µs)", async () => {
    const pair = ns!;
    const evidence = join(tmp, 'stamps.pcap');
    const dump = join(tmp, 'stamps-tcpdump.pcap');
    // Immediate mode: tcpdump stopped by a signal does not read the block libpcap has not handed over yet.
    const tcpdump = pair.spawn(pair.server, 'tcpdump', [
      '-i',
      pair.serverIf,
      '-U',
      '--immediate-mode',
      '--time-stamp-precision',
      'nano',
      '-w',
      dump,
      `tcp port ${STAMPED}`,
    ]);
    await tcpdump.waitFor('tcpdump to listen', (s) => s.stderr.includes('listening on'), 10_000);
    const live = await pair.startLive(['--format', 'ndjson', '--evidence', evidence, '--port', String(STAMPED)]);
    for (let i = 0; i < 3; i++) await pair.node(pair.client, CONNECT_ONCE, [SERVER_IP, String(STAMPED), '5000']);
    await live.waitFor('3 verdicts', (s) => s.stdoutLines >= 3, 10_000);
    assert.equal(await stop(live), 130, live.stderr);
    await new Promise((r) => setTimeout(r, 200));
    await stop(tcpdump);
    const stamps = async (file: string): Promise<Map<string, number>> => {
      const m = new Map<string, number>();
      await (
        await openCapture(file)
      ).run((f) => {
        m.set(f.data.subarray(f.offset, f.offset + Math.min(f.caplen, 74)).toString('hex'), f.tsSec * 1e9 + f.tsNsec);
      });
      return m;
    };
    const ours = await stamps(evidence);
    const theirs = await stamps(dump);
    assert.equal(ours.size, 6);
    for (const [bytes, t] of ours) {
      const u = theirs.get(bytes);
      assert.ok(u !== undefined, `tcpdump has the packet ${bytes}`);
      assert.ok(Math.abs(t - u) <= 10_000, `${t} vs tcpdump's ${u}`);
    }
  });

  it('stops by itself after --count packets, printing lines and the summary', async () => {
    const pair = ns!;
    const live = await pair.startLive(['--count', '4', '--filter', `tcp port ${COUNTED}`]);
    for (let i = 0; i < 2; i++) {
      const r = JSON.parse(await pair.node(pair.client, CONNECT_ONCE, [SERVER_IP, String(COUNTED), '5000'])) as {
        code: string;
      };
      assert.equal(r.code, 'ECONNREFUSED');
    }
    const timer = setTimeout(() => live.child.kill('SIGKILL'), 10_000);
    const code = await live.exited;
    clearTimeout(timer);
    assert.equal(code, 0, live.stderr);
    const lines = live.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4, live.stdout);
    for (const l of lines.slice(0, 2)) {
      assert.match(
        l,
        new RegExp(
          `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${CLIENT_IP.replace(/\./g, '\\.')}\\.\\d+ > ` +
            `${SERVER_IP.replace(/\./g, '\\.')}\\.${COUNTED}: refused ECONNREFUSED, ` +
            `rst from ${SERVER_IP.replace(/\./g, '\\.')} after [\\d.]+ ms, syns 1, frames \\d+,\\d+$`,
        ),
      );
    }
    assert.equal(lines[2], `# 2 of 2 attempts failed: ${SERVER_IP}:${COUNTED} refused 2`);
    assert.equal(
      lines[3],
      `# 2 attempts: 2 refused (4 packets, 1 capture); ${pair.serverIf}: ` +
        '4 received by filter, 0 dropped by kernel, 0 dropped by interface',
    );
  });

  it('stops after --duration with an empty summary when nothing happened', async () => {
    const pair = ns!;
    const t0 = Date.now();
    const live = await pair.startLive(['--duration', '1', '--filter', 'tcp port 1']);
    const timer = setTimeout(() => live.child.kill('SIGKILL'), 10_000);
    assert.equal(await live.exited, 0, live.stderr);
    clearTimeout(timer);
    assert.ok(Date.now() - t0 < 8000);
    assert.equal(
      live.stdout,
      `# 0 attempts (0 packets, 1 capture); ${pair.serverIf}: ` +
        '0 received by filter, 0 dropped by kernel, 0 dropped by interface\n',
    );
    assert.match(live.stderr, /^synscope: 0 received by filter, 0 dropped by kernel, 0 dropped by interface$/m);
  });

  it('--fail-on exits 1; --interval progress goes to stderr so that ndjson stays pure', async () => {
    const pair = ns!;
    const live = await pair.startLive([
      '--format',
      'ndjson',
      '--fail-on',
      'refused',
      '--interval',
      '0.3',
      '--duration',
      '30',
    ]);
    await pair.node(pair.client, CONNECT_ONCE, [SERVER_IP, String(CLOSED), '5000']);
    await live.waitFor(
      'the verdict and a progress line',
      (s) => s.stdoutLines >= 1 && /attempt \(1 refused\)/.test(s.stderr),
      10_000,
    );
    assert.equal(await stop(live, 'SIGTERM'), 1, live.stderr);
    assert.equal(ndjson(live.stdout).length, 1);
    assert.match(
      live.stderr,
      new RegExp(
        /^# \S+Z \w+: \d+ packets, 1 attempt \(1 refused\), 0 open; /.source +
          /\d+ received by filter, 0 dropped by kernel, 0 dropped by interface; last [\d.]+ s: /.source,
        'm',
      ),
    );
    assert.match(live.stderr, /^synscope: \d+ received by filter, 0 dropped by kernel, 0 dropped by interface$/m);
  });

  it("markdown with --evidence and --chart: the interface named, the evidence file's frames, the chart", async () => {
    const pair = ns!;
    const evidence = join(tmp, 'ticket.pcap');
    const chart = join(tmp, 'ticket.svg');
    // Markdown prints at the end only: the --interval line on stderr says when the verdict is in.
    const live = await pair.startLive([
      '--format',
      'markdown',
      '--interval',
      '0.2',
      '--duration',
      '30',
      '--evidence',
      evidence,
      '--chart',
      chart,
    ]);
    await pair.node(pair.client, CONNECT_ONCE, [SERVER_IP, String(CLOSED), '5000']);
    await live.waitFor('the verdict', (s) => /attempt \(1 refused\)/.test(s.stderr), 10_000);
    assert.equal(await stop(live), 130, live.stderr);
    const md = live.stdout;
    assert.ok(md.includes(`- interface \`${pair.serverIf}\` (live capture): `), md);
    assert.doesNotMatch(md, new RegExp(`tshark -r ${pair.serverIf}\\b`));
    const frames = /\*\*Frames:\*\* ([0-9, ]+) in `([^`]+)` — `tshark -r (\S+) -Y/.exec(md);
    assert.ok(frames, md);
    assert.deepEqual([frames[1], frames[2], frames[3]], ['1, 2', evidence, evidence]);
    const shown = spawnSync(
      'tshark',
      ['-r', evidence, '-Y', 'frame.number in {1,2}', '-T', 'fields', '-e', 'tcp.flags.str'],
      { encoding: 'utf8' },
    );
    assert.deepEqual(
      shown.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/·/g, '')),
      ['S', 'AR'],
    );
    const svg = readFileSync(chart, 'utf8');
    assert.deepEqual(
      [...svg.matchAll(/data-series="(\w+)" data-bucket="\d+" data-count="(\d+)"/g)].map((m) => `${m[1]} ${m[2]}`),
      ['refused 1'],
    );
    assert.ok(md.includes(`![timeline of the attempts](`), md);
  });

  it('the json format streams to one document with the capture named after the interface', async () => {
    const pair = ns!;
    const live = await pair.startLive(['--format', 'json', '--duration', '30']);
    await pair.node(pair.client, CONNECT_ONCE, [SERVER_IP, String(CLOSED), '5000']);
    await live.waitFor('the handshake', (s) => s.stdout.includes('"refused"'), 10_000);
    assert.equal(await stop(live), 130, live.stderr);
    const doc = JSON.parse(live.stdout) as {
      captures: {
        file: string;
        format: string;
        packets: number;
        received: number;
        droppedByKernel: number;
        droppedByInterface: number;
      }[];
      summary: Record<string, number>;
      handshakes: Handshake[];
    };
    const c = doc.captures[0]!;
    assert.equal(c.file, pair.serverIf);
    assert.equal(c.format, 'live');
    assert.ok(c.received >= c.packets && c.packets >= 2, JSON.stringify(c));
    assert.deepEqual([c.droppedByKernel, c.droppedByInterface], [0, 0]);
    assert.equal(doc.summary['refused'], 1);
    assert.equal(doc.handshakes.length, 1);
  });

  // Live hands each attempt over the moment it is settled (no listing order), so an established
  // connection that stays open holds nothing back.
  it('a verdict is not held back by an established connection that stays open', async () => {
    const pair = ns!;
    const holder = pair.spawn(pair.server, process.execPath, [
      '-e',
      `
require('net').createServer((s) => s.on('error', () => {})).listen(${HOLDING}, () => console.log('ready'));
setTimeout(() => process.exit(0), 30000);
`,
    ]);
    await holder.waitFor('the holding listener', (s) => s.stdout.includes('ready'), 10_000);
    const live = await pair.startLive(['--format', 'ndjson', '--duration', '30']);
    // A connection held open for 6 s, then a refused connect while it is open.
    const held = pair.node(
      pair.client,
      `
const s = require('net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
s.on('error', () => {}); setTimeout(() => { s.destroy(); console.log('{}'); }, 6000);
`,
      [SERVER_IP, String(HOLDING)],
      15_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await pair.node(pair.client, CONNECT_ONCE, [SERVER_IP, String(CLOSED), '5000']);
    await live.waitFor('the refused verdict', (s) => s.stdout.includes('"refused"'), 10_000);
    const waited = Date.now() - t0;
    await held;
    assert.equal(await stop(live), 130, live.stderr);
    assert.ok(waited < 2000, `the refused verdict came ${waited} ms after the connect`);
  });

  it('SIGHUP, SIGTERM, SIGINT: the verdicts so far, the summary, whole evidence, exit 129 / 143 / 130', async () => {
    const pair = ns!;
    for (const [signal, status] of [
      ['SIGHUP', 129],
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      const evidence = join(tmp, `signal-${signal}.pcap`);
      const live = await pair.startLive([
        '--format',
        'lines',
        '--filter',
        `tcp port ${CLOSED}`,
        '--evidence',
        evidence,
      ]);
      await pair.node(pair.client, CONNECT_ONCE, [SERVER_IP, String(CLOSED), '5000']);
      await live.waitFor('the verdict', (s) => s.stdoutLines >= 1, 10_000);
      assert.equal(await stop(live, signal), status, live.stderr);
      assert.match(
        live.stdout,
        new RegExp(
          /refused ECONNREFUSED[^\n]*\n# 1 of 1 attempt failed: [^\n]* refused 1\n/.source +
            /# 1 attempt: 1 refused \(2 packets, 1 capture\)[^\n]*\n# evidence: 2 packets written to /.source,
        ),
      );
      const back = synscope(['read', evidence, '--format', 'ndjson']);
      assert.equal(back.status, 0, back.stderr);
      assert.match(back.stdout, /"outcome":"refused"/);
    }
  });

  it('SIGKILL: the evidence file holds every packet listed before it, and tcpdump reads it', async () => {
    const pair = ns!;
    const evidence = join(tmp, 'killed.pcap');
    const live = await pair.startLive(['--format', 'lines', '--filter', `tcp port ${CLOSED}`, '--evidence', evidence]);
    for (let i = 0; i < 2; i++) await pair.node(pair.client, CONNECT_ONCE, [SERVER_IP, String(CLOSED), '5000']);
    await live.waitFor('two verdicts', (s) => s.stdoutLines >= 2, 10_000);
    // The writer flushes within 200 ms of a write.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await stop(live, 'SIGKILL'), 'SIGKILL');
    const r = spawnSync('tcpdump', ['-n', '-r', evidence], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 4, r.stdout); // two SYNs, two RSTs
    assert.equal(lines.filter((l) => /Flags \[S\]/.test(l)).length, 2, r.stdout);
    assert.equal(lines.filter((l) => /Flags \[R\.\]/.test(l)).length, 2, r.stdout);
    assert.deepEqual(
      readdirSync(tmp).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file left',
    );
  });

  it('SIGUSR1 prints the statistics line and opens no inspector', async () => {
    const pair = ns!;
    const live = await pair.startLive(['--format', 'lines', '--filter', `tcp port ${CLOSED}`]);
    await pair.node(pair.client, CONNECT_ONCE, [SERVER_IP, String(CLOSED), '5000']);
    await live.waitFor('the verdict', (s) => s.stdoutLines >= 1, 10_000);
    live.child.kill('SIGUSR1');
    await live.waitFor(
      'the statistics line',
      (s) => /^# \S+Z sst\d+s: 2 packets, 1 attempt \(1 refused\), 0 open/m.test(s.stderr),
      10_000,
    );
    assert.doesNotMatch(live.stderr, /Debugger|inspector/i);
    assert.equal(await stop(live), 130, live.stderr);
  });

  it('an unknown interface: exit 2, naming the interfaces there are', () => {
    const pair = ns!;
    const r = pair.exec(pair.server, process.execPath, [CLI, 'live', '-i', 'nosuch0']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^synscope: no interface 'nosuch0' to capture on; this host has: .*\blo\b/m);
    assert.ok(r.stderr.includes(pair.serverIf), r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  });

  it("a bad filter: exit 2 with libpcap's message", () => {
    const pair = ns!;
    const r = pair.exec(pair.server, process.execPath, [
      CLI,
      'live',
      '-i',
      pair.serverIf,
      '--filter',
      'tcp port 80 and (',
    ]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^synscope: bad --filter 'tcp port 80 and \(': .*syntax error/m);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  });

  it('no permission: exit 2 with what to do', function () {
    const pair = ns!;
    // util-linux setpriv drops root for this one test
    if (spawnSync('setpriv', ['--version']).status !== 0) this.skip();
    const r = pair.exec(pair.server, 'setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      process.execPath,
      CLI,
      'live',
      '-i',
      pair.serverIf,
    ]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^synscope: no permission to capture on .*setcap cap_net_raw,cap_net_admin=eip/m);
  });

  it('interfaces lists the veth with its addresses and state, also without root', function () {
    const pair = ns!;
    const r = pair.exec(pair.server, process.execPath, [CLI, 'interfaces']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^\\d+\\.${pair.serverIf} \\[Up, Running, Connected\\]\\n` +
          `    inet  ${SERVER_IP.replace(/\./g, '\\.')}/24\\n    inet6 ${SERVER_IP6}/64\\n`,
        'm',
      ),
    );
    assert.match(r.stdout, /^\d+\.lo \[Up, Running, Loopback\]$/m);
    assert.match(r.stdout, /^\d+\.any \(Pseudo-device that captures on all interfaces\) \[Up, Running\]$/m);
    const json = JSON.parse(
      pair.exec(pair.server, process.execPath, [CLI, 'interfaces', '--format', 'json']).stdout,
    ) as {
      libpcap: boolean;
      interfaces: { name: string; addresses: { address: string }[] }[];
    };
    assert.equal(json.libpcap, true);
    const veth = json.interfaces.find((i) => i.name === pair.serverIf)?.addresses.map((a) => a.address) ?? [];
    assert.ok(veth.includes(SERVER_IP) && veth.includes(SERVER_IP6), JSON.stringify(veth));
    if (spawnSync('setpriv', ['--version']).status !== 0) return;
    const nobody = pair.exec(pair.server, 'setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      process.execPath,
      CLI,
      'interfaces',
    ]);
    assert.equal(nobody.status, 0, nobody.stderr);
    assert.ok(nobody.stdout.includes(`${pair.serverIf} [Up, Running, Connected]`), nobody.stdout);
  });
});

describe('synscope live when the interface goes away', function () {
  this.timeout(60_000);
  let tmp = '';
  before(function () {
    requireLive(this);
    tmp = mkdtempSync(join(tmpdir(), 'synscope-down-'));
  });
  after(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  for (const [how, cmd, message] of [
    ['goes down', ['link', 'set', 'IF', 'down'], 'The interface went down'],
    ['is deleted', ['link', 'del', 'IF'], 'The interface disappeared'],
  ] as const) {
    it(`an interface that ${how} mid-capture: one error line, the summary, the evidence, exit 2`, async () => {
      const pair = new NetnsPair(how === 'goes down' ? 'd' : 'x');
      try {
        const evidence = join(tmp, `${how.replace(' ', '-')}.pcap`);
        const live = await pair.startLive(['--evidence', evidence]);
        const r = JSON.parse(await pair.node(pair.client, CONNECT_ONCE, [SERVER_IP, '9', '5000'])) as { code: string };
        assert.equal(r.code, 'ECONNREFUSED');
        await live.waitFor('the verdict', (s) => s.stdout.includes('refused'), 10_000);
        pair.must(
          pair.server,
          'ip',
          cmd.map((x) => (x === 'IF' ? pair.serverIf : x)),
        );
        const timer = setTimeout(() => live.child.kill('SIGKILL'), 10_000);
        const code = await live.exited;
        clearTimeout(timer);
        assert.equal(code, 2, live.stderr);
        assert.match(
          live.stdout,
          new RegExp(
            /refused ECONNREFUSED, rst from .* syns 1, frames \d+,\d+\n# 1 of 1 attempt failed: [^\n]* refused 1\n/
              .source +
              /# 1 attempt: 1 refused \(\d+ packets, 1 capture\); /.source +
              /\w+: \d+ received by filter, 0 dropped by kernel, 0 dropped by interface\n/.source +
              /# evidence: 2 packets written to /.source,
          ),
        );
        const errors = live.stderr.split('\n').filter((l) => /ended/.test(l));
        assert.deepEqual(errors, [`synscope: capture on ${pair.serverIf} ended: ${message}`], live.stderr);
        const back = synscope(['read', evidence, '--format', 'ndjson']);
        assert.equal(back.status, 0, back.stderr);
        assert.match(back.stdout, /"outcome":"refused"/);
      } finally {
        pair.cleanup();
      }
    });
  }
});

describe('synscope without libpcap (the binding cannot load)', () => {
  let dir = '';
  let preload = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-nocap-'));
    preload = join(dir, 'no-cap.cjs');
    // Makes loading native addons fail as it does on a machine without libpcap.
    writeFileSync(
      preload,
      `
const Module = require('module');
Module._extensions['.node'] = function () {
  throw new Error('libpcap.so.0.8: cannot open shared object file: No such file or directory');
};
`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function run(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ['--require', preload, CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('read still works', () => {
    const r = run(['read', join(CAPTURES, 'refused-closed-port.pcap'), '--format', 'ndjson']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /"outcome":"refused"/);
  });

  it('live: exit 2 and one line saying what to install', () => {
    const r = run(['live', '-i', 'lo']);
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      new RegExp(
        /^synscope: live capture needs libpcap and synscope's libpcap binding, which cannot be loaded /.source +
          /\(libpcap\.so\.0\.8: cannot open shared object file.*\); /.source +
          /install them: apt-get install libpcap-dev build-essential, then npm run build:native/.source,
      ),
    );
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  });

  it('interfaces still lists the interfaces, and says live capture needs libpcap', () => {
    const r = run(['interfaces']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.lo \[Up, Running, Loopback\]\n {4}inet {2}127\.0\.0\.1\/8$/m);
    assert.match(r.stderr, /live capture needs libpcap/);
  });
});
