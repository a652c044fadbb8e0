// Attempts cross to the report thread as binary slots: decodeAttempt(encodeAttempt(a)) must give
// back every field the reporting stage reads, for any attempt the tracker can settle.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ERRNO_MESSAGES } from '../../src/report/diagnosis.js';
import { toRecord } from '../../src/report/record.js';
import { Carrier, MAX_FRAMES, OUTCOMES, SettledAttempt, type ErrnoName } from '../../src/track/attempt.js';
import { settled } from '../helpers/settled.js';
import { AttemptBatch, ERRNOS, MAX_SLOT_BYTES } from '../../src/track/wire.js';

const FIELDS = [
  'file',
  'fileIndex',
  'spans',
  'addrLen',
  'client4',
  'server4',
  'clientPort',
  'serverPort',
  'startSec',
  'startNsec',
  'startDigits',
  'firstFrame',
  'synCount',
  'answerKind',
  'answerSec',
  'answerNsec',
  'answerTtl',
  'icmpType',
  'icmpCode',
  'icmpVersion',
  'resetBy',
  'synAckDelay',
  'connectDelay',
  'frameCount',
  'tunnelKey',
  'doubt',
  'serverPackets',
  'unseenAcks',
] as const;

const attemptArb = fc.record({
  v6: fc.boolean(),
  addr: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  from: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }), { nil: null }),
  clientPort: fc.integer({ min: 0, max: 65535 }),
  serverPort: fc.integer({ min: 0, max: 65535 }),
  startSec: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  startNsec: fc.integer({ min: 0, max: 999_999_999 }),
  startDigits: fc.constantFrom(6, 9),
  frames: fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { minLength: 1, maxLength: 80 }),
  synCount: fc.integer({ min: 1, max: 1000 }),
  answerKind: fc.integer({ min: 0, max: 3 }),
  answerSec: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  answerNsec: fc.integer({ min: 0, max: 999_999_999 }),
  answerTtl: fc.integer({ min: -1, max: 255 }),
  icmpType: fc.integer({ min: -1, max: 255 }),
  icmpCode: fc.integer({ min: -1, max: 255 }),
  icmpVersion: fc.constantFrom(0, 4, 6),
  resetBy: fc.integer({ min: 0, max: 2 }),
  synAckDelay: fc.oneof(fc.constant(-1), fc.double({ min: 0, max: 1e4, noNaN: true })),
  connectDelay: fc.oneof(fc.constant(-1), fc.double({ min: 0, max: 1e4, noNaN: true })),
  doubt: fc.integer({ min: 0, max: 2 }),
  serverPackets: fc.nat(),
  unseenAcks: fc.nat(),
  outcome: fc.constantFrom(...OUTCOMES),
  errno: fc.option(fc.constantFrom(...ERRNOS), { nil: null }),
  fileIndex: fc.integer({ min: 0, max: 2 }),
  /** The input of each frame after the first (an attempt whose frames span inputs when they differ). */
  frameFiles: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 80, maxLength: 80 }),
  tunnelKind: fc.integer({ min: 0, max: 7 }),
  tunnelId: fc.integer({ min: -1, max: 2 ** 32 - 1 }),
  outerLen: fc.constantFrom(0, 4, 16),
  outer: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

const FILES = ['a.pcap', 'b.pcapng', 'c.pcap.gz'];

type AttemptInput = typeof attemptArb extends fc.Arbitrary<infer T> ? T : never;

function build(x: AttemptInput): SettledAttempt {
  const len = x.v6 ? 16 : 4;
  const a = settled({
    files: FILES,
    fileIndex: x.fileIndex,
    addr: Uint8Array.from(x.addr),
    len,
    clientPort: x.clientPort,
    serverPort: x.serverPort,
    startSec: x.startSec,
    startNsec: x.startNsec,
    startDigits: x.startDigits,
    firstFrame: x.frames[0]!,
  });
  a.frameFiles[0] = x.fileIndex;
  for (const f of x.frames.slice(1)) {
    if (a.frameCount >= MAX_FRAMES) break;
    const i = x.frameFiles[a.frameCount]!;
    a.frameFiles[a.frameCount] = i;
    if (i !== a.fileIndex) a.spans = true;
    a.frames[a.frameCount++] = f;
  }
  a.synCount = x.synCount;
  a.answerKind = x.answerKind;
  a.answerFrom = x.from === null ? null : Buffer.from(x.from);
  a.answerSec = x.answerSec;
  a.answerNsec = x.answerNsec;
  a.answerTtl = x.answerTtl;
  a.icmpType = x.icmpType;
  a.icmpCode = x.icmpCode;
  a.icmpVersion = x.icmpVersion;
  a.resetBy = x.resetBy;
  if (x.tunnelKind !== 0) {
    a.tunnelKey = x.tunnelKind * 2 ** 32 + Math.max(0, x.tunnelId);
    const c = new Carrier();
    c.kind = x.tunnelKind;
    c.id = x.tunnelId;
    c.outerLen = x.outerLen;
    c.outer.set(x.outer);
    a.carrier = c;
  }
  a.synAckDelay = x.synAckDelay;
  a.connectDelay = x.connectDelay;
  a.doubt = x.doubt;
  a.serverPackets = x.serverPackets;
  a.unseenAcks = x.unseenAcks;
  a.verdict = { outcome: x.outcome, errno: x.errno };
  return a;
}

describe('track/wire attempt slots', () => {
  it('every errno the reports name has a code', () => {
    assert.deepEqual([...ERRNOS].sort(), (Object.keys(ERRNO_MESSAGES) as ErrnoName[]).sort());
    assert.ok(ERRNOS.length < 16, 'an errno code fits in 4 bits');
  });

  it('reads back what was added: every field the report reads, the record it makes', () => {
    const files = FILES;
    const into = new SettledAttempt();
    const from = Buffer.alloc(16);
    fc.assert(
      fc.property(fc.array(attemptArb, { minLength: 1, maxLength: 12 }), (xs) => {
        const batch = new AttemptBatch(4 * MAX_SLOT_BYTES);
        const sent: SettledAttempt[] = [];
        for (const x of xs) {
          const a = build(x);
          if (!batch.add(a)) break;
          sent.push(a);
        }
        assert.ok(sent.length >= Math.min(xs.length, 4), 'a batch of 4 largest slots takes at least 4 attempts');
        // The receiving side gets the buffer and reuses one object: dirty it first.
        const got = new AttemptBatch(batch.buffer, batch.count, batch.used);
        Object.assign(into, { frameCount: 70, answerFrom: Buffer.alloc(16, 0xff), spans: true });
        for (const a of sent) {
          assert.ok(got.next(files, into, from));
          for (const k of FIELDS) assert.equal(into[k], a[k], k);
          assert.deepEqual(into.verdict, a.verdict);
          assert.deepEqual(into.frameList(), a.frameList());
          if (a.spans) assert.deepEqual(into.frameFiles.slice(0, into.frameCount), a.frameFiles.slice(0, a.frameCount));
          assert.deepEqual(into.addr.subarray(0, 2 * a.addrLen), a.addr.subarray(0, 2 * a.addrLen));
          if (a.carrier !== null) {
            const [c, d] = [a.carrier, into.carrier!];
            assert.deepEqual([d.kind, d.id, d.outerLen], [c.kind, c.id, c.outerLen], 'how it was carried');
            for (const at of [0, 16]) {
              assert.deepEqual(
                d.outer.subarray(at, at + c.outerLen),
                c.outer.subarray(at, at + c.outerLen),
                'outer endpoints',
              );
            }
          }
          if (a.answerFrom === null) assert.equal(into.answerFrom, null);
          else assert.deepEqual(into.answerFrom?.subarray(0, a.addrLen), a.answerFrom.subarray(0, a.addrLen));
          assert.deepEqual(toRecord(into), toRecord(a));
        }
        assert.equal(got.next(files, into, from), false, 'nothing after the last attempt');
      }),
      { numRuns: 500 },
    );
  });

  it('says when it is full, writes nothing then, and takes attempts again once cleared', () => {
    const a = settled({ clientPort: 1, serverPort: 2 });
    a.verdict = { outcome: 'dropped', errno: 'ETIMEDOUT' };
    a.frameFiles[0] = 0;
    for (let i = 1; i < MAX_FRAMES + 10; i++) {
      a.frameFiles[a.frameCount] = 1; // every frame after the first in another input: the largest slot
      a.frames[a.frameCount++] = i + 1;
    }
    a.frameCount = Math.min(a.frameCount, MAX_FRAMES);
    a.spans = true;
    const batch = new AttemptBatch(2 * MAX_SLOT_BYTES);
    assert.ok(batch.add(a));
    assert.ok(batch.add(a));
    const used = batch.used;
    assert.equal(batch.add(a), false);
    assert.equal(batch.used, used);
    assert.equal(batch.count, 2);
    const into = new SettledAttempt();
    const got = new AttemptBatch(batch.buffer, batch.count, batch.used);
    assert.ok(got.next(['f', 'g'], into, Buffer.alloc(16)));
    assert.equal(into.frameCount, MAX_FRAMES, 'at most MAX_FRAMES frame numbers travel');
    batch.clear();
    assert.equal(batch.count, 0);
    assert.ok(batch.add(a));
  });

  it('shares one verdict object per outcome and errno', () => {
    const batch = new AttemptBatch(2 * MAX_SLOT_BYTES);
    const a = settled({ clientPort: 1, serverPort: 2 });
    a.verdict = { outcome: 'refused', errno: 'ECONNREFUSED' };
    batch.add(a);
    batch.add(a);
    const got = new AttemptBatch(batch.buffer, batch.count, batch.used);
    const x = new SettledAttempt();
    const y = new SettledAttempt();
    got.next(['f'], x, Buffer.alloc(16));
    got.next(['f'], y, Buffer.alloc(16));
    assert.equal(x.verdict, y.verdict);
  });
});
