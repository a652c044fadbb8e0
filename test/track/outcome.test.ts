// The contract's outcome and errno tables, row by row, without any packets.

import { strict as assert } from 'node:assert';
import {
  ANSWER_ICMP,
  ANSWER_NONE,
  ANSWER_RST,
  ANSWER_SYNACK,
  END_ABORTED,
  END_ESTABLISHED,
  END_NONE,
  END_REFUSED,
  END_REJECTED,
  ST_DONE,
  ST_ESTABLISHED,
  ST_SYNACK_SEEN,
  ST_SYN_SENT,
} from '../../src/track/attempt.js';
import { icmpErrno, outcome, type OutcomeInput } from '../../src/track/outcome.js';

function input(over: Partial<OutcomeInput>): OutcomeInput {
  return {
    state: ST_SYN_SENT,
    end: END_NONE,
    answerKind: ANSWER_NONE,
    icmpVersion: 0,
    icmpType: -1,
    icmpCode: -1,
    firstSynTime: 10,
    synAckTime: 0,
    ...over,
  };
}

describe('track/outcome', () => {
  describe('icmpErrno: ICMPv4 destination unreachable, as Linux maps it in SYN-SENT', () => {
    const table: [number, string | null][] = [
      [0, 'ENETUNREACH'],
      [1, 'EHOSTUNREACH'],
      [2, 'ENOPROTOOPT'],
      [3, 'ECONNREFUSED'],
      [4, null],
      [5, 'EOPNOTSUPP'],
      [6, 'ENETUNREACH'],
      [7, 'EHOSTDOWN'],
      [8, 'ENONET'],
      [9, 'ENETUNREACH'],
      [10, 'EHOSTUNREACH'],
      [11, 'ENETUNREACH'],
      [12, 'EHOSTUNREACH'],
      [13, 'EHOSTUNREACH'],
      [14, 'EHOSTUNREACH'],
      [15, 'EHOSTUNREACH'],
      [16, null],
    ];
    for (const [code, errno] of table) {
      it(`type 3 code ${code} → ${errno ?? 'not a rejection'}`, () => {
        assert.equal(icmpErrno(4, 3, code), errno);
      });
    }
    it('time exceeded (11) → EHOSTUNREACH, parameter problem (12) → EPROTO', () => {
      assert.equal(icmpErrno(4, 11, 0), 'EHOSTUNREACH');
      assert.equal(icmpErrno(4, 11, 1), 'EHOSTUNREACH');
      assert.equal(icmpErrno(4, 12, 0), 'EPROTO');
    });
    it('source quench (4), redirect (5) and echo are not rejections', () => {
      assert.equal(icmpErrno(4, 4, 0), null);
      assert.equal(icmpErrno(4, 5, 1), null);
      assert.equal(icmpErrno(4, 0, 0), null);
    });
  });

  describe('icmpErrno: ICMPv6', () => {
    const table: [number, string][] = [
      [0, 'ENETUNREACH'],
      [1, 'EACCES'],
      [2, 'EHOSTUNREACH'],
      [3, 'EHOSTUNREACH'],
      [4, 'ECONNREFUSED'],
      [5, 'EACCES'],
      [6, 'EACCES'],
      [7, 'EPROTO'],
    ];
    for (const [code, errno] of table) {
      it(`type 1 code ${code} → ${errno}`, () => {
        assert.equal(icmpErrno(6, 1, code), errno);
      });
    }
    it('time exceeded (3) → EHOSTUNREACH, parameter problem (4) → EPROTO, packet too big (2) → none', () => {
      assert.equal(icmpErrno(6, 3, 0), 'EHOSTUNREACH');
      assert.equal(icmpErrno(6, 4, 1), 'EPROTO');
      assert.equal(icmpErrno(6, 2, 0), null);
    });
  });

  describe('outcome()', () => {
    it('established: no errno', () => {
      assert.deepEqual(
        outcome(input({ state: ST_ESTABLISHED, end: END_ESTABLISHED, answerKind: ANSWER_SYNACK }), 99, 3),
        { outcome: 'established', errno: null },
      );
      assert.deepEqual(outcome(input({ state: ST_DONE, end: END_ESTABLISHED }), 99, 3), {
        outcome: 'established',
        errno: null,
      });
    });
    it('refused: ECONNREFUSED', () => {
      assert.deepEqual(outcome(input({ state: ST_DONE, end: END_REFUSED, answerKind: ANSWER_RST }), 10, 3), {
        outcome: 'refused',
        errno: 'ECONNREFUSED',
      });
    });
    it('rejected: the errno of the ICMP error', () => {
      assert.deepEqual(
        outcome(
          input({
            state: ST_DONE,
            end: END_REJECTED,
            answerKind: ANSWER_ICMP,
            icmpVersion: 4,
            icmpType: 3,
            icmpCode: 13,
          }),
          10,
          3,
        ),
        { outcome: 'rejected', errno: 'EHOSTUNREACH' },
      );
      assert.deepEqual(
        outcome(
          input({
            state: ST_DONE,
            end: END_REJECTED,
            answerKind: ANSWER_ICMP,
            icmpVersion: 6,
            icmpType: 1,
            icmpCode: 1,
          }),
          10,
          3,
        ),
        { outcome: 'rejected', errno: 'EACCES' },
      );
    });
    it('aborted: no errno', () => {
      assert.deepEqual(outcome(input({ state: ST_DONE, end: END_ABORTED, answerKind: ANSWER_SYNACK }), 10, 3), {
        outcome: 'aborted',
        errno: null,
      });
    });
    it('no answer: dropped once the capture went on --timeout after the first SYN, else incomplete', () => {
      assert.deepEqual(outcome(input({ firstSynTime: 10 }), 12.999, 3), { outcome: 'incomplete', errno: null });
      assert.deepEqual(outcome(input({ firstSynTime: 10 }), 13, 3), { outcome: 'dropped', errno: 'ETIMEDOUT' });
      assert.deepEqual(outcome(input({ firstSynTime: 0.123456789 }), 3.123456789, 3), {
        outcome: 'dropped',
        errno: 'ETIMEDOUT',
      });
    });
    it('SYN/ACK without the ACK: timed-out once --timeout passed after the SYN/ACK, else incomplete', () => {
      const a = input({ state: ST_SYNACK_SEEN, answerKind: ANSWER_SYNACK, firstSynTime: 0, synAckTime: 1 });
      assert.deepEqual(outcome(a, 3.5, 3), { outcome: 'incomplete', errno: null });
      assert.deepEqual(outcome(a, 4, 3), { outcome: 'timed-out', errno: 'ETIMEDOUT' });
    });
  });
});
