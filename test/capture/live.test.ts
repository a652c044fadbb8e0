// capture/live.ts and capture/interfaces.ts: the default filter, what each libpcap failure turns into,
// the Frames a LiveSource delivers (through a fake binding), and one real capture on
// loopback (root only; required under SYNSCOPE_REQUIRE_LIVE_TESTS=1). src/live.ts's EvidenceStream is tested here too.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type AddressInfo } from 'node:net';
import {
  BASE_FILTER,
  carrierFilter,
  CLOCK_LAG_MS,
  DEFAULT_RING_MIB,
  DEFAULT_SNAPLEN,
  defaultFilter,
  LiveSource,
  loadPcap,
  openError,
  PCAP_IF_LOOPBACK,
  type PcapBinding,
  type PcapCapture,
  type PcapCaptureOptions,
  type PcapDevice,
  type PcapStats,
} from '../../src/capture/live.js';
import { listInterfaces, prefixLength, stateText, type InterfaceProbe } from '../../src/capture/interfaces.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, type Frame } from '../../src/capture/source.js';
import { decodePacket } from '../../src/decode/packet.js';
import { DECODE_OK, PacketView, TCP_FLAG_RST, TCP_FLAG_SYN } from '../../src/decode/view.js';
import { LiveCaptureUnavailableError } from '../../src/errors.js';
import { EvidenceStream } from '../../src/live.js';
import type { EvidenceFrame, EvidenceWriter } from '../../src/report/evidence-writer.js';
import type { KeptPacket } from '../../src/track/attempt.js';
import { requireLive } from '../helpers/netns.js';

// ---------------------------------------------------------------------------------------------
// a fake binding: each `new Capture()` does what the test says, batches of records are emitted by hand

interface FakeScript {
  devices: PcapDevice[];
  /** What each successive `new Capture()` does: a DLT_* to report, or an Error to throw. */
  opens: (number | Error)[];
}

type OnBatch = (bytes: number, packets: number, error: string | undefined) => void;

interface FakeHandle extends PcapCapture {
  device: string;
  options: PcapCaptureOptions;
  buffer: Buffer;
  closed: number;
  stat: PcapStats;
  /** Writes the packets as records (ts given per packet) into the buffer and calls onBatch once. */
  emit(packets: readonly { sec: number; nsec: number; bytes: Buffer; origLen?: number }[], error?: string): void;
}

/** A binding Error as native/pcap_binding.cc throws it. */
function pcapError(message: string, status: number, stage: string): Error {
  return Object.assign(new Error(message), { status, stage });
}

function fakePcap(script: FakeScript): { mod: PcapBinding; handles: FakeHandle[] } {
  const handles: FakeHandle[] = [];
  class FakeCapture implements FakeHandle {
    device: string;
    options: PcapCaptureOptions;
    buffer: Buffer = Buffer.alloc(0);
    closed = 0;
    stat: PcapStats = { received: 0, dropped: 0, ifdropped: 0 };
    linkType: number;
    snaplen: number;
    nanosecond = true;
    warning = null;
    private onBatch: OnBatch | null = null;
    constructor(device: string, options: PcapCaptureOptions) {
      const next = script.opens.shift();
      if (next === undefined) throw new Error('test: unexpected new Capture()');
      if (next instanceof Error) throw next;
      this.device = device;
      this.options = options;
      this.linkType = next;
      this.snaplen = options.snaplen;
      handles.push(this);
    }
    start(buffer: Buffer, onBatch: OnBatch): void {
      this.buffer = buffer;
      this.onBatch = onBatch;
    }
    stats(): PcapStats | null {
      return this.closed > 0 ? null : this.stat;
    }
    close(): void {
      this.closed++;
    }
    emit(packets: readonly { sec: number; nsec: number; bytes: Buffer; origLen?: number }[], error?: string): void {
      let at = 0;
      for (const p of packets) {
        this.buffer.writeUInt32LE(p.sec, at);
        this.buffer.writeUInt32LE(p.nsec, at + 4);
        this.buffer.writeUInt32LE(p.bytes.length, at + 8);
        this.buffer.writeUInt32LE(p.origLen ?? p.bytes.length, at + 12);
        p.bytes.copy(this.buffer, at + 16);
        at += 16 + p.bytes.length;
      }
      this.onBatch?.(at, packets.length, error);
    }
  }
  const mod: PcapBinding = { Capture: FakeCapture, findAllDevs: () => script.devices, libVersion: 'fake' };
  return { mod, handles };
}

const DEVICES: PcapDevice[] = [
  { name: 'eth0', description: null, flags: 0, addresses: [{ addr: '10.0.0.5', netmask: '255.255.255.0' }] },
  { name: 'any', description: 'Pseudo-device that captures on all interfaces', flags: 0, addresses: [] },
  { name: 'lo', description: null, flags: PCAP_IF_LOOPBACK, addresses: [{ addr: '127.0.0.1', netmask: '255.0.0.0' }] },
];
const ETHER = (): number => 1;
// DLT_* values (pcap/dlt.h)
const DLT_EN10MB = 1;
const DLT_LINUX_SLL = 113;
const DLT_IEEE802_11_RADIO = 127;

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

describe('capture/live: the default filter', () => {
  it('filters by protocol only (no tcp[] offsets, which miss IPv6), with VLAN tags on Ethernet, not on -i any', () => {
    assert.equal(BASE_FILTER, 'tcp or icmp or icmp6');
    assert.doesNotMatch(BASE_FILTER, /\[/);
    const carriers =
      'udp dst port 4789 or 8472 or 6081 or 4754 or ip proto 4 or 41 or 47 or ip6 proto 4 or 41 or 47' +
      ' or (ip[6:2] & 0x3fff != 0) or ip6[6] == 44';
    assert.equal(carrierFilter(), carriers);
    const inner = `tcp or icmp or icmp6 or ${carriers}`;
    const ether = 'ether proto 0x8847 or 0x8848 or 0x8864';
    assert.equal(defaultFilter('eth0', 1), `${inner} or ${ether} or (vlan and (${inner}))`);
    assert.equal(defaultFilter('lo', 772), `${inner} or ${ether} or (vlan and (${inner}))`);
    assert.equal(defaultFilter('any', -1), `${inner} or ${ether}`);
    assert.equal(defaultFilter('tun0', 65534), inner);
    assert.match(carrierFilter([4790, 4789]), /^udp dst port 4789 or 8472 or 6081 or 4754 or 4790 or ip proto/);
  });

  it('the default filters compile (tcpdump -d) for Ethernet, cooked and raw IP, and pass tunnels and fragments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synscope-filter-'));
    try {
      // An empty classic pcap of the link type: tcpdump compiles the filter for it.
      const empty = (linkType: number): string => {
        const h = Buffer.alloc(24);
        h.writeUInt32LE(0xa1b2c3d4, 0);
        h.writeUInt16LE(2, 4);
        h.writeUInt16LE(4, 6);
        h.writeUInt32LE(65535, 16);
        h.writeUInt32LE(linkType, 20);
        const f = join(dir, `${linkType}.pcap`);
        writeFileSync(f, h);
        return f;
      };
      const cases: Array<[number, string]> = [
        [1, defaultFilter('eth0', 1, [9999])],
        [276, defaultFilter('any', -1)],
        [101, defaultFilter('tun0', 65534)],
      ];
      for (const [linkType, filter] of cases) {
        const r = spawnSync('tcpdump', ['-r', empty(linkType), '-d', filter], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${linkType}: ${r.stderr}`);
      }
      // Every packet of the VXLAN captures (datagrams and their fragments) passes the Ethernet filter.
      for (const name of ['vxlan-ipv4-underlay', 'vxlan-ipv6-underlay', 'vxlan-fragmented']) {
        const cap = join('captures', `${name}.pcap`);
        const all = spawnSync('tcpdump', ['-nr', cap], { encoding: 'utf8' }).stdout.split('\n').length;
        const kept = spawnSync('tcpdump', ['-nr', cap, defaultFilter('eth0', 1)], { encoding: 'utf8' }).stdout.split(
          '\n',
        ).length;
        assert.equal(kept, all, name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('capture/live: errors say what to do', () => {
  it('the binding cannot be loaded: E_NO_LIBPCAP with the install command', () => {
    const got = code(() => loadPcap('/nonexistent/synscope_pcap.node'));
    assert.match(
      got,
      new RegExp(
        /^E_NO_LIBPCAP: live capture needs libpcap and synscope's libpcap binding, which cannot be loaded /.source +
          /\(it was not built at install: no compiler or no libpcap headers\); /.source +
          /install them: apt-get install libpcap-dev build-essential, then npm run build:native/.source,
      ),
    );
    assert.doesNotMatch(got, /\n/);
  });

  it('libpcap failures become permission, interface, filter or plain errors', () => {
    const devs = ['eth0', 'lo'];
    assert.match(
      code(() => {
        throw openError(
          'eth0',
          'tcp',
          false,
          pcapError(
            "You don't have permission to perform this capture on that device (socket: Operation not permitted)",
            -8,
            'activate',
          ),
          devs,
        );
      }),
      new RegExp(
        /^E_LIVE_PERMISSION: no permission to capture on eth0 \(libpcap: You don't have permission .*\); /.source +
          /run synscope as root, or .*setcap cap_net_raw,cap_net_admin=eip/.source,
      ),
    );
    assert.match(
      code(() => {
        throw openError('eth9', 'tcp', false, pcapError('No such device exists', -5, 'activate'), devs);
      }),
      /^E_LIVE_INTERFACE: no interface 'eth9' to capture on; this host has: eth0, lo/,
    );
    assert.match(
      code(() => {
        throw openError(
          'eth0',
          'tcp[[[',
          true,
          pcapError("can't parse filter expression: syntax error", -1, 'filter'),
          devs,
        );
      }),
      /^E_LIVE_FILTER: bad --filter 'tcp\[\[\[': can't parse filter expression: syntax error/,
    );
    assert.match(
      code(() => {
        throw openError(
          'nflog',
          BASE_FILTER,
          false,
          pcapError('NFLOG link-layer type filtering not implemented', -1, 'filter'),
          devs,
        );
      }),
      /^E_LIVE_FILTER: libpcap cannot filter TCP and ICMP on nflog/,
    );
    assert.match(
      code(() => {
        throw openError('eth0', '', false, pcapError('something odd', -1, 'activate'), devs);
      }),
      /^E_LIVE: cannot capture on eth0: something odd/,
    );
  });

  it('an interface libpcap does not list is refused before activation, naming the real ones', () => {
    const { mod, handles } = fakePcap({ devices: DEVICES, opens: [] });
    assert.match(
      code(() => LiveSource.open('eht0', { filter: null, pcap: mod }, ETHER)),
      /^E_LIVE_INTERFACE: no interface 'eht0' to capture on; this host has: eth0, any, lo/,
    );
    assert.equal(handles.length, 0);
  });

  it("a bad --filter is reported with libpcap's message", () => {
    const { mod } = fakePcap({
      devices: DEVICES,
      opens: [pcapError("can't parse filter expression: syntax error", -1, 'filter')],
    });
    assert.match(
      code(() => LiveSource.open('eth0', { filter: 'port', pcap: mod }, ETHER)),
      /^E_LIVE_FILTER: bad --filter 'port': can't parse/,
    );
  });

  it('when the default VLAN clause is refused, it opens again without it', () => {
    const { mod, handles } = fakePcap({
      devices: DEVICES,
      opens: [pcapError('no VLAN support for this link type', -1, 'filter'), DLT_EN10MB],
    });
    const s = LiveSource.open('eth0', { filter: null, pcap: mod }, ETHER);
    assert.equal(s.filter, BASE_FILTER);
    assert.equal(handles.length, 1);
    assert.equal(handles[0]!.options.filter, BASE_FILTER);
    s.stop();
  });

  it('a link type synscope does not decode: E_LIVE, and the handle is closed', () => {
    const { mod, handles } = fakePcap({ devices: DEVICES, opens: [DLT_IEEE802_11_RADIO] });
    assert.match(
      code(() => LiveSource.open('eth0', { filter: null, pcap: mod }, ETHER)),
      /^E_LIVE: eth0 has link type LINKTYPE_127, which synscope does not decode/,
    );
    assert.equal(handles[0]!.closed, 1);
  });
});

describe('capture/live: LiveSource frames', () => {
  it('asks libpcap for a small snaplen, a ring in MiB, TPACKET_V3 blocks retired within 25 ms', () => {
    const { mod, handles } = fakePcap({ devices: DEVICES, opens: [DLT_EN10MB, DLT_EN10MB] });
    LiveSource.open('eth0', { filter: null, pcap: mod }, ETHER).stop();
    LiveSource.open('eth0', { filter: 'tcp', pcap: mod, ringMiB: 8, snaplen: 1500 }, ETHER).stop();
    assert.deepEqual(
      handles.map((h) => h.options),
      [
        {
          snaplen: DEFAULT_SNAPLEN,
          bufferSize: DEFAULT_RING_MIB * 1024 * 1024,
          timeoutMs: 25,
          promisc: true,
          filter: defaultFilter('eth0', 1),
        },
        { snaplen: 1500, bufferSize: 8 * 1024 * 1024, timeoutMs: 25, promisc: true, filter: 'tcp' },
      ],
    );
  });

  it('walks each batch of records into one reused Frame, numbered from 1, kernel times, wire lengths', async () => {
    const { mod, handles } = fakePcap({ devices: DEVICES, opens: [DLT_EN10MB] });
    const s = LiveSource.open('eth0', { filter: null, pcap: mod }, ETHER);
    const h = handles[0]!;
    assert.deepEqual(
      [s.format, s.gzip, s.linkTypes, s.name, s.snaplen],
      ['live', false, [LINKTYPE_ETHERNET], 'eth0', DEFAULT_SNAPLEN],
    );
    const seen: [number, number, number, number, number, number, boolean][] = [];
    let frameObj: Frame | null = null;
    const done = s.run((f) => {
      if (frameObj === null) frameObj = f;
      seen.push([
        f.number,
        f.tsSec,
        f.tsNsec,
        f.caplen,
        f.origLen,
        f.data[f.offset]!,
        f === frameObj && f.data === h.buffer,
      ]);
      assert.equal(f.linkType, LINKTYPE_ETHERNET);
      assert.equal(f.tsDigits, 9);
    });
    h.emit([
      { sec: 1700000000, nsec: 999_999_999, bytes: Buffer.alloc(60, 1) },
      { sec: 1700000001, nsec: 17, bytes: Buffer.alloc(256, 2), origLen: 1514 },
    ]);
    h.emit([{ sec: 1700000001, nsec: 18, bytes: Buffer.alloc(54, 3) }]);
    h.stat = { received: 5, dropped: 2, ifdropped: 1 };
    s.stop();
    await done;
    assert.deepEqual(seen, [
      [1, 1700000000, 999_999_999, 60, 60, 1, true],
      [2, 1700000001, 17, 256, 1514, 2, true],
      [3, 1700000001, 18, 54, 54, 3, true],
    ]);
    assert.equal(s.packets, 3);
    assert.deepEqual(
      s.stats(),
      { received: 5, dropped: 2, ifdropped: 1 },
      'the last reading, taken before the handle closed',
    );
    assert.equal(h.closed, 1);
    s.stop();
    assert.equal(h.closed, 1, 'stop() twice closes once');
  });

  it('stops by itself after --count packets, in the middle of a batch', async () => {
    const { mod, handles } = fakePcap({ devices: DEVICES, opens: [DLT_LINUX_SLL] });
    const s = LiveSource.open('any', { filter: null, count: 3, pcap: mod }, () => -1);
    assert.equal(s.linkType, LINKTYPE_LINUX_SLL);
    const numbers: number[] = [];
    const done = s.run((f) => numbers.push(f.number));
    handles[0]!.emit([0, 1, 2, 3, 4].map((i) => ({ sec: 1, nsec: i, bytes: Buffer.alloc(40) })));
    await done;
    assert.deepEqual(numbers, [1, 2, 3]);
    assert.equal(s.packets, 3);
    assert.ok(s.stopped);
    assert.equal(s.lost, null);
  });

  it('an interface that goes away: the batch is delivered, then run() resolves with `lost` saying why', async () => {
    const { mod, handles } = fakePcap({ devices: DEVICES, opens: [DLT_EN10MB] });
    const s = LiveSource.open('eth0', { filter: 'tcp', pcap: mod }, ETHER);
    const numbers: number[] = [];
    const done = s.run((f) => numbers.push(f.number));
    handles[0]!.emit([{ sec: 1, nsec: 0, bytes: Buffer.alloc(40) }], 'The interface went down');
    await done;
    assert.deepEqual(numbers, [1]);
    assert.equal(s.lost, 'The interface went down');
    assert.equal(handles[0]!.closed, 1);
  });

  it('run() rejects when the frame handler throws, after stopping the capture', async () => {
    const { mod, handles } = fakePcap({ devices: DEVICES, opens: [DLT_EN10MB] });
    const s = LiveSource.open('eth0', { filter: 'tcp', pcap: mod }, ETHER);
    const done = s.run(() => {
      throw new Error('bug');
    });
    handles[0]!.emit([{ sec: 1, nsec: 0, bytes: Buffer.alloc(40) }]);
    await assert.rejects(done, /bug/);
    assert.equal(handles[0]!.closed, 1);
  });

  it('the idle clock is the wall clock (what the kernel stamps packets with), a little behind', () => {
    const { mod } = fakePcap({ devices: DEVICES, opens: [DLT_EN10MB] });
    const s = LiveSource.open('eth0', { filter: 'tcp', pcap: mod }, ETHER);
    const before = Date.now();
    s.readClock();
    const t = s.clockSec * 1000 + s.clockNsec / 1e6;
    assert.ok(t <= before - CLOCK_LAG_MS + 50 && t >= before - CLOCK_LAG_MS - 50, `${t} vs ${before}`);
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
    assert.deepEqual(
      got.map((x) => x.n),
      [1, 2],
    );
    assert.equal(got[0]!.flags & (TCP_FLAG_SYN | TCP_FLAG_RST), TCP_FLAG_SYN);
    assert.equal(got[0]!.dport, port);
    assert.ok((got[1]!.flags & TCP_FLAG_RST) !== 0);
    assert.equal(got[1]!.sport, port);
  });
});

describe('capture/interfaces', () => {
  const probe = (pcap: () => PcapBinding): InterfaceProbe => ({
    loadPcap: pcap,
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
        {
          address: 'fe80::1',
          netmask: 'ffff:ffff:ffff:ffff::',
          family: 'IPv6',
          mac: '',
          internal: false,
          cidr: null,
          scopeid: 2,
        },
      ],
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: null }],
    }),
  });

  it("merges libpcap's devices with the kernel's addresses and link state, as tcpdump -D shows them", () => {
    const { mod } = fakePcap({ devices: DEVICES, opens: [] });
    const l = listInterfaces(probe(() => mod));
    assert.equal(l.libpcap, true);
    assert.equal(l.problem, null);
    assert.deepEqual(
      l.interfaces.map((i) => i.name),
      ['eth0', 'any', 'lo', 'veth7'],
    );
    const [eth0, any, lo, veth7] = l.interfaces;
    assert.deepEqual(eth0!.addresses, [
      { address: '10.0.0.5', family: 'IPv4', prefix: 24 },
      { address: 'fe80::1', family: 'IPv6', prefix: 64 },
    ]);
    assert.equal(stateText(eth0!), 'Up, Running, Connected');
    assert.equal(stateText(any!), 'Up, Running');
    assert.equal(any!.description, 'Pseudo-device that captures on all interfaces');
    assert.equal(stateText(lo!), 'Up, Running, Loopback');
    assert.equal(stateText(veth7!), 'Disconnected');
    assert.equal(veth7!.capture, false, 'known to the kernel only');
  });

  it("without libpcap it still lists the kernel's interfaces and says what live capture needs", () => {
    const l = listInterfaces(probe(() => loadPcap('/nonexistent/synscope_pcap.node')));
    assert.equal(l.libpcap, false);
    assert.match(l.problem ?? '', /^live capture needs libpcap/);
    assert.deepEqual(
      l.interfaces.map((i) => i.name),
      ['eth0', 'lo', 'veth7'],
    );
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
  const pkt = (n: number): KeptPacket => ({
    number: n,
    fileIndex: 0,
    seq: n,
    tsSec: n,
    tsNsec: 0,
    linkType: 1,
    origLen: 60,
    data: Buffer.alloc(60),
    offset: 0,
    caplen: 60,
  });

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
