// The selection flags' parsers: --host networks, --port lists and ranges, --since / --until times.

import { strict as assert } from 'node:assert';
import { parseHosts, parsePorts, parseTime } from '../../src/cli/options.js';
import { UsageError } from '../../src/errors.js';
import { NET_BYTES, TIME_ABSOLUTE, TIME_OFFSET, TIME_OF_DAY } from '../../src/track/select.js';

/** [address length, prefix bits, address bytes as hex] of each network. */
function nets(v: unknown): [number, number, string][] {
  const n = parseHosts(v)!;
  const out: [number, number, string][] = [];
  for (let e = 0; e < n.length; e += NET_BYTES)
    out.push([n[e]!, n[e + 1]!, Buffer.from(n.subarray(e + 2, e + 2 + n[e]!)).toString('hex')]);
  return out;
}

describe('cli/options selection', () => {
  it('--host: addresses, [v6] as synscope prints it, CIDR networks, lists and repeats', () => {
    assert.equal(parseHosts(undefined), null);
    assert.deepEqual(nets('10.77.2.2'), [[4, 32, '0a4d0202']]);
    assert.deepEqual(nets('[fd77:2::2]'), [[16, 128, 'fd770002000000000000000000000002']]);
    assert.deepEqual(nets('fd77:2::2'), nets('[fd77:2::2]'));
    assert.deepEqual(nets('10.0.0.0/8'), [[4, 8, '0a000000']]);
    assert.deepEqual(nets('fd77::/16'), [[16, 16, 'fd770000000000000000000000000000']]);
    assert.deepEqual(nets('[fd77::]/16'), nets('fd77::/16'));
    assert.deepEqual(
      nets(['10.0.0.1,10.0.0.2', '::1']).map((x) => x[0]),
      [4, 4, 16],
    );
    for (const bad of [
      '10.0.0.300',
      '10.0.0.0/33',
      'fd77::/129',
      '[10.0.0.1]',
      'example.com',
      '10.0.0.1/',
      '[fd77::2',
      '',
    ]) {
      assert.throws(
        () => parseHosts(bad),
        (e: unknown) => e instanceof UsageError && e.message.includes(`'${bad}'`),
        bad,
      );
    }
  });

  it('--port: numbers, lists, ranges and repeats', () => {
    assert.equal(parsePorts(undefined), null);
    const p = parsePorts(['80,443,8000-8100', '0'])!;
    const on = [...p.keys()].filter((k) => p[k] === 1);
    assert.equal(on.length, 2 + 101 + 1);
    assert.deepEqual(on.slice(0, 4), [0, 80, 443, 8000]);
    assert.equal(on[on.length - 1], 8100);
    assert.equal(parsePorts('65535')![65535], 1);
    for (const bad of ['70000', '8100-8000', 'http', '1-', '-1', '80 443', '']) {
      assert.throws(
        () => parsePorts(bad),
        (e: unknown) => e instanceof UsageError && e.message.includes(`'${bad}'`),
        bad,
      );
    }
  });

  it('--since / --until: ISO times (UTC unless a zone says otherwise), times of day, offsets', () => {
    const base = Date.UTC(2026, 10, 25, 12, 22, 0) / 1000;
    assert.equal(parseTime('since', undefined), null);
    assert.deepEqual(parseTime('since', '2026-11-25T12:22:00Z'), { kind: TIME_ABSOLUTE, sec: base, nsec: 0 });
    assert.deepEqual(parseTime('since', '2026-11-25 12:22'), { kind: TIME_ABSOLUTE, sec: base, nsec: 0 });
    assert.deepEqual(parseTime('since', '2026-11-25T13:22:00.123456789+01:00'), {
      kind: TIME_ABSOLUTE,
      sec: base,
      nsec: 123456789,
    });
    assert.deepEqual(parseTime('since', '2026-11-25T07:22:00.5-0500'), {
      kind: TIME_ABSOLUTE,
      sec: base,
      nsec: 500000000,
    });
    assert.deepEqual(parseTime('since', '2026-11-25'), {
      kind: TIME_ABSOLUTE,
      sec: base - 12 * 3600 - 22 * 60,
      nsec: 0,
    });
    assert.deepEqual(parseTime('since', '12:22'), { kind: TIME_OF_DAY, sec: 12 * 3600 + 22 * 60, nsec: 0 });
    assert.deepEqual(parseTime('since', '9:05:07.25'), {
      kind: TIME_OF_DAY,
      sec: 9 * 3600 + 5 * 60 + 7,
      nsec: 250000000,
    });
    assert.deepEqual(parseTime('since', '+30s'), { kind: TIME_OFFSET, sec: 30, nsec: 0 });
    assert.deepEqual(parseTime('since', '+90'), { kind: TIME_OFFSET, sec: 90, nsec: 0 });
    assert.deepEqual(parseTime('since', '+1m30s'), { kind: TIME_OFFSET, sec: 90, nsec: 0 });
    assert.deepEqual(parseTime('since', '+2h'), { kind: TIME_OFFSET, sec: 7200, nsec: 0 });
    assert.deepEqual(parseTime('since', '+1.5s'), { kind: TIME_OFFSET, sec: 1, nsec: 500000000 });
    assert.deepEqual(parseTime('since', '+250ms'), { kind: TIME_OFFSET, sec: 0, nsec: 250000000 });
    for (const bad of [
      'yesterday',
      '25:00',
      '12:60',
      '2026-02-30T00:00:00Z',
      '2026-13-01',
      '+',
      '+5x',
      '+1m30',
      '-30s',
      '12',
    ]) {
      assert.throws(
        () => parseTime('until', bad),
        (e: unknown) => e instanceof UsageError && e.message.startsWith(`--until: '${bad}'`),
        bad,
      );
    }
  });
});
