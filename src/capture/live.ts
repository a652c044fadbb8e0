// Live capture through libpcap (the npm addon `cap`, loaded only when `live` or `interfaces` runs, so
// `read` works without libpcap): frames out of one reused packet buffer, stamped on arrival. Protocols above the link layer are decode's.
//
// Limitations:
// - `cap` hands over neither libpcap's timestamp nor the wire length: each packet is stamped when node
//   reads it (see LiveSource.stamp) and origLen is the captured length. Packets queued in the kernel
//   while node was busy get stamps a little late, all in order; `afterMs` is then an upper bound.
// - `cap` does not expose pcap_stats(): packets the kernel dropped before libpcap read them are not counted.
// - `cap` prints "Warning: ... This may not actually work" on stderr when the interface has no IPv4
//   address (pcap_lookupnet fails); capturing works all the same.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { LiveCaptureUnavailableError } from '../errors.js';
import {
  Frame, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP,
  LINKTYPE_NULL, LINKTYPE_RAW, linkTypeOfDlt, type CaptureFormat, type FrameHandler, type FrameSource,
} from './source.js';

// ---------------------------------------------------------------------------------------------
// what synscope uses of `cap` (lib/Cap.js + src/binding.cc, v0.2.1)

/** One address of a device as pcap_findalldevs() reports it (text from inet_ntop). */
export interface CapAddress {
  addr?: string;
  netmask?: string;
  broadaddr?: string;
  dstaddr?: string;
}

export interface CapDevice {
  name: string;
  description?: string;
  addresses: CapAddress[];
  /** "PCAP_IF_LOOPBACK" for loopback devices. */
  flags?: string;
}

/** A `cap` capture handle (an EventEmitter). */
export interface CapHandle {
  /**
   * pcap_create + pcap_activate (snaplen 65535, promiscuous, immediate mode) + the filter, then polls the
   * fd. Returns the link type name ("ETHERNET", "LINKTYPE_LINUX_SLL", "RAW", "NULL", "Unknown linktype N").
   * Throws an Error with libpcap's message. After a throw the handle must be neither closed nor reopened:
   * cap 0.2.1 would stop a poll handle it never started and unref a wrapper it never ref'd.
   */
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export interface CapModule {
  Cap: { new(): CapHandle; deviceList(): CapDevice[] };
}

function isCapModule(m: unknown): m is CapModule {
  if (typeof m !== 'object' || m === null || !('Cap' in m)) return false;
  const cap: unknown = m.Cap;
  return typeof cap === 'function' && 'deviceList' in cap && typeof cap.deviceList === 'function';
}

/** The one-line fix shown whenever libpcap or `cap` is missing. */
export const LIBPCAP_FIX = 'apt-get install libpcap-dev && npm rebuild cap '
  + '(dnf install libpcap-devel on Fedora/RHEL; npm install cap if node_modules/cap is missing)';

let loaded: CapModule | null = null;

/**
 * Loads `cap` (and through it libpcap) on first use. Throws LiveCaptureUnavailableError (E_NO_LIBPCAP)
 * naming what to install. `specifier` is for tests.
 */
export function loadCap(specifier = 'cap'): CapModule {
  if (specifier === 'cap' && loaded !== null) return loaded;
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)(specifier);
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
    throw new LiveCaptureUnavailableError('E_NO_LIBPCAP',
      `live capture needs libpcap and the npm addon "${specifier}", which cannot be loaded (${reason}); install them: ${LIBPCAP_FIX}`,
      { cause: e });
  }
  if (!isCapModule(mod)) {
    throw new LiveCaptureUnavailableError('E_NO_LIBPCAP',
      `the npm module "${specifier}" is not the libpcap binding synscope expects (cap 0.2); reinstall it: ${LIBPCAP_FIX}`);
  }
  if (specifier === 'cap') loaded = mod;
  return mod;
}

// ---------------------------------------------------------------------------------------------
// link types and filters

/** Link type names cap's open() returns (its own switch over pcap_datalink()), as LINKTYPE_* values. */
const CAP_LINK_TYPES: ReadonlyMap<string, number> = new Map([
  ['NULL', LINKTYPE_NULL],
  ['ETHERNET', LINKTYPE_ETHERNET],
  ['RAW', LINKTYPE_RAW],
  ['LINKTYPE_LINUX_SLL', LINKTYPE_LINUX_SLL],
  ['LINUX_SLL', LINKTYPE_LINUX_SLL],
  ['IEEE802_11_RADIO', 127],
]);

/** Link types decode/link.ts decodes. */
const DECODABLE: ReadonlySet<number> = new Set([
  LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL2,
]);

/** LINKTYPE_* of the name cap's open() returned, or -1 when it names none. */
export function capLinkType(name: string): number {
  const known = CAP_LINK_TYPES.get(name);
  if (known !== undefined) return known;
  const m = /^Unknown linktype (\d+)$/.exec(name);
  if (m === null) return -1;
  const dlt = Number(m[1]);
  return linkTypeOfDlt(dlt);
}

/**
 * What the tracker needs: TCP, and the ICMP / ICMPv6 errors that quote it. Protocol keywords only:
 * libpcap 1.10 compiles `tcp[13]`-style byte offsets for IPv4 alone, so they would hide IPv6 handshakes.
 */
export const BASE_FILTER = 'tcp or icmp or icmp6';

/**
 * The default filter for an interface: BASE_FILTER, plus the same inside a VLAN tag on Ethernet (Linux
 * moves an outer tag to metadata, where `vlan` finds it; an inner QinQ tag stays in the frame). Linux
 * cooked capture (`any`) has no VLAN support in libpcap's compiler, so it gets BASE_FILTER alone.
 */
export function defaultFilter(iface: string, arphrdType: number): string {
  // ARPHRD_ETHER = 1, ARPHRD_LOOPBACK = 772 (libpcap gives loopback DLT_EN10MB on Linux).
  if (iface !== 'any' && (arphrdType === 1 || arphrdType === 772)) return `${BASE_FILTER} or (vlan and (${BASE_FILTER}))`;
  return BASE_FILTER;
}

// ---------------------------------------------------------------------------------------------
// errors

/** The fix for a capture refused for lack of privilege. */
export const PERMISSION_FIX = 'run synscope as root, or let node capture: '
  + 'sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))';

/** Activation failures (pcap_activate) by libpcap's message; anything else with a filter given is the filter's. */
const PERMISSION_RE = /permission|not permitted|EPERM|EACCES|Access denied/i;
const NO_DEVICE_RE = /no such device|doesn't exist|does not exist/i;
const ACTIVATE_RE = /^(socket|SIOC|setsockopt|bind|ioctl|mmap|can't mmap|Can't create|Failed to|That device|Error|attempt)/;

/**
 * Turns the Error cap's open() threw into the LiveCaptureUnavailableError that says what to do.
 * `devices` are the interface names to suggest; `userFilter` says whether the filter came from --filter.
 */
export function openError(iface: string, filter: string, userFilter: boolean, e: unknown, devices: readonly string[]): LiveCaptureUnavailableError {
  const msg = (e instanceof Error ? e.message : String(e)).trim();
  if (PERMISSION_RE.test(msg)) {
    return new LiveCaptureUnavailableError('E_LIVE_PERMISSION',
      `no permission to capture on ${iface} (libpcap: ${msg}); ${PERMISSION_FIX}`, { cause: e });
  }
  if (NO_DEVICE_RE.test(msg)) return unknownInterface(iface, devices, e);
  if (filter !== '' && !ACTIVATE_RE.test(msg)) {
    if (userFilter) {
      return new LiveCaptureUnavailableError('E_LIVE_FILTER',
        `bad --filter '${filter}': ${msg} (pcap-filter(7) syntax, as tcpdump takes it)`, { cause: e });
    }
    return new LiveCaptureUnavailableError('E_LIVE_FILTER',
      `libpcap cannot filter TCP and ICMP on ${iface} (${msg}); capture on an Ethernet interface or -i any, or give --filter`,
      { cause: e });
  }
  return new LiveCaptureUnavailableError('E_LIVE', `cannot capture on ${iface}: ${msg}`, { cause: e });
}

export function unknownInterface(iface: string, devices: readonly string[], cause?: unknown): LiveCaptureUnavailableError {
  const list = devices.length > 0 ? devices.join(', ') : 'none found';
  return new LiveCaptureUnavailableError('E_LIVE_INTERFACE',
    `no interface '${iface}' to capture on; this host has: ${list} (synscope interfaces lists them with their addresses)`,
    cause === undefined ? undefined : { cause });
}

// ---------------------------------------------------------------------------------------------
// the source

/** cap's packet buffer: libpcap's snaplen is 65535 (binding.cc), so one buffer holds any packet. */
export const PACKET_BUFFER_BYTES = 65536;
/**
 * libpcap's kernel ring (pcap_set_buffer_size), MiB. cap turns on immediate mode, so libpcap uses
 * TPACKET_V2: one fixed slot per packet, sized for the largest packet (~64 KiB on an interface with
 * GRO) and rounded up to a 128 KiB block, so 32 MiB hold ~500 packets of any size, and the ring maps
 * ~64 MiB into the process (it shows in RSS). Measured with scripts/bench-live.ts (2 CPUs shared with
 * the client): 16 MiB lost packets at 6000 attempts/s, 32 MiB kept every verdict at 4000-8000/s,
 * 64 MiB up to the client's 12 500/s. --buffer-size raises it.
 */
export const DEFAULT_RING_MIB = 32;

export interface LiveOpenOptions {
  /** --filter; null for defaultFilter(). */
  readonly filter: string | null;
  /** Stop after this many packets (--count); 0 for no limit. */
  readonly count?: number;
  /** Kernel ring size in MiB (--buffer-size); DEFAULT_RING_MIB by default. */
  readonly ringMiB?: number;
  /** The `cap` module (tests inject one); loadCap() by default. */
  readonly cap?: CapModule;
}

/**
 * Every cap handle ever created, kept referenced so that none is ever garbage-collected. cap 0.2.1's
 * close() stops its uv_poll_t but never uv_close()s it, so the handle stays on libuv's handle queue; if
 * the wrapper were collected, its destructor would free memory the event loop still links to (in a long
 * test run this crashed node later, far from here). A failed open() leaves a handle whose destructor
 * would stop a poll it never started. One handle per capture: the list stays tiny.
 */
const RETAINED_HANDLES: CapHandle[] = [];

/** Reads /sys/class/net/<iface>/type (ARPHRD_*), -1 when unknown. */
type ArphrdReader = (iface: string) => number;

export class LiveSource implements FrameSource {
  /** The interface name, as given. */
  readonly name: string;
  readonly format: CaptureFormat = 'live';
  readonly gzip = false;
  readonly linkTypes: readonly number[];
  /** LINKTYPE_* of the interface. */
  readonly linkType: number;
  /** The BPF filter in use. */
  readonly filter: string;
  /** Packets delivered so far (= the latest frame number). */
  packets = 0;
  /** Packets longer than the buffer, delivered cut short. */
  truncated = 0;
  /** Stop after this many packets; 0 for no limit. */
  readonly count: number;
  /** Latest reading of the capture clock (readClock()): seconds and nanoseconds since the epoch. */
  clockSec = 0;
  clockNsec = 0;

  /** The packet buffer cap copies into. cap keeps only a raw pointer to it: this reference keeps it alive. */
  readonly buffer: Buffer;
  private handle: CapHandle | null;
  private readonly frame = new Frame();
  private readonly anchorSec: number;
  private readonly anchorNsec: number;
  private readonly anchorPerf: number;
  private onFrame: FrameHandler | null = null;
  private finished = false;
  private settle: ((e: unknown) => void) | null = null;
  private failure: unknown = null;

  private constructor(name: string, handle: CapHandle, buffer: Buffer, linkType: number, filter: string, count: number) {
    this.name = name;
    this.handle = handle;
    this.buffer = buffer;
    this.linkType = linkType;
    this.linkTypes = [linkType];
    this.filter = filter;
    this.count = count;
    const f = this.frame;
    f.data = buffer;
    f.offset = 0;
    f.linkType = linkType;
    f.tsDigits = 6;
    f.interfaceId = 0;
    // Anchor the monotonic clock to wall time once; every stamp is anchor + monotonic elapsed time,
    // so stamps never go backwards when NTP steps the wall clock.
    const wall = Date.now();
    this.anchorPerf = performance.now();
    this.anchorSec = Math.floor(wall / 1000);
    this.anchorNsec = (wall - this.anchorSec * 1000) * 1_000_000;
    this.readClock();
    handle.on('packet', this.onPacket);
  }

  /**
   * Opens `iface` for capture. Throws LiveCaptureUnavailableError: E_NO_LIBPCAP (cap or libpcap missing),
   * E_LIVE_INTERFACE (no such interface, naming the real ones), E_LIVE_PERMISSION (not root / no
   * CAP_NET_RAW), E_LIVE_FILTER (libpcap's message), E_LIVE (a link type synscope does not decode, or
   * anything else libpcap refuses). Packets are delivered once run() is called: call it right away.
   */
  static open(iface: string, opts: LiveOpenOptions, arphrd: ArphrdReader = readArphrd): LiveSource {
    const cap = opts.cap ?? loadCap();
    let devices: string[] = [];
    let listed = true;
    try {
      devices = cap.Cap.deviceList().map((d) => d.name);
    } catch {
      listed = false; // pcap_findalldevs failed: let open() say what is wrong
    }
    if (listed && !devices.includes(iface)) throw unknownInterface(iface, devices);

    const userFilter = opts.filter !== null;
    let filter = opts.filter ?? defaultFilter(iface, arphrd(iface));
    const buffer = Buffer.alloc(PACKET_BUFFER_BYTES);
    const ring = Math.round((opts.ringMiB ?? DEFAULT_RING_MIB) * 1024 * 1024);
    let handle = new cap.Cap();
    RETAINED_HANDLES.push(handle);
    let linkName: string;
    try {
      linkName = handle.open(iface, filter, ring, buffer);
    } catch (e) {
      if (userFilter || filter === BASE_FILTER) throw openError(iface, filter, userFilter, e, devices);
      // Our VLAN clause was refused on an unexpected link type: once more without it.
      filter = BASE_FILTER;
      handle = new cap.Cap();
      RETAINED_HANDLES.push(handle);
      try {
        linkName = handle.open(iface, filter, ring, buffer);
      } catch (e2) {
        throw openError(iface, filter, false, e2, devices);
      }
    }
    const linkType = capLinkType(linkName);
    if (!DECODABLE.has(linkType)) {
      handle.close();
      throw new LiveCaptureUnavailableError('E_LIVE',
        `${iface} has link type ${linkName}, which synscope does not decode (it reads Ethernet, Linux cooked, raw IP `
        + 'and BSD loopback); capture on an Ethernet interface or -i any');
    }
    const count = opts.count ?? 0;
    return new LiveSource(iface, handle, buffer, linkType, filter, count > 0 ? Math.floor(count) : 0);
  }

  /** True once the capture has stopped. */
  get stopped(): boolean {
    return this.finished;
  }

  /**
   * Delivers every packet to `onFrame` until stop() (or --count packets). Resolves when the capture has
   * stopped; rejects when `onFrame` threw (the capture is stopped first).
   */
  run(onFrame: FrameHandler): Promise<void> {
    this.onFrame = onFrame;
    return new Promise<void>((resolve, reject) => {
      if (this.finished) {
        if (this.failure !== null) reject(this.failure);
        else resolve();
        return;
      }
      this.settle = (e: unknown): void => {
        if (e === null) resolve();
        else reject(e);
      };
    });
  }

  /** Stops capturing (closes the pcap handle); run() then resolves. Safe to call more than once, and from onFrame. */
  stop(): void {
    if (this.finished) return;
    this.finished = true;
    const h = this.handle;
    this.handle = null;
    if (h !== null) {
      h.removeAllListeners('packet');
      h.close();
    }
    const settle = this.settle;
    this.settle = null;
    if (settle !== null) settle(this.failure);
  }

  /** Reads the capture clock into clockSec / clockNsec (for idle ticks), the clock packets are stamped with. */
  readClock(): void {
    const elapsedNs = Math.round((performance.now() - this.anchorPerf) * 1e6);
    const ns = this.anchorNsec + elapsedNs;
    const s = Math.floor(ns / 1e9);
    this.clockSec = this.anchorSec + s;
    this.clockNsec = ns - s * 1e9;
  }

  /**
   * The per-packet path: fill the one Frame in place and hand it on; no object, array or string is
   * created here. The clock is read into fields (V8 would box a double returned from a call it does
   * not inline); cap itself boxes its two arguments per packet, young garbage. Measured
   * through a fake cap: 4.8 M packets/s through this path, decode and the tracker.
   *
   * Time: cap gives no libpcap timestamp, so each packet is stamped on arrival here, with the monotonic
   * clock (uv_hrtime, the clock behind process.hrtime.bigint()) anchored to wall time at open. It is
   * read through performance.now(), a double, rather than process.hrtime.bigint(), which allocates
   * BigInts (2-2.5 times as many young collections in a micro-benchmark of this stamping).
   */
  private readonly onPacket = (nbytes: number, truncated: boolean): void => {
    if (this.finished) return;
    const f = this.frame;
    this.readClock();
    f.tsSec = this.clockSec;
    f.tsNsec = this.clockNsec;
    f.number = ++this.packets;
    f.caplen = nbytes;
    f.origLen = nbytes; // cap does not pass the wire length on
    if (truncated) this.truncated++;
    const handler = this.onFrame;
    if (handler !== null) {
      try {
        handler(f);
      } catch (e) {
        this.failure = e;
        this.stop();
        return;
      }
    }
    if (this.count > 0 && this.packets >= this.count) this.stop();
  };
}

/** /sys/class/net/<iface>/type: the interface's ARPHRD_* (1 Ethernet, 772 loopback), -1 when unknown. */
function readArphrd(iface: string): number {
  if (!/^[^/\0]+$/.test(iface) || iface === '.' || iface === '..') return -1;
  try {
    const text = readFileSync(`/sys/class/net/${iface}/type`, 'utf8');
    const n = Number(text.trim());
    return Number.isInteger(n) ? n : -1;
  } catch {
    return -1;
  }
}
