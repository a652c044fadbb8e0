// The hand-written handshake serializer must say exactly what JSON.stringify says.

import { strict as assert } from 'node:assert';
import { handshakeJson } from '../../src/report/json.js';
import type { HandshakeJson } from '../../src/report/record.js';

describe('report/json handshakeJson', () => {
  const base: HandshakeJson = {
    file: 'captures/x "odd" name\\.pcap',
    client: { ip: '10.0.0.5', port: 51234 },
    server: { ip: '2001:db8::9', port: 8080 },
    outcome: 'rejected',
    errno: 'EHOSTUNREACH',
    start: '2026-11-20T10:00:01.123456789Z',
    synCount: 2,
    answer: { kind: 'icmp', from: '10.0.0.1', afterMs: 3071.2, ttl: 64, icmpType: 3, icmpCode: 1 },
    frames: [1, 2, 17],
    diagnosis: 'Quotes " and backslashes \\ and a newline\n and `code`.',
  };
  const cases: [string, HandshakeJson][] = [
    ['icmp answer', base],
    ['no answer, no errno', { ...base, outcome: 'incomplete', errno: null, answer: null }],
    [
      'non-ASCII file name and diagnosis',
      { ...base, file: 'captures/caf\u00e9 \u2603.pcap', diagnosis: 'na\u00efve \u0001 text' },
    ],
    ['frame numbers past 2^31', { ...base, frames: [2 ** 31 + 5, 2 ** 40] }],
    [
      'rst answer with resetBy',
      {
        ...base,
        outcome: 'established',
        errno: null,
        answer: { kind: 'synack', from: '10.0.0.9', afterMs: 0.21, ttl: 63 },
        resetBy: 'server',
      },
    ],
  ];
  for (const [name, h] of cases) {
    it(name, () => {
      assert.equal(handshakeJson(h), JSON.stringify(h));
    });
  }
});
