// The ICMP code table both the outcome (errno) and the diagnosis (name, cause) read: version, type and code
// together pick the row, unknown codes fall back as Linux does, and rows are shared, never built per lookup.

import { strict as assert } from 'node:assert';
import {
  ICMP_CAUSE_HOST,
  ICMP_CAUSE_LOOP,
  ICMP_CAUSE_NET,
  ICMP_CAUSE_OTHER,
  ICMP_CAUSE_PORT,
  ICMP_CAUSE_PROHIBITED,
  icmpMeaning,
} from '../../src/decode/icmp-codes.js';

function causes(version: number, type: number, codes: number): number[] {
  const out: number[] = [];
  for (let code = 0; code < codes; code++) out.push(icmpMeaning(version, type, code).cause);
  return out;
}

describe('decode/icmp-codes', () => {
  it('ICMPv4 destination unreachable: the cause of each of the 16 codes', () => {
    const P = ICMP_CAUSE_PROHIBITED;
    const O = ICMP_CAUSE_OTHER;
    assert.deepEqual(causes(4, 3, 16), [
      ICMP_CAUSE_NET,
      ICMP_CAUSE_HOST,
      O,
      ICMP_CAUSE_PORT,
      O,
      O,
      ICMP_CAUSE_NET,
      ICMP_CAUSE_HOST,
      O,
      P,
      P,
      O,
      O,
      P,
      O,
      O,
    ]);
  });

  it('ICMPv6 destination unreachable: the cause of each of the 7 codes', () => {
    const P = ICMP_CAUSE_PROHIBITED;
    assert.deepEqual(causes(6, 1, 7), [ICMP_CAUSE_NET, P, ICMP_CAUSE_OTHER, ICMP_CAUSE_HOST, ICMP_CAUSE_PORT, P, P]);
  });

  it('an unreachable code past the table: not fatal in IPv4, EPROTO in IPv6', () => {
    assert.deepEqual(icmpMeaning(4, 3, 16), { name: 'destination unreachable', errno: null, cause: ICMP_CAUSE_OTHER });
    assert.deepEqual(icmpMeaning(6, 1, 7), {
      name: 'destination unreachable',
      errno: 'EPROTO',
      cause: ICMP_CAUSE_OTHER,
    });
    assert.equal(icmpMeaning(4, 3, -1).errno, null);
  });

  it('the type numbers are read in their own version: v4 time exceeded is 11, v6 is 3', () => {
    assert.equal(icmpMeaning(4, 11, 1).cause, ICMP_CAUSE_LOOP);
    assert.equal(icmpMeaning(6, 3, 0).cause, ICMP_CAUSE_LOOP);
    assert.deepEqual(icmpMeaning(6, 11, 0), { name: 'error', errno: null, cause: ICMP_CAUSE_OTHER });
    assert.equal(icmpMeaning(6, 3, 3).name, 'time exceeded');
    assert.equal(icmpMeaning(4, 3, 3).name, 'port unreachable');
    assert.equal(icmpMeaning(0, 3, 3).name, 'error');
  });

  it('a lookup returns a shared row', () => {
    assert.equal(icmpMeaning(4, 3, 1), icmpMeaning(4, 3, 1));
    assert.equal(icmpMeaning(6, 4, 0), icmpMeaning(6, 4, 2));
  });
});
