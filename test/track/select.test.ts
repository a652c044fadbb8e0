// Matching addresses against --host networks in place, and the --since / --until window.

import { strict as assert } from 'node:assert';
import { parseHosts, parseTime } from '../../src/cli/options.js';
import { parseIp } from '../../src/report/address.js';
import { TimeWindow, hostMatch } from '../../src/track/select.js';

/** Whether `ip` is inside `--host spec`, read at an offset inside a larger buffer as a packet holds it. */
function inside(spec: string, ip: string): boolean {
  const a = parseIp(ip)!;
  const buf = Buffer.concat([Buffer.alloc(7, 0xaa), a, Buffer.alloc(3, 0xbb)]);
  return hostMatch(parseHosts(spec)!, buf, 7, a.length);
}

describe('track/select', () => {
  it('networks hold the addresses of their prefix, at any prefix length', () => {
    assert.ok(inside('10.77.2.2', '10.77.2.2'));
    assert.ok(!inside('10.77.2.2', '10.77.2.3'));
    assert.ok(inside('10.77.0.0/16', '10.77.255.1'));
    assert.ok(!inside('10.77.0.0/16', '10.78.0.1'));
    assert.ok(inside('10.77.2.0/23', '10.77.3.200'));
    assert.ok(!inside('10.77.2.0/23', '10.77.4.1'));
    assert.ok(inside('10.77.2.128/25', '10.77.2.200') && !inside('10.77.2.128/25', '10.77.2.127'));
    assert.ok(inside('0.0.0.0/0', '192.0.2.1'));
    assert.ok(inside('[fd77:2::2]', 'fd77:2::2'));
    assert.ok(inside('fd77::/16', 'fd77:ffff::1') && !inside('fd77::/16', 'fd78::1'));
    assert.ok(inside('fd77:2::/33', 'fd77:2:7fff::1') && !inside('fd77:2::/33', 'fd77:2:8000::1'));
    assert.ok(!inside('::/0', '10.0.0.1') && !inside('0.0.0.0/0', '::1'), 'families never mix');
    assert.ok(inside('192.0.2.1,fd77::/16', 'fd77::5'));
  });

  it('the window: since inclusive, until exclusive, resolved against the first packet once', () => {
    const day = Date.UTC(2026, 10, 25) / 1000;
    const first = day + 12 * 3600 + 22 * 60; // 12:22:00 UTC
    const w = new TimeWindow(parseTime('since', '12:23'), parseTime('until', '+2m30s'));
    w.anchor(first, 500);
    w.anchor(first + 3600, 0); // a later input's first packet changes nothing
    assert.ok(!w.has(first + 59, 999_999_999));
    assert.ok(w.has(first + 60, 0));
    assert.ok(w.has(first + 150, 499));
    assert.ok(!w.has(first + 150, 500));
    const open = new TimeWindow(null, null);
    open.anchor(first, 0);
    assert.ok(open.has(0, 0) && open.has(first * 2, 0));
  });
});
