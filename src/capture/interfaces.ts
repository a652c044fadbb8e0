// The capture interfaces for `synscope interfaces` (tcpdump -D): libpcap's device list when the binding
// loads, merged with the kernel's addresses (os.networkInterfaces) and link state (/sys/class/net). Printing is cli's.

import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { SynscopeError } from '../errors.js';
import { loadPcap, PCAP_IF_LOOPBACK, type PcapBinding } from './live.js';

export interface InterfaceAddress {
  /** Canonical text (IPv6 compressed, without a %zone). */
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  /** Prefix length from the netmask, null when unknown. */
  readonly prefix: number | null;
}

export interface CaptureInterface {
  readonly name: string;
  /** libpcap's description (pseudo-devices: "Pseudo-device that captures on all interfaces"), or null. */
  readonly description: string | null;
  readonly addresses: InterfaceAddress[];
  /** IFF_UP: administratively up. */
  readonly up: boolean;
  /** IFF_RUNNING: the link is up. */
  readonly running: boolean;
  readonly loopback: boolean;
  /** /sys/class/net/<if>/operstate ("up", "down", "unknown", ...), null when the kernel has no such netdev. */
  readonly operstate: string | null;
  /**
   * True when libpcap lists it (it can be captured on); false when known only to the kernel (or libpcap is
   * missing).
   */
  readonly capture: boolean;
}

export interface InterfaceListing {
  /** Whether libpcap (through synscope's binding) could be loaded. */
  readonly libpcap: boolean;
  /** Why not, with the fix (one line), or null. */
  readonly problem: string | null;
  readonly interfaces: CaptureInterface[];
}

// <linux/if.h> net_device_flags
const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_RUNNING = 0x40;

/** Where the kernel's per-interface state lives; tests point it elsewhere. */
export interface InterfaceProbe {
  loadPcap(): PcapBinding;
  /** Interface names the kernel has (readdir /sys/class/net), [] when unknown. */
  kernelNames(): string[];
  /** A file under /sys/class/net/<name>/, null when absent. */
  sysfs(name: string, file: string): string | null;
  addresses(): NodeJS.Dict<NetworkInterfaceInfo[]>;
}

const SYS_NET = '/sys/class/net';

function safeName(name: string): boolean {
  return /^[^/\0]+$/.test(name) && name !== '.' && name !== '..';
}

export const SYSTEM_PROBE: InterfaceProbe = {
  loadPcap: () => loadPcap(),
  kernelNames: () => {
    try {
      return readdirSync(SYS_NET).sort();
    } catch {
      return [];
    }
  },
  sysfs: (name, file) => {
    if (!safeName(name)) return null;
    try {
      return readFileSync(`${SYS_NET}/${name}/${file}`, 'utf8').trim();
    } catch {
      return null;
    }
  },
  addresses: () => networkInterfaces(),
};

/** Prefix length of a dotted-quad or IPv6 netmask; null when it is not a contiguous mask. */
export function prefixLength(netmask: string | undefined): number | null {
  if (netmask === undefined || netmask === '') return null;
  let bits = 0;
  if (netmask.includes(':')) {
    const groups = expand6(netmask);
    if (groups === null) return null;
    for (const g of groups) bits += popcount(g);
    return contiguous(groups.map((g) => g.toString(2).padStart(16, '0')).join('')) ? bits : null;
  }
  const parts = netmask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  const bin = parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  return contiguous(bin) ? (bin.indexOf('0') === -1 ? 32 : bin.indexOf('0')) : null;
}

function contiguous(bin: string): boolean {
  return /^1*0*$/.test(bin);
}

function popcount(n: number): number {
  let c = 0;
  for (let v = n; v !== 0; v &= v - 1) c++;
  return c;
}

function expand6(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
  const groups = [...head, ...new Array<string>(fill).fill('0'), ...tail].map((g) => parseInt(g, 16));
  return groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff) ? null : groups;
}

function stripZone(address: string): string {
  const i = address.indexOf('%');
  return i < 0 ? address : address.slice(0, i);
}

/**
 * Lists the interfaces: libpcap's devices in its order (as tcpdump -D), then any the kernel has that
 * libpcap does not list. Never throws for a missing libpcap: `libpcap` is false and `problem` says what to install.
 */
export function listInterfaces(probe: InterfaceProbe = SYSTEM_PROBE): InterfaceListing {
  let pcap: PcapBinding | null = null;
  let problem: string | null = null;
  try {
    pcap = probe.loadPcap();
  } catch (e) {
    if (!(e instanceof SynscopeError)) throw e;
    problem = e.message;
  }
  const order: string[] = [];
  const descriptions = new Map<string, string | null>();
  const addrs = new Map<string, InterfaceAddress[]>();
  const loopbacks = new Set<string>();
  const add = (name: string, address: string | undefined, netmask: string | undefined): void => {
    if (address === undefined) return;
    const a = stripZone(address);
    const family = a.includes(':') ? 'IPv6' : 'IPv4';
    let list = addrs.get(name);
    if (list === undefined) {
      list = [];
      addrs.set(name, list);
    }
    if (list.some((x) => x.address.toLowerCase() === a.toLowerCase())) return;
    list.push({ address: a, family, prefix: prefixLength(netmask) });
  };

  const libpcapNames = new Set<string>();
  if (pcap !== null) {
    try {
      for (const d of pcap.findAllDevs()) {
        order.push(d.name);
        libpcapNames.add(d.name);
        descriptions.set(d.name, d.description);
        if ((d.flags & PCAP_IF_LOOPBACK) !== 0) loopbacks.add(d.name);
        for (const a of d.addresses) add(d.name, a.addr, a.netmask);
      }
    } catch (e) {
      problem = `libpcap cannot list the interfaces (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  for (const name of probe.kernelNames()) if (!order.includes(name)) order.push(name);
  const os = probe.addresses();
  for (const [name, list] of Object.entries(os)) {
    if (!order.includes(name)) order.push(name);
    for (const a of list ?? []) {
      add(name, a.address, a.netmask);
      if (a.internal) loopbacks.add(name);
    }
  }

  const interfaces: CaptureInterface[] = order.map((name) => {
    const flagsText = probe.sysfs(name, 'flags');
    const flags = flagsText === null ? Number.NaN : parseInt(flagsText, 16);
    const operstate = probe.sysfs(name, 'operstate');
    // IFF_RUNNING is not in sysfs `flags` (the kernel adds it for SIOCGIFFLAGS); `carrier` is the same bit.
    const carrier = probe.sysfs(name, 'carrier');
    const pseudoAny = name === 'any' && flagsText === null;
    const list = addrs.get(name) ?? [];
    list.sort((x, y) => (x.family === y.family ? 0 : x.family === 'IPv4' ? -1 : 1));
    return {
      name,
      description: descriptions.get(name) ?? null,
      addresses: list,
      up: pseudoAny || (Number.isFinite(flags) && (flags & IFF_UP) !== 0),
      running: pseudoAny || carrier === '1' || (Number.isFinite(flags) && (flags & IFF_RUNNING) !== 0),
      loopback: loopbacks.has(name) || (Number.isFinite(flags) && (flags & IFF_LOOPBACK) !== 0),
      operstate,
      capture: libpcapNames.has(name),
    };
  });
  return { libpcap: pcap !== null && problem === null, problem, interfaces };
}

/** tcpdump -D's bracket: "Up, Running, Loopback", "Up, Running, Connected", "none". */
export function stateText(i: CaptureInterface): string {
  const parts: string[] = [];
  if (i.up) parts.push('Up');
  if (i.running) parts.push('Running');
  if (i.loopback) parts.push('Loopback');
  else if (i.operstate === 'up') parts.push('Connected');
  else if (i.operstate === 'down' || i.operstate === 'lowerlayerdown') parts.push('Disconnected');
  return parts.length === 0 ? 'none' : parts.join(', ');
}
