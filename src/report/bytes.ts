// UTF-8 output written straight into one reused Buffer: ASCII text, integers and JSON strings
// byte by byte, so a record becomes bytes without intermediate strings. For the json/ndjson
// reporters, which write hundreds of thousands of records.

/** Integers up to this are written digit by digit; anything else goes through String(). */
const MAX_DIGIT_INT = Number.MAX_SAFE_INTEGER;

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
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Bytes already encoded. */
  bytes(src: Uint8Array): void {
    this.reserve(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** A number as JSON (and String()) writes it. */
  number(x: number): void {
    if (!(x >= 0 && x <= MAX_DIGIT_INT && Math.floor(x) === x)) {
      this.ascii(String(x));
      return;
    }
    this.reserve(16);
    const b = this.buf;
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

  /** JSON.stringify(s): plain ASCII byte by byte, anything else (controls, non-ASCII) through JSON.stringify. */
  jsonString(s: string): void {
    const n = s.length;
    this.reserve(2 * n + 2);
    const b = this.buf;
    const start = this.pos;
    let p = start;
    b[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0x7f) {
        if (c === 0x22 || c === 0x5c) b[p++] = 0x5c;
        b[p++] = c;
      } else {
        // Rare: let JSON.stringify do the escaping and UTF-8 encoding (lone surrogates included).
        this.pos = start;
        this.text(JSON.stringify(s));
        return;
      }
    }
    b[p++] = 0x22;
    this.pos = p;
  }

  /** Any text, UTF-8 encoded. */
  text(s: string): void {
    this.reserve(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}
