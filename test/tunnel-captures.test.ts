// The tunnel and fragment captures (captures/vxlan-*, recorded; captures/crafted-*, crafted where this kernel
// cannot build the tunnel) against tshark's own dissection: every frame synscope lists for an attempt is, in
// tshark, a packet of that 4-tuple or a fragment tshark reassembled into one, and the tunnel synscope names
// (VNI, GRE key, ERSPAN session, MPLS label, PPPoE session, outer source) is the one tshark decodes in the SYN.
// captures.test.ts checks the verdicts themselves.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTURES, synscope } from './helpers/cli.js';

const FIELDS = [
  'frame.number',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags',
  'ip.src',
  'ipv6.src',
  'ip.fragment',
  'ipv6.fragment',
  'vxlan.vni',
  'geneve.vni',
  'gre.key',
  'erspan.spanid',
  'mpls.label',
  'pppoe.session_id',
] as const;
type Row = Record<(typeof FIELDS)[number], string[]>;

/** tshark's fields per frame; multiple occurrences (outer first) as a list. UDP 8472 is VXLAN, as Linux uses it. */
function dissect(file: string): Map<number, Row> {
  const r = spawnSync(
    'tshark',
    [
      '-r',
      file,
      '-d',
      'udp.port==8472,vxlan',
      '-T',
      'fields',
      '-E',
      'separator=|',
      ...FIELDS.flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const rows = new Map<number, Row>();
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const cols = line.split('|');
    const row = Object.fromEntries(
      FIELDS.map((f, i) => [f, cols[i] === '' || cols[i] === undefined ? [] : cols[i]!.split(',')]),
    ) as Row;
    rows.set(Number(row['frame.number'][0]), row);
  }
  return rows;
}

interface Handshake {
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  frames: number[];
  tunnel?: {
    kind: string;
    vni?: number;
    key?: number | null;
    session?: number | null;
    label?: number;
    outer: { src: string } | null;
  };
}

/** The tunnel id tshark decoded in a frame, for the record's kind; undefined when it shows none. */
function tsharkId(row: Row, kind: string): number | undefined {
  const field = (
    {
      vxlan: 'vxlan.vni',
      geneve: 'geneve.vni',
      gre: 'gre.key',
      erspan: 'erspan.spanid',
      mpls: 'mpls.label',
      pppoe: 'pppoe.session_id',
    } as const
  )[kind as 'vxlan'];
  if (field === undefined) return undefined;
  const values = row[field];
  // The innermost tunnel is the record's; MPLS: the bottom label (the last tshark lists).
  const v = kind === 'mpls' ? values.at(-1) : values[0];
  return v === undefined ? undefined : Number(v);
}

const files = readdirSync(CAPTURES)
  .filter((f) => /^(vxlan-|crafted-).*\.pcap$/.test(f))
  .sort();

describe('tunnel and fragment captures against tshark', () => {
  it('there are recorded VXLAN captures and crafted ones for the other tunnels and fragments', () => {
    assert.ok(files.includes('vxlan-ipv4-underlay.pcap') && files.includes('vxlan-ipv6-underlay.pcap'));
    assert.ok(files.includes('crafted-gre-ipip.pcap') && files.includes('crafted-fragments.pcap'));
  });

  for (const file of files) {
    it(file, () => {
      const path = join('captures', file);
      const r = synscope(['read', path, '--format', 'json']);
      assert.equal(r.status, 0, r.stderr);
      const handshakes = (JSON.parse(r.stdout) as { handshakes: Handshake[] }).handshakes;
      assert.ok(handshakes.length > 0);
      const rows = dissect(path);
      for (const h of handshakes) {
        const what = `${file}: ${h.client.ip}.${h.client.port} > ${h.server.ip}.${h.server.port}`;
        const ports = (row: Row): boolean => {
          const s = Number(row['tcp.srcport'].at(-1));
          const d = Number(row['tcp.dstport'].at(-1));
          return (s === h.client.port && d === h.server.port) || (s === h.server.port && d === h.client.port);
        };
        // A frame of the attempt: tshark shows the 4-tuple in it (an ICMP quote's too), or reassembles it into
        // one that does.
        const explained = new Set<number>();
        for (const n of h.frames) {
          const row = rows.get(n);
          assert.ok(row !== undefined, `${what}: frame ${n} exists`);
          if (!ports(row)) continue;
          explained.add(n);
          for (const f of [...row['ip.fragment'], ...row['ipv6.fragment']]) explained.add(Number(f));
          // MPLS labels differ per direction: the record's is the SYN's (the first frame).
          if (h.tunnel !== undefined && (h.tunnel.kind !== 'mpls' || n === h.frames[0])) {
            const id = h.tunnel.vni ?? h.tunnel.key ?? h.tunnel.session ?? h.tunnel.label;
            if (id !== undefined && id !== null)
              assert.equal(tsharkId(row, h.tunnel.kind), id, `${what}: ${h.tunnel.kind} id in frame ${n}`);
          }
        }
        for (const n of h.frames)
          assert.ok(explained.has(n), `${what}: frame ${n} is a packet or fragment of it in tshark`);
        // The first frame tshark dissects as the SYN carries the outer source synscope names.
        const first = h.frames.find((n) => ports(rows.get(n)!))!;
        const row = rows.get(first)!;
        if (h.tunnel?.outer) {
          const outerSrc = [...row['ip.src'], ...row['ipv6.src']];
          assert.ok(
            outerSrc.includes(h.tunnel.outer.src),
            `${what}: outer source ${h.tunnel.outer.src} in ${outerSrc.join(',')}`,
          );
        } else if (h.tunnel === undefined) {
          for (const f of ['vxlan.vni', 'geneve.vni', 'gre.key', 'mpls.label', 'pppoe.session_id'] as const) {
            assert.deepEqual(row[f], [], `${what}: bare in tshark too`);
          }
        }
      }
    });
  }
});
