// Address text, only when a verdict is printed or an option is parsed (never per packet): IPv4 dotted quad,
// IPv6 in RFC 5952 canonical form, and parsing both back for --host. Decoders only ever keep offsets.

import { ip4At } from '../track/table.js';
import { writeIp6 } from './bytes.js';

/** Room for the longest IPv6 text (39 characters). */
const IP6_TEXT = Buffer.alloc(48);

/**
 * The text form of the 4- or 16-byte address at buf[off, off + len): a dotted quad, or IPv6 as RFC 5952
 * §4 writes it — lowercase hex, no leading zeros, the longest run of two or more zero groups as "::"
 * (the first on a tie), and an IPv4-mapped address as ::ffff:a.b.c.d (§5).
 */
export function formatIp(buf: Buffer, off: number, len: number): string {
  if (len === 4) return ip4Text(ip4At(buf, off));
  if (len !== 16) throw new RangeError(`an IP address is 4 or 16 bytes, not ${len}`);
  return IP6_TEXT.toString('latin1', 0, writeIp6(IP6_TEXT, 0, buf, off));
}

/** Dotted quads already formatted, by address as a 32-bit integer; emptied when full. */
const ip4Texts = new Map<number, string>();
const IP4_TEXTS_MAX = 65536;

/**
 * The dotted quad of an IPv4 address held as a 32-bit integer (Attempt.client4 / server4), from a
 * bounded cache: a capture's clients repeat, and each text built is a handful of short strings.
 */
export function ip4Text(x: number): string {
  let t = ip4Texts.get(x);
  if (t === undefined) {
    if (ip4Texts.size >= IP4_TEXTS_MAX) ip4Texts.clear();
    t = `${x >>> 24}.${(x >>> 16) & 0xff}.${(x >>> 8) & 0xff}.${x & 0xff}`;
    ip4Texts.set(x, t);
  }
  return t;
}

const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Writes the dotted quad `text` at out[at..at+3]; false when it is not one (leading zeros are refused, as
 * inet_pton does).
 */
function parseDottedQuad(text: string, out: Buffer, at: number): boolean {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return false;
  for (let i = 0; i < 4; i++) {
    const n = Number(m[i + 1]);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

/** Parses a ':'-separated run of groups (the last may be a dotted quad when allowed) into 16-bit values. */
function parseGroups(text: string, allowQuad: boolean): number[] | null {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (allowQuad && i === parts.length - 1 && part.includes('.')) {
      const quad = Buffer.alloc(4);
      if (!parseDottedQuad(part, quad, 0)) return null;
      groups.push((quad[0] << 8) | quad[1], (quad[2] << 8) | quad[3]);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

/**
 * The bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) address written as text — every RFC 4291 §2.2
 * form: full, "::"-compressed, with a trailing dotted quad (::ffff:192.0.2.1). A zone ("%eth0") is
 * dropped: captures do not record it. null when the text is not an address.
 */
export function parseIp(text: string): Buffer | null {
  if (!text.includes(':')) {
    const out = Buffer.alloc(4);
    return parseDottedQuad(text, out, 0) ? out : null;
  }
  const zone = text.indexOf('%');
  const addr = zone >= 0 ? text.slice(0, zone) : text;
  if (zone >= 0 && zone === text.length - 1) return null;

  const gap = addr.indexOf('::');
  let groups: number[];
  if (gap < 0) {
    const all = parseGroups(addr, true);
    if (all === null || all.length !== 8) return null;
    groups = all;
  } else {
    // RFC 4291 §2.2: "The '::' can only appear once in an address."
    if (addr.indexOf('::', gap + 1) >= 0) return null;
    const head = parseGroups(addr.slice(0, gap), false);
    const tail = parseGroups(addr.slice(gap + 2), true);
    // "::" stands for one or more zero groups.
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i] >> 8;
    out[2 * i + 1] = groups[i] & 0xff;
  }
  return out;
}
