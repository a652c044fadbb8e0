// Live capture through synscope's own libpcap binding (native/, loaded only when `live` or `interfaces`
// runs, so `read` works without libpcap). The binding copies many packets per call into one reused
// buffer as nanosecond pcap records, which the offline reader's record walk delivers; timestamps are the
// kernel's. Protocols above the link layer are decode's.
//
// Why not the `cap` addon: it hard-codes snaplen 65535 and immediate mode, so libpcap falls back to
// TPACKET_V2 with one ~64 KiB slot per packet (a 64 MiB ring held ~1 000 packets), and it passes on
// neither libpcap's timestamps nor pcap_stats(), and aborts the process when the interface goes away.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LiveCaptureUnavailableError } from '../errors.js';
import { PcapRecordWalk, PCAP_RECORD_HEADER_BYTES } from './pcap.js';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  linkTypeName,
  linkTypeOfDlt,
  type CaptureFormat,
  type FrameHandler,
  type FrameSource,
} from './source.js';

// ---------------------------------------------------------------------------------------------
// the binding (native/pcap_binding.cc)

/** pcap_stats(): tcpdump's "received by filter", "dropped by kernel", "dropped by interface". */
export interface PcapStats {
  readonly received: number;
  readonly dropped: number;
  readonly ifdropped: number;
}

export interface PcapCaptureOptions {
  readonly snaplen: number;
  /** pcap_set_buffer_size(), bytes. */
  readonly bufferSize: number;
  /** pcap_set_timeout(), ms: how long a partly filled TPACKET_V3 block waits in the kernel. */
  readonly timeoutMs: number;
  readonly promisc: boolean;
  /** A pcap-filter expression; '' for none. */
  readonly filter: string;
}

/** One activated libpcap handle (non-blocking, its descriptor watched by libuv once started). */
export interface PcapCapture {
  /** pcap_datalink(): a DLT_* value. */
  readonly linkType: number;
  readonly snaplen: number;
  /** True when libpcap gives nanosecond timestamps (they are written as nanoseconds either way). */
  readonly nanosecond: boolean;
  /** pcap_activate()'s warning, or null. */
  readonly warning: string | null;
  /**
   * From now on, whenever packets are ready they are copied into `buffer` as records (16-byte header:
   * ts_sec, ts_nsec, caplen, origlen, little-endian; then the bytes) and onBatch(bytes, packets, error)
   * is called; `error` is libpcap's message when the capture failed, after which nothing more comes.
   */
  start(buffer: Buffer, onBatch: (bytes: number, packets: number, error: string | undefined) => void): void;
  /** pcap_stats(), or null once closed or when libpcap cannot say. */
  stats(): PcapStats | null;
  close(): void;
}

/** One device as pcap_findalldevs() lists it. */
export interface PcapDevice {
  readonly name: string;
  readonly description: string | null;
  /** PCAP_IF_* flags. */
  readonly flags: number;
  readonly addresses: readonly { readonly addr: string; readonly netmask?: string }[];
}

export interface PcapBinding {
  readonly Capture: new (device: string, options: PcapCaptureOptions) => PcapCapture;
  findAllDevs(): PcapDevice[];
  readonly libVersion: string;
}

/** The Error the binding throws: libpcap's message, its PCAP_ERROR_* status and where it failed. */
interface BindingError extends Error {
  status?: number;
  stage?: 'create' | 'activate' | 'filter' | 'findalldevs';
}

export const PCAP_IF_LOOPBACK = 0x1;

function isBinding(m: unknown): m is PcapBinding {
  if (typeof m !== 'object' || m === null) return false;
  return 'Capture' in m && typeof m.Capture === 'function' && 'findAllDevs' in m && typeof m.findAllDevs === 'function';
}

/** The one-line fix shown whenever the binding or libpcap is missing. */
export const LIBPCAP_FIX =
  "apt-get install libpcap-dev build-essential, then npm run build:native in synscope's folder " +
  '(npm rebuild synscope where it is a dependency; dnf install libpcap-devel gcc-c++ make on Fedora/RHEL)';

/** Where node-gyp puts the binding, from dist/capture/ and src/capture/ alike. */
export const BINDING_PATH = new URL('../../native/build/Release/synscope_pcap.node', import.meta.url).pathname;

let loaded: PcapBinding | null = null;

/**
 * Loads the binding (and through it libpcap) on first use. Throws LiveCaptureUnavailableError
 * (E_NO_LIBPCAP) naming what to install. `path` is for tests.
 */
export function loadPcap(path = BINDING_PATH): PcapBinding {
  if (path === BINDING_PATH && loaded !== null) return loaded;
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)(path);
  } catch (e) {
    const text = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
    const reason = /Cannot find module/.test(text)
      ? 'it was not built at install: no compiler or no libpcap headers'
      : text;
    throw new LiveCaptureUnavailableError(
      'E_NO_LIBPCAP',
      `live capture needs libpcap and synscope's libpcap binding, which cannot be loaded (${reason}); ` +
        `install them: ${LIBPCAP_FIX}`,
      { cause: e },
    );
  }
  if (!isBinding(mod)) {
    throw new LiveCaptureUnavailableError(
      'E_NO_LIBPCAP',
      `${path} is not synscope's libpcap binding; rebuild it: ${LIBPCAP_FIX}`,
    );
  }
  if (path === BINDING_PATH) loaded = mod;
  return mod;
}

// ---------------------------------------------------------------------------------------------
// link types and filters

/** Link types decode/link.ts decodes. */
const DECODABLE: ReadonlySet<number> = new Set([
  LINKTYPE_NULL,
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW,
  LINKTYPE_LOOP,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL2,
]);

/**
 * What the tracker needs: TCP, and the ICMP / ICMPv6 errors that quote it. Protocol keywords only:
 * libpcap 1.10 compiles `tcp[13]`-style byte offsets for IPv4 alone, so they would hide IPv6 handshakes.
 */
export const BASE_FILTER = 'tcp or icmp or icmp6';

/** UDP ports of VXLAN (IANA's and Linux's default), Geneve and GRE-in-UDP, the tunnels decode/udp.ts opens. */
export const TUNNEL_UDP_PORTS: readonly number[] = [4789, 8472, 6081, 4754];

/**
 * What carries handshakes inside it: the UDP tunnel ports (plus --vxlan-port's), GRE (47), IP in IP (4, 41)
 * over IPv4 and IPv6, and fragments (IPv4 with More Fragments or an offset; IPv6 with a Fragment header
 * right after the fixed one). Byte offsets are IPv4's alone here, which is what they test.
 */
export function carrierFilter(vxlanPorts: readonly number[] = []): string {
  const ports = [...new Set([...TUNNEL_UDP_PORTS, ...vxlanPorts])];
  // pcap-filter(7): "tcp dst port ftp or ftp-data" is "tcp dst port ftp or tcp dst port ftp-data".
  return (
    `udp dst port ${ports.join(' or ')} or ip proto 4 or 41 or 47 or ip6 proto 4 or 41 or 47` +
    ' or (ip[6:2] & 0x3fff != 0) or ip6[6] == 44'
  );
}

/**
 * MPLS (unicast, multicast) and PPPoE session EtherTypes, by number: libpcap's `mpls` and `pppoes`
 * keywords would shift the offsets of everything after them in the expression.
 */
const ETHER_CARRIERS = 'ether proto 0x8847 or 0x8848 or 0x8864';

/**
 * The default filter for an interface: BASE_FILTER and the tunnel carriers, plus MPLS / PPPoE and the same
 * inside a VLAN tag on Ethernet (Linux moves an outer tag to metadata, where `vlan` finds it; an inner QinQ
 * tag stays in the frame). Linux cooked capture (`any`) has no VLAN support in libpcap's compiler, so it
 * gets no VLAN clause.
 */
export function defaultFilter(iface: string, arphrdType: number, vxlanPorts: readonly number[] = []): string {
  const inner = `${BASE_FILTER} or ${carrierFilter(vxlanPorts)}`;
  // ARPHRD_ETHER = 1, ARPHRD_LOOPBACK = 772 (libpcap gives loopback DLT_EN10MB on Linux).
  if (iface !== 'any' && (arphrdType === 1 || arphrdType === 772))
    return `${inner} or ${ETHER_CARRIERS} or (vlan and (${inner}))`;
  if (iface === 'any') return `${inner} or ${ETHER_CARRIERS}`;
  return inner;
}

// ---------------------------------------------------------------------------------------------
// errors

/** The fix for a capture refused for lack of privilege. */
export const PERMISSION_FIX =
  'run synscope as root, or with a copy of node that only one group may run, ' +
  'given `sudo setcap cap_net_raw,cap_net_admin=eip` (README, Install); ' +
  "not the system's node, which would let every Node script capture";

// PCAP_ERROR_* (pcap/pcap.h) that say what to do.
const PCAP_ERROR_NO_SUCH_DEVICE = -5;
const PCAP_ERROR_PERM_DENIED = -8;
const PCAP_ERROR_PROMISC_PERM_DENIED = -11;
const PERMISSION_RE = /permission|not permitted|EPERM|EACCES|Access denied/i;
const NO_DEVICE_RE = /no such device|doesn't exist|does not exist/i;

/**
 * Turns the Error the binding threw (libpcap's message, status and stage) into the
 * LiveCaptureUnavailableError that says what to do. `devices` are the interface names to suggest;
 * `userFilter` says whether the filter came from --filter.
 */
export function openError(
  iface: string,
  filter: string,
  userFilter: boolean,
  e: unknown,
  devices: readonly string[],
): LiveCaptureUnavailableError {
  const msg = (e instanceof Error ? e.message : String(e)).trim();
  const be: BindingError = e instanceof Error ? e : new Error(msg);
  const status = be.status ?? 0;
  if (status === PCAP_ERROR_PERM_DENIED || status === PCAP_ERROR_PROMISC_PERM_DENIED || PERMISSION_RE.test(msg)) {
    return new LiveCaptureUnavailableError(
      'E_LIVE_PERMISSION',
      `no permission to capture on ${iface} (libpcap: ${msg}); ${PERMISSION_FIX}`,
      { cause: e },
    );
  }
  if (status === PCAP_ERROR_NO_SUCH_DEVICE || NO_DEVICE_RE.test(msg)) return unknownInterface(iface, devices, e);
  if (be.stage === 'filter') {
    if (userFilter) {
      return new LiveCaptureUnavailableError(
        'E_LIVE_FILTER',
        `bad --filter '${filter}': ${msg} (pcap-filter(7) syntax, as tcpdump takes it)`,
        { cause: e },
      );
    }
    return new LiveCaptureUnavailableError(
      'E_LIVE_FILTER',
      `libpcap cannot filter TCP and ICMP on ${iface} (${msg}); ` +
        'capture on an Ethernet interface or -i any, or give --filter',
      { cause: e },
    );
  }
  return new LiveCaptureUnavailableError('E_LIVE', `cannot capture on ${iface}: ${msg}`, { cause: e });
}

export function unknownInterface(
  iface: string,
  devices: readonly string[],
  cause?: unknown,
): LiveCaptureUnavailableError {
  const list = devices.length > 0 ? devices.join(', ') : 'none found';
  return new LiveCaptureUnavailableError(
    'E_LIVE_INTERFACE',
    `no interface '${iface}' to capture on; this host has: ${list} ` +
      '(synscope interfaces lists them with their addresses)',
    cause === undefined ? undefined : { cause },
  );
}

// ---------------------------------------------------------------------------------------------
// the source

/**
 * Bytes kept of each packet unless --snaplen says more: the deepest headers synscope decodes (Ethernet,
 * two VLAN tags, PPPoE or MPLS labels, an outer IPv6 and UDP with VXLAN/Geneve or GRE, the inner
 * Ethernet and IPv6) plus TCP with 40 bytes of options, or an ICMPv6 error quoting an IPv6 header and
 * the TCP ports and sequence number: under 230 bytes. Small records pack densely in the kernel ring.
 */
export const DEFAULT_SNAPLEN = 256;
/** The largest --snaplen: libpcap's MAXIMUM_SNAPLEN. */
export const MAX_SNAPLEN = 262144;
/**
 * libpcap's kernel ring (pcap_set_buffer_size), MiB. Outside immediate mode libpcap uses TPACKET_V3,
 * whose 256 KiB blocks hold packets back to back: with synscope stopped (SIGSTOP) during a burst of
 * 120 000 refused connects at 44 787/s, the 32 MiB ring (128 blocks) kept 160 211 SYNs and RSTs (~210
 * bytes each with their tpacket3_hdr and sockaddr_ll) and dropped the rest. A block is handed over
 * BLOCK_TIMEOUT_MS after its first packet however full, so at low rates the ring holds 128 x 25 ms
 * of traffic (41 107 packets at 5 000 connects/s): what it absorbs is a stall of synscope of ~3 s.
 * --buffer-size changes it.
 */
export const DEFAULT_RING_MIB = 32;
/**
 * pcap_set_timeout(): a partly filled block is handed over after this long, so a packet waits at most
 * this in the kernel. With the idle clock's lag and tick, a refused verdict is printed 48-70 ms after
 * the client saw ECONNREFUSED (measured on loopback); 50 ms made that ~90 ms.
 */
export const BLOCK_TIMEOUT_MS = 25;
/** The buffer the binding copies records into: ~3 800 handshake packets per call at the default snaplen. */
export const BATCH_BUFFER_BYTES = 1 << 20;
/**
 * The capture clock used between packets (idle ticks) runs this far behind the wall clock, so that a
 * tick does not pass a packet still waiting in a partly filled block (BLOCK_TIMEOUT_MS) or in the
 * event loop's queue.
 */
export const CLOCK_LAG_MS = BLOCK_TIMEOUT_MS + 10;

export interface LiveOpenOptions {
  /** --filter; null for defaultFilter(). */
  readonly filter: string | null;
  /** --vxlan-port: more UDP ports for defaultFilter() to let through. */
  readonly vxlanPorts?: readonly number[];
  /** Stop after this many packets (--count); 0 for no limit. */
  readonly count?: number;
  /** Kernel ring size in MiB (--buffer-size); DEFAULT_RING_MIB by default. */
  readonly ringMiB?: number;
  /** --snaplen; DEFAULT_SNAPLEN by default. */
  readonly snaplen?: number;
  /** The binding (tests inject one); loadPcap() by default. */
  readonly pcap?: PcapBinding;
}

/** Reads /sys/class/net/<iface>/type (ARPHRD_*), -1 when unknown. */
type ArphrdReader = (iface: string) => number;

const NO_STATS: PcapStats = { received: 0, dropped: 0, ifdropped: 0 };

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
  /** Bytes kept of each packet. */
  readonly snaplen: number;
  /** Stop after this many packets; 0 for no limit. */
  readonly count: number;
  /** Latest reading of the capture clock (readClock()): seconds and nanoseconds since the epoch. */
  clockSec = 0;
  clockNsec = 0;
  /**
   * Why the capture ended on its own (libpcap's message: the interface went down or disappeared), or
   * null when it was stopped (stop(), --count) or still runs.
   */
  lost: string | null = null;

  /** The buffer the binding copies records into. */
  readonly buffer: Buffer;
  private handle: PcapCapture | null;
  private readonly walk = new PcapRecordWalk();
  private latestStats: PcapStats = NO_STATS;
  private onFrame: FrameHandler | null = null;
  private finished = false;
  private settle: ((e: unknown) => void) | null = null;
  private failure: unknown = null;

  private constructor(name: string, handle: PcapCapture, linkType: number, filter: string, count: number) {
    this.name = name;
    this.handle = handle;
    this.linkType = linkType;
    this.linkTypes = [linkType];
    this.filter = filter;
    this.count = count;
    this.snaplen = handle.snaplen;
    this.buffer = Buffer.alloc(Math.max(BATCH_BUFFER_BYTES, 4 * (PCAP_RECORD_HEADER_BYTES + handle.snaplen)));
    // The binding writes nanoseconds whatever libpcap's precision.
    this.walk.setFormat(true, true, linkType);
    this.walk.frame.tsDigits = handle.nanosecond ? 9 : 6;
    this.readClock();
  }

  /**
   * Opens `iface` for capture. Throws LiveCaptureUnavailableError: E_NO_LIBPCAP (binding or libpcap
   * missing), E_LIVE_INTERFACE (no such interface, naming the real ones), E_LIVE_PERMISSION (not root / no
   * CAP_NET_RAW), E_LIVE_FILTER (libpcap's message), E_LIVE (a link type synscope does not decode, or
   * anything else libpcap refuses). Packets are delivered once run() is called: call it right away.
   */
  static open(iface: string, opts: LiveOpenOptions, arphrd: ArphrdReader = readArphrd): LiveSource {
    const pcap = opts.pcap ?? loadPcap();
    let devices: string[] = [];
    let listed = true;
    try {
      devices = pcap.findAllDevs().map((d) => d.name);
    } catch {
      listed = false; // pcap_findalldevs failed: let activation say what is wrong
    }
    if (listed && !devices.includes(iface)) throw unknownInterface(iface, devices);

    const userFilter = opts.filter !== null;
    let filter = opts.filter ?? defaultFilter(iface, arphrd(iface), opts.vxlanPorts);
    const settings = {
      snaplen: opts.snaplen ?? DEFAULT_SNAPLEN,
      bufferSize: Math.round((opts.ringMiB ?? DEFAULT_RING_MIB) * 1024 * 1024),
      timeoutMs: BLOCK_TIMEOUT_MS,
      promisc: true,
    };
    let handle: PcapCapture;
    try {
      handle = new pcap.Capture(iface, { ...settings, filter });
    } catch (e) {
      if (userFilter || filter === BASE_FILTER || (e as BindingError).stage !== 'filter') {
        throw openError(iface, filter, userFilter, e, devices);
      }
      // Our VLAN clause was refused on an unexpected link type: once more without it.
      filter = BASE_FILTER;
      try {
        handle = new pcap.Capture(iface, { ...settings, filter });
      } catch (e2) {
        throw openError(iface, filter, false, e2, devices);
      }
    }
    const linkType = linkTypeOfDlt(handle.linkType);
    if (!DECODABLE.has(linkType)) {
      handle.close();
      throw new LiveCaptureUnavailableError(
        'E_LIVE',
        `${iface} has link type ${linkTypeName(linkType)}, which synscope does not decode ` +
          '(it reads Ethernet, Linux cooked, raw IP and BSD loopback); capture on an Ethernet interface or -i any',
      );
    }
    const count = opts.count ?? 0;
    return new LiveSource(iface, handle, linkType, filter, count > 0 ? Math.floor(count) : 0);
  }

  /** Packets delivered so far (= the latest frame number). */
  get packets(): number {
    return this.walk.number;
  }

  /** True once the capture has stopped. */
  get stopped(): boolean {
    return this.finished;
  }

  /**
   * pcap_stats() now (the last reading once stopped): packets the filter passed, and those the kernel
   * (ring full) and the interface dropped before synscope could read them.
   */
  stats(): PcapStats {
    const h = this.handle;
    if (h !== null) {
      const s = h.stats();
      if (s !== null) this.latestStats = s;
    }
    return this.latestStats;
  }

  /**
   * Delivers every packet to `onFrame` until stop(), --count packets or the end of the interface
   * (`lost` says why). Resolves when the capture has stopped; rejects when `onFrame` threw (the
   * capture is stopped first).
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
      this.handle?.start(this.buffer, this.onBatch);
    });
  }

  /**
   * Stops capturing (reads the last stats, closes the handle); run() then resolves. Safe to call more than
   * once, and from onFrame.
   */
  stop(): void {
    if (this.finished) return;
    this.finished = true;
    this.stats();
    const h = this.handle;
    this.handle = null;
    if (h !== null) h.close();
    const settle = this.settle;
    this.settle = null;
    if (settle !== null) settle(this.failure);
  }

  /**
   * Reads the capture clock into clockSec / clockNsec (for idle ticks): the wall clock, which the
   * kernel stamps packets with, less CLOCK_LAG_MS.
   */
  readClock(): void {
    const ms = Date.now() - CLOCK_LAG_MS;
    const s = Math.floor(ms / 1000);
    this.clockSec = s;
    this.clockNsec = (ms - s * 1000) * 1_000_000;
  }

  /**
   * A batch of records from the binding: the offline reader's record walk delivers them through the one
   * reused Frame (no object, array or string per packet). `error` ends the capture after the batch.
   */
  private readonly onBatch = (bytes: number, _packets: number, error: string | undefined): void => {
    if (this.finished) return;
    const handler = this.onFrame;
    if (handler !== null && bytes > 0) {
      try {
        this.walk.walk(this.buffer, 0, bytes, 0, handler, this.count > 0 ? this.count : Number.POSITIVE_INFINITY);
      } catch (e) {
        this.failure = e;
        this.stop();
        return;
      }
    }
    if (error !== undefined) {
      this.lost = error;
      this.stop();
    } else if (this.count > 0 && this.walk.number >= this.count) {
      this.stop();
    }
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
