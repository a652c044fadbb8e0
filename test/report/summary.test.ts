// Services are counted per server address and port, IPv4 and IPv6 alike, whichever client asked.

import { strict as assert } from 'node:assert';
import { parseIp } from '../../src/report/address.js';
import { Summary, failures, serviceHash } from '../../src/report/summary.js';
import { RESET_BY_CLIENT, RESET_BY_SERVER, type Outcome, type SettledAttempt } from '../../src/track/attempt.js';
import { settled } from '../helpers/settled.js';

function attempt(client: string, server: string, port: number, outcome: Outcome): SettledAttempt {
  const c = parseIp(client)!;
  const s = parseIp(server)!;
  return settled({ addr: Buffer.concat([c, s]), len: c.length, serverPort: port, verdict: { outcome, errno: null } });
}

describe('report/summary services', () => {
  it('one line per server address and port, for IPv4 and IPv6', () => {
    const s = new Summary();
    s.add(attempt('10.0.0.1', '10.0.0.9', 80, 'refused'));
    s.add(attempt('10.0.0.2', '10.0.0.9', 80, 'established'));
    s.add(attempt('10.0.0.2', '10.0.0.9', 443, 'dropped'));
    s.add(attempt('2001:db8::1', '2001:db8::9', 80, 'refused'));
    s.add(attempt('2001:db8::2', '2001:db8::9', 80, 'refused'));
    s.add(attempt('2001:db8::2', '2001:db8::a', 80, 'established'));
    assert.deepEqual(s.serviceList(), [
      { server: { ip: '2001:db8::9', port: 80 }, attempts: 2, refused: 2 },
      { server: { ip: '10.0.0.9', port: 80 }, attempts: 2, established: 1, refused: 1 },
      { server: { ip: '10.0.0.9', port: 443 }, attempts: 1, dropped: 1 },
      { server: { ip: '2001:db8::a', port: 80 }, attempts: 1, established: 1 },
    ]);
    assert.deepEqual(s.totals, {
      attempts: 6,
      established: 2,
      refused: 3,
      rejected: 0,
      dropped: 1,
      'timed-out': 0,
      aborted: 0,
      incomplete: 0,
    });
  });

  it('connections reset after the handshake: counted by side, in the totals and per service; the service fails', () => {
    const s = new Summary();
    const reset = (port: number, by: number): SettledAttempt => {
      const a = attempt('10.0.0.1', '10.0.0.9', port, 'established');
      a.resetBy = by;
      return a;
    };
    s.add(reset(80, RESET_BY_SERVER));
    s.add(reset(80, RESET_BY_SERVER));
    s.add(reset(80, RESET_BY_CLIENT));
    s.add(attempt('10.0.0.1', '10.0.0.9', 80, 'established'));
    s.add(attempt('10.0.0.1', '10.0.0.9', 443, 'established'));
    s.add(attempt('10.0.0.1', '10.0.0.9', 22, 'established'));
    s.add(attempt('10.0.0.1', '10.0.0.9', 22, 'established'));
    assert.deepEqual(s.resets, { byClient: 1, byServer: 2 });
    assert.equal(s.totals.established, 7);
    const list = s.serviceList();
    assert.deepEqual(list[0], {
      server: { ip: '10.0.0.9', port: 80 },
      attempts: 4,
      established: 4,
      resets: { byClient: 1, byServer: 2 },
    });
    assert.equal(failures(list[0]!), 3);
    assert.deepEqual(
      list.slice(1).map((x) => [x.server.port, failures(x), x.resets]),
      [
        [22, 0, undefined],
        [443, 0, undefined],
      ],
    );
  });

  it('a server with more than 32 ports becomes one line (a scan)', () => {
    const s = new Summary();
    for (let p = 1; p <= 40; p++) s.add(attempt('2001:db8::1', '2001:db8::9', p, 'refused'));
    for (let p = 1; p <= 40; p++) s.add(attempt('10.0.0.1', '10.0.0.9', p, 'refused'));
    assert.deepEqual(s.serviceList(), [
      { server: { ip: '10.0.0.9', port: null }, ports: 40, attempts: 40, refused: 40 },
      { server: { ip: '2001:db8::9', port: null }, ports: 40, attempts: 40, refused: 40 },
    ]);
  });

  it('two servers whose hashes collide stay two lines (IPv4 and IPv6)', () => {
    // A birthday search over random addresses on one port finds a 30-bit collision in ~2^15 tries.
    for (const v6 of [false, true]) {
      const seen = new Map<number, string>();
      let pair: [string, string] | null = null;
      let n = 0;
      let x = 12345; // xorshift32: the same addresses every run
      const rand16 = (): number => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return (x >>> 8) & 0xffff;
      };
      for (let i = 0; pair === null && i < 400_000; i++) {
        const ip = v6
          ? `2001:db8:${rand16().toString(16)}:${rand16().toString(16)}::${rand16().toString(16)}`
          : `${rand16() & 0xff}.${rand16() & 0xff}.${rand16() & 0xff}.${rand16() & 0xff}`;
        const a = attempt(v6 ? '2001:db8::1' : '10.0.0.1', ip, 443, 'refused');
        const h = serviceHash(a.addr, a.addrLen, a.server4, 443);
        const other = seen.get(h);
        if (other !== undefined && other !== ip) pair = [other, ip];
        else seen.set(h, ip);
        n = i;
      }
      assert.ok(pair !== null, `a collision among ${n} ${v6 ? 'IPv6' : 'IPv4'} addresses`);
      const s = new Summary();
      s.add(attempt(v6 ? '2001:db8::1' : '10.0.0.1', pair[0], 443, 'refused'));
      s.add(attempt(v6 ? '2001:db8::2' : '10.0.0.2', pair[1], 443, 'dropped'));
      s.add(attempt(v6 ? '2001:db8::3' : '10.0.0.3', pair[1], 443, 'dropped'));
      const lines = s
        .serviceList()
        .map((l) => `${l.server.ip} ${l.attempts}`)
        .sort();
      assert.deepEqual(lines, [`${pair[0]} 1`, `${pair[1]} 2`].sort());
    }
  });
});
