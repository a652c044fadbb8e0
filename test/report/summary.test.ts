// Services are counted per server address and port, IPv4 and IPv6 alike, whichever client asked.

import { strict as assert } from 'node:assert';
import { parseIp } from '../../src/report/address.js';
import { Summary } from '../../src/report/summary.js';
import { Attempt, type Outcome } from '../../src/track/attempt.js';
import { ip4At } from '../../src/track/table.js';

function attempt(client: string, server: string, port: number, outcome: Outcome): Attempt {
  const c = parseIp(client)!;
  const s = parseIp(server)!;
  const len = c.length;
  const a = new Attempt('f', Buffer.concat([c, s, Buffer.alloc(32 - 2 * len)]), len, 40000, port, 1, 0, 0, 0, 6, 1, 0);
  a.client4 = len === 4 ? ip4At(a.addr, 0) : 0;
  a.server4 = len === 4 ? ip4At(a.addr, 4) : 0;
  a.verdict = { outcome, errno: null };
  return a;
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
    assert.deepEqual(s.totals, { attempts: 6, established: 2, refused: 3, rejected: 0, dropped: 1, 'timed-out': 0, aborted: 0, incomplete: 0 });
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
});
