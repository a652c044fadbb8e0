// capture/live.ts and capture/interfaces.ts: link-type mapping, the default filter, what each libpcap
// failure turns into, the Frame a LiveSource delivers (through a fake `cap`), and one real capture on
// loopback (root only; required under SYNSCOPE_REQUIRE_LIVE_TESTS=1). src/live.ts's EvidenceStream is tested here too.

import { strict as assert } from 'node:assert';
import { connect, createServer, type AddressInfo } from 'node:net';
import {
  BASE_FILTER, capLinkType, defaultFilter, LiveSource, loadCap, openError, PACKET_BUFFER_BYTES, type CapDevice, type CapHandle,
  type CapModule,
} from '../../src/capture/live.js';
import { listInterfaces, prefixLength, stateText, type InterfaceProbe } from '../../src/capture/interfaces.js';
import {
  LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NULL, LINKTYPE_RAW, type Frame,
} from '../../src/capture/source.js';
import { decodePacket } from '../../src/decode/packet.js';
import { DECODE_OK, PacketView, TCP_FLAG_RST, TCP_FLAG_SYN } from '../../src/decode/view.js';
import { LiveCaptureUnavailableError } from '../../src/errors.js';
import { EvidenceStream } from '../../src/live.js';
import type { EvidenceFrame, EvidenceWriter } from '../../src/report/evidence-writer.js';
import type { KeptPacket } from '../../src/track/attempt.js';
import { requireLive } from '../helpers/netns.js';

// ---------------------------------------------------------------------------------------------
// a fake `cap`: open() returns what the test says, packets are emitted by hand

interface FakeScript {
  devices: CapDevice[];
  /** What each successive open() does: a link type name to return, or an Error to throw. */
  opens: (string | Error)[];
}

function fakeCap(script: FakeScript): { mod: CapModule; handles: FakeHandle[] } {
  const handles: FakeHandle[] = [];
  class FakeHandleImpl implements CapHandle {
    buffer: Buffer = Buffer.alloc(0);
    filter = '';
    bufSize = 0;
    closed = 0;
    listener: ((nbytes: number, truncated: boolean) => void) | null = null;
    constructor() {
      handles.push(this);
    }
    open(_device: string, filter: string, bufSize: number, buffer: Buffer): string {
      const next = script.opens.shift();
      if (next === undefined) throw new Error('test: unexpected open()');
      if (next instanceof Error) throw next;
      this.filter = filter;
      this.bufSize = bufSize;
      this.buffer = buffer;
      return next;
    }
    close(): boolean {
      this.closed++;
      return true;
    }
    on(_event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown {
      this.listener = listener;
      return this;
    }
    removeAllListeners(): unknown {
      this.listener = null;
      return this;
    }
    emit(bytes: Buffer): void {
      bytes.copy(this.buffer);
      this.listener?.(bytes.length, false);
    }
    static deviceList(): CapDevice[] {
      return script.devices;
    }
  }
  return { mod: { Cap: FakeHandleImpl }, handles };
}
type FakeHandle = CapHandle & { buffer: Buffer; filter: string; bufSize: number; closed: number; emit(b: Buffer): void };

const DEVICES: CapDevice[] = [
  { name: 'eth0', addresses: [{ addr: '10.0.0.5', netmask: '255.255.255.0' }] },
  { name: 'any', description: 'Pseudo-device that captures on all interfaces', addresses: [] },
  { name: 'lo', addresses: [{ addr: '127.0.0.1', netmask: '255.0.0.0' }], flags: 'PCAP_IF_LOOPBACK' },
];
const ETHER = (): number => 1;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LiveCaptureUnavailableError, String(e));
    return `${e.code}: ${e.message}`;
  }
  return 'no error';
}

// ---------------------------------------------------------------------------------------------

describe('capture/live: link types and the default filter', () => {
  it('maps the names cap returns to LINKTYPE_* values', () => {
    assert.equal(capLinkType('ETHERNET'), LINKTYPE_ETHERNET);
    assert.equal(capLinkType('LINKTYPE_LINUX_SLL'), LINKTYPE_LINUX_SLL); // cap's own spelling for DLT_LINUX_SLL
    assert.equal(capLinkType('RAW'), LINKTYPE_RAW);
    assert.equal(capLinkType('NULL'), LINKTYPE_NULL);
    assert.equal(capLinkType('Unknown linktype 276'), LINKTYPE_LINUX_SLL2);
    assert.equal(capLinkType('Unknown linktype 12'), LINKTYPE_RAW, 'DLT_RAW is 12 on Linux, LINKTYPE_RAW 101');
    assert.equal(capLinkType('Unknown linktype 108'), 108);
    assert.equal(capLinkType('gibberish'), -1);
  });

  it('filters by protocol only (no tcp[] offsets, which miss IPv6), with VLAN tags on Ethernet but not on -i any', () => {
    assert.equal(BASE_FILTER, 'tcp or icmp or icmp6');
    assert.doesNotMatch(BASE_FILTER, /\[/);
    assert.equal(defaultFilter('eth0', 1), 'tcp or icmp or icmp6 or (vlan and (tcp or icmp or icmp6))');
    assert.equal(defaultFilter('lo', 772), 'tcp or icmp or icmp6 or (vlan and (tcp or icmp or icmp6))');
    assert.equal(defaultFilter('any', -1), BASE_FILTER);
    assert.equal(defaultFilter('tun0', 65534), BASE_FILTER);
  });
});

describe('capture/live: errors say what to do', () => {
  it('cap cannot be loaded: E_NO_LIBPCAP with the install command', () => {
    const got = code(() => loadCap('synscope-no-such-module'));
    assert.match(got, /^E_NO_LIBPCAP: live capture needs libpcap .*Cannot find module 'synscope-no-such-module'.*apt-get install libpcap-dev && npm rebuild cap/);
    assert.doesNotMatch(got, /\n/);
  });

  it('libpcap messages become permission, interface, filter or plain errors', () => {
    const devs = ['eth0', 'lo'];
    assert.match(code(() => { throw openError('eth0', 'tcp', false, new Error('socket: Operation not permitted'), devs); }),
      /^E_LIVE_PERMISSION: no permission to capture on eth0 \(libpcap: socket: Operation not permitted\); run synscope as root, or .*setcap cap_net_raw,cap_net_admin=eip/);
    assert.match(code(() => { throw openError('eth9', 'tcp', false, new Error('No such device exists'), devs); }),
      /^E_LIVE_INTERFACE: no interface 'eth9' to capture on; this host has: eth0, lo/);
    assert.match(code(() => { throw openError('eth0', 'tcp[[[', true, new Error("can't parse filter expression: syntax error"), devs); }),
      /^E_LIVE_FILTER: bad --filter 'tcp\[\[\[': can't parse filter expression: syntax error/);
    assert.match(code(() => { throw openError('nflog', BASE_FILTER, false, new Error('NFLOG link-layer type filtering not implemented'), devs); }),
      /^E_LIVE_FILTER: libpcap cannot filter TCP and ICMP on nflog/);
    assert.match(code(() => { throw openError('eth0', '', false, new Error('something odd'), devs); }), /^E_LIVE: cannot capture on eth0: something odd/);
  });

  it('an interface libpcap does not list is refused before open(), naming the real ones', () => {
    const { mod, handles } = fakeCap({ devices: DEVICES, opens: [] });
    assert.match(code(() => LiveSource.open('eht0', { filter: null, cap: mod }, ETHER)), /^E_LIVE_INTERFACE: no interface 'eht0' to capture on; this host has: eth0, any, lo/);
    assert.equal(handles.length, 0);
  });

  it('a bad --filter is reported with libpcap\'s message; the failed handle is never closed (cap would crash)', () => {
    const { mod, handles } = fakeCap({ devices: DEVICES, opens: [new Error("can't parse filter expression: syntax error")] });
    assert.match(code(() => LiveSource.open('eth0', { filter: 'port', cap: mod }, ETHER)), /^E_LIVE_FILTER: bad --filter 'port': can't parse/);
    assert.equal(handles.length, 1);
    assert.equal(handles[0]!.closed, 0);
  });

  it('when the default VLAN clause is refused, it opens again without it', () => {
    const { mod, handles } = fakeCap({ devices: DEVICES, opens: [new Error('no VLAN support for this link type'), 'ETHERNET'] });
    const s = LiveSource.open('eth0', { filter: null, cap: mod }, ETHER);
    assert.equal(s.filter, BASE_FILTER);
    assert.equal(handles.length, 2);
    assert.equal(handles[1]!.filter, BASE_FILTER);
    s.stop();
  });

  it('a link type synscope does not decode: E_LIVE, and the handle is closed', () => {
    const { mod, handles } = fakeCap({ devices: DEVICES, opens: ['IEEE802_11_RADIO'] });
    assert.match(code(() => LiveSource.open('eth0', { filter: null, cap: mod }, ETHER)), /^E_LIVE: eth0 has link type IEEE802_11_RADIO, which synscope does not decode/);
    assert.equal(handles[0]!.closed, 1);
  });
});

describe('capture/live: LiveSource frames', () => {
  it('numbers packets from 1 in one reused Frame over one reused buffer, stamped on arrival in order', async () => {
    const { mod, handles } = fakeCap({ devices: DEVICES, opens: ['ETHERNET'] });
    const before = Date.now();
    const s = LiveSource.open('eth0', { filter: null, cap: mod, ringMiB: 8 }, ETHER);
    const h = handles[0]!;
    assert.equal(h.bufSize, 8 * 1024 * 1024);
    assert.equal(h.buffer.length, PACKET_BUFFER_BYTES);
    assert.equal(h.filter, defaultFilter('eth0', 1));
    assert.deepEqual([s.format, s.gzip, s.linkTypes, s.name], ['live', false, [LINKTYPE_ETHERNET], 'eth0']);
    const seen: { n: number; sec: number; nsec: number; len: number; first: number; same: boolean }[] = [];
    let frameObj: Frame | null = null;
    const done = s.run((f) => {
      if (frameObj === null) frameObj = f;
      seen.push({ n: f.number, sec: f.tsSec, nsec: f.tsNsec, len: f.caplen, first: f.data[f.offset]!, same: f === frameObj && f.data === h.buffer });
      assert.equal(f.linkType, LINKTYPE_ETHERNET);
      assert.equal(f.tsDigits, 6);
    });
    for (let i = 1; i <= 5; i++) h.emit(Buffer.alloc(60 + i, i));
    s.stop();
    await done;
    const after = Date.now();
    assert.deepEqual(seen.map((x) => [x.n, x.len, x.first, x.same]), [1, 2, 3, 4, 5].map((i) => [i, 60 + i, i, true]));
    for (let i = 0; i < seen.length; i++) {
      const t = seen[i]!.sec * 1000 + seen[i]!.nsec / 1e6;
      assert.ok(t >= before - 1 && t <= after + 1, `stamp ${t} within [${before}, ${after}]`);
      assert.ok(seen[i]!.nsec >= 0 && seen[i]!.nsec < 1e9);
      if (i > 0) assert.ok(t >= seen[i - 1]!.sec * 1000 + seen[i - 1]!.nsec / 1e6, 'monotonic');
    }
    assert.equal(h.closed, 1);
    s.stop();
    assert.equal(h.closed, 1, 'stop() twice closes once');
  });

  it('stops by itself after --count packets, closing from inside the packet callback', async () => {
    const { mod, handles } = fakeCap({ devices: DEVICES, opens: ['LINKTYPE_LINUX_SLL'] });
    const s = LiveSource.open('any', { filter: null, count: 3, cap: mod }, () => -1);
    assert.equal(s.linkType, LINKTYPE_LINUX_SLL);
    const numbers: number[] = [];
    const done = s.run((f) => numbers.push(f.number));
    for (let i = 0; i < 5; i++) handles[0]!.emit(Buffer.alloc(40));
    await done;
    assert.deepEqual(numbers, [1, 2, 3]);
    assert.equal(s.packets, 3);
    assert.ok(s.stopped);
  });

  it('run() rejects when the frame handler throws, after stopping the capture', async () => {
    const { mod, handles } = fakeCap({ devices: DEVICES, opens: ['ETHERNET'] });
    const s = LiveSource.open('eth0', { filter: 'tcp', cap: mod }, ETHER);
    const done = s.run(() => { throw new Error('bug'); });
    handles[0]!.emit(Buffer.alloc(40));
    await assert.rejects(done, /bug/);
    assert.equal(handles[0]!.closed, 1);
  });

  it('the clock ticks on the same anchored monotonic clock as the packets', async () => {
    const { mod } = fakeCap({ devices: DEVICES, opens: ['ETHERNET'] });
    const s = LiveSource.open('eth0', { filter: 'tcp', cap: mod }, ETHER);
    s.readClock();
    const a = s.clockSec + s.clockNsec / 1e9;
    await new Promise((r) => setTimeout(r, 30));
    s.readClock();
    const b = s.clockSec + s.clockNsec / 1e9;
    assert.ok(b - a >= 0.02 && b - a < 1, `${b - a}`);
    assert.ok(Math.abs(b * 1000 - Date.now()) < 1000);
    s.stop();
  });
});

describe('capture/live: a real capture on loopback (root)', function () {
  this.timeout(30_000);
  before(function () {
    requireLive(this);
  });

  it('sees a refused connect to 127.0.0.1 as SYN then RST, Ethernet-framed, numbered from 1', async () => {
    // A port nothing listens on: bind one, note it, close it.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));

    const s = LiveSource.open('lo', { filter: `tcp port ${port} and host 127.0.0.1` });
    assert.equal(s.linkType, LINKTYPE_ETHERNET);
    const view = new PacketView();
    const got: { n: number; flags: number; sport: number; dport: number }[] = [];
    const done = s.run((f) => {
      if (decodePacket(f.data, f.offset, f.offset + f.caplen, f.linkType, view) === DECODE_OK) {
        got.push({ n: f.number, flags: view.flags, sport: view.srcPort, dport: view.dstPort });
      }
      if (got.length >= 2) s.stop();
    });
    const stopper = setTimeout(() => s.stop(), 10_000);
    const c = connect(port, '127.0.0.1');
    const err = await new Promise<string>((r) => c.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? '')));
    await done;
    clearTimeout(stopper);
    assert.equal(err, 'ECONNREFUSED');
    assert.equal(got.length, 2);
    assert.deepEqual(got.map((x) => x.n), [1, 2]);
    assert.equal(got[0]!.flags & (TCP_FLAG_SYN | TCP_FLAG_RST), TCP_FLAG_SYN);
    assert.equal(got[0]!.dport, port);
    assert.ok((got[1]!.flags & TCP_FLAG_RST) !== 0);
    assert.equal(got[1]!.sport, port);
  });
});

describe('capture/interfaces', () => {
  const probe = (cap: () => CapModule): InterfaceProbe => ({
    loadCap: cap,
    kernelNames: () => ['eth0', 'lo', 'veth7'],
    sysfs: (name, file) => {
      const table: Record<string, Record<string, string>> = {
        eth0: { flags: '0x1003', operstate: 'up', carrier: '1' },
        lo: { flags: '0x9', operstate: 'unknown', carrier: '1' },
        veth7: { flags: '0x1002', operstate: 'down' },
      };
      return table[name]?.[file] ?? null;
    },
    addresses: () => ({
      eth0: [
        { address: '10.0.0.5', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: null },
        { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '', internal: false, cidr: null, scopeid: 2 },
      ],
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: null }],
    }),
  });

  it('merges libpcap\'s devices with the kernel\'s addresses and link state, as tcpdump -D shows them', () => {
    const { mod } = fakeCap({ devices: DEVICES, opens: [] });
    const l = listInterfaces(probe(() => mod));
    assert.equal(l.libpcap, true);
    assert.equal(l.problem, null);
    assert.deepEqual(l.interfaces.map((i) => i.name), ['eth0', 'any', 'lo', 'veth7']);
    const [eth0, any, lo, veth7] = l.interfaces;
    assert.deepEqual(eth0!.addresses, [
      { address: '10.0.0.5', family: 'IPv4', prefix: 24 }, { address: 'fe80::1', family: 'IPv6', prefix: 64 },
    ]);
    assert.equal(stateText(eth0!), 'Up, Running, Connected');
    assert.equal(stateText(any!), 'Up, Running');
    assert.equal(any!.description, 'Pseudo-device that captures on all interfaces');
    assert.equal(stateText(lo!), 'Up, Running, Loopback');
    assert.equal(stateText(veth7!), 'Disconnected');
    assert.equal(veth7!.capture, false, 'known to the kernel only');
  });

  it('without libpcap it still lists the kernel\'s interfaces and says what live capture needs', () => {
    const l = listInterfaces(probe(() => loadCap('synscope-no-such-module')));
    assert.equal(l.libpcap, false);
    assert.match(l.problem ?? '', /^live capture needs libpcap/);
    assert.deepEqual(l.interfaces.map((i) => i.name), ['eth0', 'lo', 'veth7']);
    assert.equal(l.interfaces[0]!.addresses.length, 2);
  });

  it('netmasks become prefix lengths', () => {
    assert.equal(prefixLength('255.255.255.0'), 24);
    assert.equal(prefixLength('255.255.255.255'), 32);
    assert.equal(prefixLength('0.0.0.0'), 0);
    assert.equal(prefixLength('255.0.255.0'), null);
    assert.equal(prefixLength('ffff:ffff:ffff:ffff::'), 64);
    assert.equal(prefixLength('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), 128);
    assert.equal(prefixLength(undefined), null);
  });
});

describe('live: EvidenceStream writes listed packets in capture order as verdicts arrive', () => {
  class MemoryWriter implements EvidenceWriter {
    readonly path = 'mem.pcap';
    readonly format = 'pcap' as const;
    packets = 0;
    written: number[] = [];
    closed = false;
    write(frame: EvidenceFrame): void {
      this.written.push(frame.tsSec);
      this.packets++;
    }
    async close(): Promise<void> {
      this.closed = true;
    }
    async abort(): Promise<void> {
      this.closed = true;
    }
  }
  const pkt = (n: number): KeptPacket => ({ number: n, fileIndex: 0, seq: n, tsSec: n, tsNsec: 0, linkType: 1, origLen: 60, data: Buffer.alloc(60) });

  it('holds a packet back until no later verdict can precede it, and writes a shared packet once', async () => {
    const w = new MemoryWriter();
    const s = new EvidenceStream(w);
    // Attempt A: frames 1, 5, 9. Attempt B: frames 2, 3. Attempt C: frames 6, 9 (9 shared).
    // Each add() passes the first frame of the oldest attempt still unreported after it.
    s.add([pkt(1), pkt(5), pkt(9)], 2); // B and C still open
    assert.deepEqual(w.written, [1]);
    s.add([pkt(2), pkt(3)], 6); // C still open
    assert.deepEqual(w.written, [1, 2, 3, 5]);
    s.add([pkt(6), pkt(9)], Number.POSITIVE_INFINITY);
    assert.deepEqual(w.written, [1, 2, 3, 5, 6, 9]);
    assert.equal(s.waiting, 0);
    await s.close();
    assert.deepEqual(w.written, [1, 2, 3, 5, 6, 9]);
    assert.ok(w.closed);
  });

  it('keeps capture order when a later attempt is reported first (live verdicts come as reached)', async () => {
    const w = new MemoryWriter();
    const s = new EvidenceStream(w);
    // A (frames 1, 7) is still waiting for its timeout when B (frames 3, 4) is refused.
    s.add([pkt(3), pkt(4)], 1);
    assert.deepEqual(w.written, []);
    assert.equal(s.waiting, 2);
    s.add([pkt(1), pkt(7)], Number.POSITIVE_INFINITY);
    await s.close();
    assert.deepEqual(w.written, [1, 3, 4, 7]);
    assert.ok(w.closed);
  });
});
