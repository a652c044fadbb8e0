// Selecting attempts on a shipped capture: --host (as synscope prints addresses, networks,
// repeats), --port (lists, ranges), --since / --until; the summary counts the selected attempts
// only.

import { strict as assert } from 'node:assert';
import { synscope } from '../helpers/cli.js';

interface Report {
  handshakes: { client: { port: number }; start: string }[];
  summary: Record<string, number>;
}

/** Client ports of the attempts `read captures/mixed.pcapng` selects with these flags, and the summary's total. */
function selected(args: string[], env: Record<string, string> = {}): { ports: number[]; attempts: number } {
  const r = synscope(['read', 'captures/mixed.pcapng', '--format', 'json', ...args], undefined, env);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as Report;
  return { ports: doc.handshakes.map((h) => h.client.port), attempts: doc.summary['attempts']! };
}

// captures/mixed.pcapng: eight attempts, client ports 40031-40038, starting between
// 12:23:43.459705079 and 12:23:44.798447963 (UTC); 40037 and 40038 are IPv6 (fd77:2::1 → fd77:2::2).
describe('cli/select on captures/mixed.pcapng', () => {
  it('no selection: all eight', () => {
    assert.deepEqual(selected([]), { ports: [40031, 40032, 40033, 40034, 40035, 40036, 40037, 40038], attempts: 8 });
  });

  it('--host as synscope prints an IPv6 address, bare, as a network, and repeated', () => {
    assert.deepEqual(selected(['--host', '[fd77:2::2]']), { ports: [40037, 40038], attempts: 2 });
    assert.deepEqual(selected(['--host', 'fd77:2::2']).ports, [40037, 40038]);
    assert.deepEqual(selected(['--host', 'fd77::/16']).ports, [40037, 40038]);
    assert.deepEqual(selected(['--host', '10.77.1.0/24']).ports, [40031, 40032, 40033]);
    assert.deepEqual(
      selected(['--host', '10.77.1.1', '--host', '[fd77:2::2]']).ports,
      [40031, 40032, 40033, 40037, 40038],
    );
  });

  it('--port lists and ranges, with --host', () => {
    assert.deepEqual(selected(['--port', '9,8083']).ports, [40032, 40033, 40035, 40037]);
    assert.deepEqual(selected(['--port', '8080-8084', '--host', '10.77.2.0/24']).ports, [40034, 40036]);
  });

  it('--since / --until: an ISO time, a time of day (UTC), offsets from the first packet', () => {
    assert.deepEqual(selected(['--since', '2026-11-25T12:23:44Z']), { ports: [40036, 40037, 40038], attempts: 3 });
    assert.deepEqual(selected(['--since', '12:23:44']).ports, [40036, 40037, 40038]);
    assert.deepEqual(selected(['--until', '12:23:44']), { ports: [40031, 40032, 40033, 40034, 40035], attempts: 5 });
    // +0.4 s after the first packet (.459705079) is .859705079: 40035 (.895674054) onwards.
    assert.deepEqual(selected(['--since', '+0.4s', '--until', '+1.1s']).ports, [40035, 40036, 40037]);
    assert.deepEqual(
      selected(['--since', '2026-11-25T12:23:43.594053100Z', '--until', '2026-11-25T12:23:43.895674054Z']).ports,
      [40034],
    );
  });

  it('bad values: exit 2, one line naming them', () => {
    for (const [flag, value] of [
      ['--host', '10.77.1.0/40'],
      ['--port', '90-80'],
      ['--since', 'noon'],
      ['--until', '+3 minutes'],
    ]) {
      const r = synscope(['read', 'captures/mixed.pcapng', flag!, value!]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, new RegExp(`^synscope: ${flag}: '${value!.replace(/[+]/g, '\\+')}' is not`));
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });
});
