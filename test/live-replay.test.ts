// Live agrees with read: every Ethernet capture of captures/ is replayed at its own pace (tcpreplay)
// into one end of a veth pair while `synscope live` sniffs the other end, and each handshake live
// reports must be the one `read` reports for the same packets: outcome, errno, synCount, answer. What
// `read` reads is the wire itself, captured on the same end by tcpdump at the same time (the same kernel
// timestamps): a replay on a busy machine may stretch a capture's sub-millisecond gaps (an answer stamped
// before its SYN then arrives too early to be paired, live and read alike). Every handshake of the files
// must also come through. The veth ends have no addresses and no IPv6 (the kernel stays silent); both
// sit in one namespace this test creates.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CAPTURES, synscope } from './helpers/cli.js';
import { CLI, PREFIX, requireLive, type LiveHandshake as Handshake } from './helpers/netns.js';

function ip(args: readonly string[]): { status: number | null; stderr: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stderr: r.stderr ?? '' };
}

function key(h: Handshake): string {
  return `${h.client.ip}.${h.client.port} > ${h.server.ip}.${h.server.port}`;
}

function what(h: Handshake): string {
  const a =
    h.answer === null
      ? 'no answer'
      : `${h.answer.kind}${h.answer.kind === 'icmp' ? ` ${h.answer.icmpType}/${h.answer.icmpCode}` : ''}`;
  return `${h.outcome} ${h.errno ?? '-'} syns ${h.synCount} ${a}`;
}

describe('live agrees with read: the captures of captures/ replayed through a veth', function () {
  this.timeout(90_000);
  const ns = `${PREFIX}-${process.pid}-rpl`;
  const tx = `${PREFIX}${process.pid}t`.slice(-15);
  const rx = `${PREFIX}${process.pid}r`.slice(-15);
  let tmp = '';

  before(function () {
    requireLive(this);
    if (spawnSync('tcpreplay', ['--version']).status !== 0) {
      if (process.env['SYNSCOPE_REQUIRE_LIVE_TESTS'] === '1')
        throw new Error('tcpreplay is missing (apt-get install tcpreplay)');
      this.skip();
    }
    tmp = mkdtempSync(join(tmpdir(), 'synscope-replay-'));
    const steps: string[][] = [
      ['netns', 'add', ns],
      ['-n', ns, 'link', 'add', tx, 'type', 'veth', 'peer', 'name', rx],
      // Jumbo frames: a capture may hold packets bigger than 1500 bytes (offloads).
      ['-n', ns, 'link', 'set', tx, 'mtu', '65535'],
      ['-n', ns, 'link', 'set', rx, 'mtu', '65535'],
    ];
    for (const s of steps) {
      const r = ip(s);
      if (r.status !== 0) throw new Error(`ip ${s.join(' ')}: ${r.stderr}`);
    }
    for (const k of ['all', 'default']) {
      spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${k}.disable_ipv6=1`]);
    }
    for (const dev of [tx, rx]) ip(['-n', ns, 'link', 'set', dev, 'up']);
  });

  after(() => {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const p of pids
      .split('\n')
      .map(Number)
      .filter((n) => n > 0)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    ip(['netns', 'del', ns]);
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('every Ethernet capture: the same outcome, errno, synCount and answer as read', async () => {
    // Link types other than Ethernet (Linux cooked, raw IP) cannot be sent on a veth as they are.
    const files: string[] = [];
    const expected = new Map<string, Handshake[]>();
    let total = 0;
    for (const name of readdirSync(CAPTURES).sort()) {
      if (!/\.(pcap|pcapng|pcap\.gz)$/.test(name)) continue;
      let path = join(CAPTURES, name);
      const r = synscope(['read', path, '--format', 'json']);
      assert.equal(r.status, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as {
        captures: { linkTypes: string[]; timestampsBackwards?: unknown }[];
        handshakes: Handshake[];
      };
      if (doc.captures[0]!.linkTypes.join() !== 'ETHERNET') continue;
      // A clock that steps back cannot be replayed: the wire has no past (tcpreplay sends such packets at once).
      if (doc.captures[0]!.timestampsBackwards !== undefined) continue;
      if (name.endsWith('.gz')) {
        path = join(tmp, name.slice(0, -3));
        writeFileSync(path, gunzipSync(readFileSync(join(CAPTURES, name))));
      }
      files.push(path);
      for (const h of doc.handshakes) {
        const list = expected.get(key(h)) ?? [];
        list.push(h);
        expected.set(key(h), list);
        total++;
      }
    }
    assert.ok(files.length >= 20, `${files.length} Ethernet captures`);

    const wire = join(tmp, 'wire.pcap');
    const dump = spawnAsync(['ip', 'netns', 'exec', ns, 'tcpdump', '-i', rx, '-U', '-n', '-w', wire]);
    await dump.until((s) => s.stderr.includes('listening on'), 10_000);
    const live = spawnAsync(['ip', 'netns', 'exec', ns, process.execPath, CLI, 'live', '-i', rx, '--format', 'ndjson']);
    await live.until((s) => s.stderr.includes('listening on'), 10_000);
    // All at once, each at the pace it was recorded at (the longest lasts ~7 s).
    const replays = files.map((f) => spawnAsync(['ip', 'netns', 'exec', ns, 'tcpreplay', '-q', '-i', tx, f]));
    for (const r of replays) assert.equal(await r.exit, 0, r.state.stderr);
    // --timeout (3 s) after the last SYN for the dropped ones, the rejected ones 2.5 s after their ICMP;
    // connections still established are settled by the stop, as at the end of a file.
    await live.until((s) => s.stdout.split('\n').length - 1 >= total, 4500).catch(() => undefined);
    live.child.kill('SIGINT');
    assert.equal(await live.exit, 130, live.state.stderr); // ended by SIGINT
    dump.child.kill('SIGINT');
    await dump.exit;

    // What read makes of the wire: the files' handshakes, as they went by.
    const r = synscope(['read', wire, '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const onWire = new Map<string, Handshake[]>();
    let wireTotal = 0;
    for (const h of (JSON.parse(r.stdout) as { handshakes: Handshake[] }).handshakes) {
      onWire.set(key(h), [...(onWire.get(key(h)) ?? []), h]);
      wireTotal++;
    }
    assert.equal(wireTotal, total, 'every handshake of the files went over the wire');

    const got = live.state.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Handshake);
    const problems: string[] = [];
    const seen = new Map<string, Handshake[]>();
    for (const h of got) seen.set(key(h), [...(seen.get(key(h)) ?? []), h]);
    for (const [k, want] of onWire) {
      const have = (seen.get(k) ?? []).map(what).sort();
      const w = want.map(what).sort();
      if (have.join(' | ') !== w.join(' | '))
        problems.push(`${k}: read ${w.join(' | ')}; live ${have.join(' | ') || 'nothing'}`);
    }
    for (const k of seen.keys())
      if (!onWire.has(k)) problems.push(`${k}: live only (${seen.get(k)!.map(what).join(' | ')})`);
    assert.deepEqual(problems, [], `${got.length} live verdicts, ${wireTotal} read from the wire`);
    // On a quiet machine the wire is the files: say where they differ (a stretched replay), without failing.
    const stretched = [...expected].filter(
      ([k, w]) => w.map(what).sort().join() !== (onWire.get(k) ?? []).map(what).sort().join(),
    );
    if (stretched.length > 0) console.log(`      (replay stretched: ${stretched.map(([k]) => k).join(', ')})`);
  });
});

interface AsyncRun {
  child: ChildProcess;
  state: { stdout: string; stderr: string };
  exit: Promise<number | string>;
  until(test: (s: { stdout: string; stderr: string }) => boolean, ms: number): Promise<void>;
}

function spawnAsync(argv: readonly string[]): AsyncRun {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const state = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    state.stdout += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    state.stderr += d;
  });
  const exit = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const until = async (test: (s: { stdout: string; stderr: string }) => boolean, ms: number): Promise<void> => {
    const t0 = Date.now();
    while (!test(state)) {
      if (Date.now() - t0 > ms) throw new Error(`timed out; stderr: ${state.stderr}`);
      if (child.exitCode !== null) throw new Error(`exited; stderr: ${state.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, state, exit, until };
}
