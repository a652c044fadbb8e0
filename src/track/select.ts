// Which attempts a run keeps: --host (addresses and networks), --port (lists and ranges) and
// --since / --until (the attempt's start). Plain data and
// matchers that compare in place: nothing is allocated per packet.

/** Bytes per network in HostNets: address length (4 or 16), prefix bits, then 16 address bytes. */
export const NET_BYTES = 18;

/** --host: networks packed NET_BYTES each; a plain address is a network of 32 or 128 bits. */
export type HostNets = Uint8Array;

/** --port: 65536 bytes, 1 for each selected port. */
export type PortSet = Uint8Array;

/** How a --since / --until time was given. */
export const TIME_ABSOLUTE = 0;
/** Seconds into the capture's first day (UTC). */
export const TIME_OF_DAY = 1;
/** Seconds after the capture's first packet. */
export const TIME_OFFSET = 2;

export interface TimeSpec {
  readonly kind: number;
  readonly sec: number;
  readonly nsec: number;
}

export interface Selection {
  readonly hosts: HostNets | null;
  readonly ports: PortSet | null;
  readonly since: TimeSpec | null;
  readonly until: TimeSpec | null;
}

export const SELECT_ALL: Selection = { hosts: null, ports: null, since: null, until: null };

/** Whether the `len` address bytes at buf[off] are inside one of the networks. */
export function hostMatch(nets: HostNets, buf: Uint8Array, off: number, len: number): boolean {
  for (let e = 0; e < nets.length; e += NET_BYTES) {
    if (nets[e] !== len) continue;
    const bits = nets[e + 1]!;
    const full = bits >>> 3;
    let i = 0;
    while (i < full && buf[off + i] === nets[e + 2 + i]) i++;
    if (i < full) continue;
    const rest = bits & 7;
    if (rest === 0) return true;
    if (((buf[off + full]! ^ nets[e + 2 + full]!) & (0xff00 >>> rest) & 0xff) === 0) return true;
  }
  return false;
}

/**
 * --since / --until on the attempts' start: since ≤ start < until. Times of day and offsets are
 * resolved against the capture's first packet, which anchor() is given (once; later calls, as
 * from the next input file, are ignored).
 */
export class TimeWindow {
  private readonly since: TimeSpec | null;
  private readonly until: TimeSpec | null;
  private anchored = false;
  private sinceSec = Number.NEGATIVE_INFINITY;
  private sinceNsec = 0;
  private untilSec = Number.POSITIVE_INFINITY;
  private untilNsec = 0;

  constructor(since: TimeSpec | null, until: TimeSpec | null) {
    this.since = since;
    this.until = until;
  }

  /** The first packet's time. */
  anchor(sec: number, nsec: number): void {
    if (this.anchored) return;
    this.anchored = true;
    if (this.since !== null) [this.sinceSec, this.sinceNsec] = resolve(this.since, sec, nsec);
    if (this.until !== null) [this.untilSec, this.untilNsec] = resolve(this.until, sec, nsec);
  }

  /** Whether an attempt that started at sec/nsec is selected. */
  has(sec: number, nsec: number): boolean {
    if (sec < this.sinceSec || (sec === this.sinceSec && nsec < this.sinceNsec)) return false;
    return sec < this.untilSec || (sec === this.untilSec && nsec < this.untilNsec);
  }
}

/** A time spec as absolute seconds and nanoseconds, given the first packet's time. */
export function resolve(t: TimeSpec, sec: number, nsec: number): [number, number] {
  if (t.kind === TIME_ABSOLUTE) return [t.sec, t.nsec];
  if (t.kind === TIME_OF_DAY) return [sec - (sec % 86400) + t.sec, t.nsec];
  let s = sec + t.sec;
  let n = nsec + t.nsec;
  if (n >= 1e9) {
    s++;
    n -= 1e9;
  }
  return [s, n];
}
