// UTF-8 output written straight into one reused Buffer: ASCII text, integers and JSON strings
// byte by byte, so a record becomes bytes without intermediate strings. For the json/ndjson
// reporters, which write hundreds of thousands of records.

/** Thousandths (k of k / 1000) below this are written by thousandths(). */
const MAX_THOUSANDTHS = 2 ** 43;
/** Strings up to this long are copied by a charCodeAt loop, longer ones by Buffer#write. */
const SHORT_STRING = 16;
/** Integers up to this are written digit by digit; anything else goes through String(). */
const MAX_DIGIT_INT = Number.MAX_SAFE_INTEGER;

/** Fixed text encoded once: as it is, and as it reads inside a JSON string (escaped, without the quotes). */
export interface Piece {
  readonly raw: Buffer;
  readonly json: Buffer;
}

export function piece(text: string): Piece {
  return { raw: Buffer.from(text), json: Buffer.from(JSON.stringify(text).slice(1, -1)) };
}

/** The decimal digits of an octet (0..255) at b[p...]; returns the position after them. */
function octet(b: Uint8Array, p: number, v: number): number {
  if (v >= 100) {
    const h = (v / 100) | 0;
    const t = ((v - h * 100) / 10) | 0;
    b[p] = 48 + h;
    b[p + 1] = 48 + t;
    b[p + 2] = 48 + v - h * 100 - t * 10;
    return p + 3;
  }
  if (v >= 10) {
    const t = (v / 10) | 0;
    b[p] = 48 + t;
    b[p + 1] = 48 + v - t * 10;
    return p + 2;
  }
  b[p] = 48 + v;
  return p + 1;
}

const HEX = Buffer.from('0123456789abcdef');

/** A 16-bit group in lowercase hex without leading zeros at b[p...]; returns the position after it. */
function hexGroup(b: Uint8Array, p: number, g: number): number {
  if (g >= 0x1000) b[p++] = HEX[g >>> 12]!;
  if (g >= 0x100) b[p++] = HEX[(g >>> 8) & 0xf]!;
  if (g >= 0x10) b[p++] = HEX[(g >>> 4) & 0xf]!;
  b[p++] = HEX[g & 0xf]!;
  return p;
}

/**
 * The IPv6 address at src[off, off + 16) as RFC 5952 §4 writes it — lowercase hex, no leading zeros,
 * the longest run of two or more zero groups as "::" (the first on a tie), and an IPv4-mapped address
 * as ::ffff:a.b.c.d (§5) — at b[p...] (at most 39 bytes); returns the position after it.
 */
export function writeIp6(b: Uint8Array, p: number, src: Uint8Array, off: number): number {
  let mapped = src[off + 10] === 0xff && src[off + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) if (src[off + i] !== 0) mapped = false;
  if (mapped) {
    // "::ffff:"
    b[p++] = 0x3a;
    b[p++] = 0x3a;
    for (let i = 0; i < 4; i++) b[p++] = 0x66;
    for (let i = 12; i < 16; i++) {
      b[p++] = i === 12 ? 0x3a : 0x2e;
      p = octet(b, p, src[off + i]!);
    }
    return p;
  }
  // §4.2.1: "the use of the symbol '::' MUST be used to its maximum capability"; §4.2.2: not for one
  // 16-bit 0 field; §4.2.3: on a tie, the first run.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (src[off + 2 * i] !== 0 || src[off + 2 * i + 1] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && src[off + 2 * j] === 0 && src[off + 2 * j + 1] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      b[p++] = 0x3a;
      b[p++] = 0x3a;
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLen) b[p++] = 0x3a;
    p = hexGroup(b, p, (src[off + 2 * i]! << 8) | src[off + 2 * i + 1]!);
  }
  return p;
}

export class ByteOut {
  buf: Buffer;
  pos = 0;

  constructor(size = 4096) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Text known to be printable ASCII that needs no escaping (names, addresses, ISO times). */
  ascii(s: string): void {
    const n = s.length;
    this.reserve(n);
    if (n > SHORT_STRING) {
      // Longer strings are often concatenations (V8 cons strings), which a charCodeAt loop walks slowly.
      this.pos += this.buf.write(s, this.pos, 'latin1');
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Bytes already encoded: up to 16 a loop beats TypedArray#set (its call costs ~20 ns), past that set() wins. */
  bytes(src: Uint8Array): void {
    const n = src.length;
    this.reserve(n);
    if (n > 16) {
      this.buf.set(src, this.pos);
      this.pos += n;
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = src[i]!;
    this.pos = p;
  }

  /** The dotted quad of an IPv4 address held as a 32-bit integer (signed or not), as ip4Text() writes it. */
  ip4(x: number): void {
    this.reserve(15);
    const b = this.buf;
    let p = octet(b, this.pos, x >>> 24);
    b[p++] = 0x2e;
    p = octet(b, p, (x >>> 16) & 0xff);
    b[p++] = 0x2e;
    p = octet(b, p, (x >>> 8) & 0xff);
    b[p++] = 0x2e;
    this.pos = octet(b, p, x & 0xff);
  }

  /** The IPv6 address at src[off, off + 16), as writeIp6() writes it. */
  ip6(src: Uint8Array, off: number): void {
    this.reserve(39);
    this.pos = writeIp6(this.buf, this.pos, src, off);
  }

  /** A number as JSON (and String()) writes it. */
  number(x: number): void {
    if (!(x >= 0 && x <= MAX_DIGIT_INT && Math.floor(x) === x)) {
      const k = Math.round(x * 1000);
      if (x > 0 && k < MAX_THOUSANDTHS && k / 1000 === x) {
        this.thousandths(k);
        return;
      }
      this.ascii(String(x));
      return;
    }
    this.uint(x);
  }

  /**
   * k / 1000 as String() writes it (milliseconds rounded to the microsecond): the integer part,
   * a point and the fraction without trailing zeros. Below 2^43 / 1000 a double's spacing is under
   * 2e-6, far finer than 0.001: no shorter decimal reads back as the same double, so that is the
   * shortest round-trip form String() must choose.
   */
  private thousandths(k: number): void {
    const whole = Math.floor(k / 1000);
    let frac = k - whole * 1000;
    this.uint(whole);
    if (frac === 0) return;
    this.reserve(4);
    const b = this.buf;
    b[this.pos++] = 0x2e;
    let width = 3;
    while (frac % 10 === 0) {
      frac /= 10;
      width--;
    }
    for (let d = width - 1, f = frac; d >= 0; d--) {
      const q = Math.floor(f / 10);
      b[this.pos + d] = 48 + (f - q * 10);
      f = q;
    }
    this.pos += width;
  }

  /**
   * A non-negative integer up to 2^53 (a port, a count, a frame number: the caller knows it is one),
   * digit by digit (int32 arithmetic below 2^31).
   */
  uint(x: number): void {
    this.reserve(16);
    const b = this.buf;
    if (x < 0x80000000) {
      let v = x | 0;
      const n =
        v < 10
          ? 1
          : v < 100
            ? 2
            : v < 1000
              ? 3
              : v < 10000
                ? 4
                : v < 100000
                  ? 5
                  : v < 1000000
                    ? 6
                    : v < 10000000
                      ? 7
                      : v < 100000000
                        ? 8
                        : v < 1000000000
                          ? 9
                          : 10;
      let p = this.pos + n;
      this.pos = p;
      do {
        const q = (v / 10) | 0;
        b[--p] = 48 + v - q * 10;
        v = q;
      } while (v > 0);
      return;
    }
    let digits = 1;
    for (let v = x; v >= 10; v = Math.floor(v / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let v = x;
    do {
      const q = Math.floor(v / 10);
      b[--p] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
  }

  /**
   * JSON.stringify(s). The text is encoded in one call, then its bytes are checked: plain ASCII
   * only needs a backslash before each quote and backslash (shifted in place from the end);
   * anything else (control characters, non-ASCII) goes through JSON.stringify.
   */
  jsonString(s: string): void {
    const n = s.length;
    this.reserve(3 * n + 2);
    const b = this.buf;
    const start = this.pos;
    b[start] = 0x22;
    const written = b.write(s, start + 1, 'utf8');
    const end = start + 1 + written;
    let extra = 0;
    let plain = written === n; // one byte per character: ASCII only
    for (let i = start + 1; plain && i < end; i++) {
      const c = b[i]!;
      if (c < 0x20) plain = false;
      else if (c === 0x22 || c === 0x5c) extra++;
    }
    if (!plain) {
      // Rare: let JSON.stringify do the escaping (lone surrogates included).
      this.pos = start;
      this.text(JSON.stringify(s));
      return;
    }
    if (extra > 0) {
      // extra <= n, and 3n + 2 bytes were reserved: the shifted text fits.
      let j = end + extra;
      for (let i = end - 1; i > start; i--) {
        const c = b[i]!;
        b[--j] = c;
        if (c === 0x22 || c === 0x5c) b[--j] = 0x5c;
      }
    }
    b[end + extra] = 0x22;
    this.pos = end + extra + 1;
  }

  /** Any text, UTF-8 encoded. */
  text(s: string): void {
    this.reserve(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}
