// decode/address.ts: dotted quads and RFC 5952 canonical IPv6 text, and parsing both back (--host).
// The WHATWG URL parser, which also writes RFC 5952 text, is the oracle for random addresses.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { formatIp, ip4Text, parseIp } from '../../src/report/address.js';
import { ip4At } from '../../src/track/table.js';

const format = (text: string): string => {
  const bytes = parseIp(text);
  if (bytes === null) throw new assert.AssertionError({ message: `does not parse: ${text}` });
  return formatIp(bytes, 0, bytes.length);
};

/** RFC 5952 (and Wikipedia / RFC 4291 examples): written form → canonical form. */
const VECTORS: ReadonlyArray<readonly [string, string]> = [
  ['2001:db8::1', '2001:db8::1'],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3: first of two equal runs
  ['2001:db8:0:0:0::1', '2001:db8::1'],
  ['2001:db8::0:1', '2001:db8::1'],
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2: a single 0 field stays
  ['2001:db8::1:0:0:0:1', '2001:db8:0:1::1'], // §4.2.1: the longest run
  ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3: the longer run, not the first
  ['2001:DB8::AAAA:1', '2001:db8::aaaa:1'], // §4.3: lowercase
  ['2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1'], // §4.1: no leading zeros
  ['::', '::'],
  ['::1', '::1'],
  ['0:0:0:0:0:0:0:1', '::1'],
  ['fe80::', 'fe80::'],
  ['fe80:0:0:0:0:0:0:0', 'fe80::'],
  ['1::', '1::'],
  ['1:0:0:0:0:0:0:0', '1::'],
  ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
  ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // §5: IPv4-mapped keeps the dotted quad
  ['::ffff:c000:0201', '::ffff:192.0.2.1'],
  ['0:0:0:0:0:ffff:10.0.0.5', '::ffff:10.0.0.5'],
  ['::192.0.2.1', '::c000:201'], // IPv4-compatible (deprecated) is plain hex
  ['fe80::1%eth0', 'fe80::1'], // the zone is dropped
  ['192.0.2.1', '192.0.2.1'],
  ['0.0.0.0', '0.0.0.0'],
  ['255.255.255.255', '255.255.255.255'],
];

const INVALID = [
  '',
  '1.2.3',
  '1.2.3.4.5',
  '256.1.1.1',
  '01.2.3.4',
  '1.2.3.-4',
  ' 1.2.3.4',
  ':',
  ':::',
  '1::2::3',
  '1:2:3:4:5:6:7:8:9',
  '1:2:3:4:5:6:7',
  '1:2:3:4:5:6:7:8::',
  '12345::',
  'g::1',
  ':1:2:3:4:5:6:7',
  '1:2:3:4:5:6:7:',
  '1.2.3.4::',
  '::1.2.3',
  '::ffff:1.2.3.256',
  '::1%',
  'localhost',
];

describe('decode/address', () => {
  describe('RFC 5952 vectors', () => {
    for (const [written, canonical] of VECTORS) {
      it(`${written} → ${canonical}`, () => {
        assert.equal(format(written), canonical);
        assert.equal(format(canonical), canonical, 'canonical text is a fixed point');
      });
    }
  });

  it('parses into 4 or 16 bytes', () => {
    assert.deepEqual(parseIp('10.0.0.5'), Buffer.from([10, 0, 0, 5]));
    assert.deepEqual(parseIp('2001:db8::1'), Buffer.from('20010db8000000000000000000000001', 'hex'));
    assert.deepEqual(parseIp('::ffff:1.2.3.4'), Buffer.from('00000000000000000000ffff01020304', 'hex'));
  });

  it('refuses what is not an address', () => {
    for (const text of INVALID) assert.equal(parseIp(text), null, JSON.stringify(text));
  });

  it('formats an address at an offset inside a frame', () => {
    const frame = Buffer.concat([Buffer.alloc(7, 0xaa), Buffer.from([192, 0, 2, 33]), Buffer.alloc(3, 0xbb)]);
    assert.equal(formatIp(frame, 7, 4), '192.0.2.33');
  });

  it('refuses an address length other than 4 or 16 (a bug, not a packet)', () => {
    assert.throws(() => formatIp(Buffer.alloc(8), 0, 8), RangeError);
  });

  describe('properties', () => {
    // Addresses made mostly of zero groups, so "::" runs of every length and position occur.
    const groups = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    });
    const toBytes = (g: number[]): Buffer => {
      const b = Buffer.alloc(16);
      g.forEach((v, i) => b.writeUInt16BE(v, 2 * i));
      return b;
    };
    const isMapped = (b: Buffer): boolean =>
      b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

    it('formatIp agrees with the WHATWG URL serializer (RFC 5952 compression), IPv4-mapped aside', () => {
      fc.assert(
        fc.property(groups, (g) => {
          const bytes = toBytes(g);
          fc.pre(!isMapped(bytes));
          const text = formatIp(bytes, 0, 16);
          assert.equal(`[${text}]`, new URL(`http://[${text}]/`).hostname);
        }),
        { numRuns: 2000 },
      );
    });

    it('parseIp(formatIp(bytes)) gives the bytes back, v4 and v6', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            groups.map(toBytes),
            fc.uint8Array({ minLength: 4, maxLength: 4 }).map((a) => Buffer.from(a)),
          ),
          (bytes) => {
            assert.deepEqual(parseIp(formatIp(bytes, 0, bytes.length)), bytes);
          },
        ),
        { numRuns: 2000 },
      );
    });
  });

  it('ip4Text of the address as an integer equals formatIp of its bytes, through the cache and past its size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
        const b = Buffer.from(bytes);
        return ip4Text(ip4At(b, 0)) === formatIp(b, 0, 4) && ip4Text(ip4At(b, 0)) === formatIp(b, 0, 4);
      }),
      { numRuns: 5000 },
    );
    const b = Buffer.alloc(4);
    for (let i = 0; i < 70_000; i++) {
      b.writeUInt32BE((i * 2654435761) >>> 0);
      assert.equal(ip4Text(ip4At(b, 0)), formatIp(b, 0, 4));
    }
  });
});
