// --vxlan-port: UDP to another port is VXLAN too (a VXLAN underlay configured off 4789 / 8472), in one
// thread and in two; a bad value is bad usage. The table and markdown say how a listed handshake was carried.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapFileWriter } from '../../src/capture/pcap-writer.js';
import { synscope } from '../helpers/cli.js';
import { CLIENT4, ethernet, ipv4, SERVER4, tcp, udp, VTEP4_A, VTEP4_B, vxlan } from '../helpers/frames.js';

describe('cli: --vxlan-port', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-vxlan-'));
    file = join(dir, 'vxlan-9999.pcap');
    const w = new PcapFileWriter(file);
    const inVni = (inner: Buffer, back: boolean): Buffer =>
      ethernet(
        0x0800,
        ipv4(
          17,
          udp(9999, vxlan(7, ethernet(0x0800, inner))),
          back ? { src: VTEP4_B, dst: VTEP4_A } : { src: VTEP4_A, dst: VTEP4_B },
        ),
      );
    const syn = inVni(ipv4(6, tcp({ flags: 0x02, seq: 100 })), false);
    w.write(1_764_800_000, 0, syn, syn.length);
    const rst = inVni(
      ipv4(6, tcp({ srcPort: 8080, dstPort: 51234, flags: 0x14, seq: 0, ack: 101 }), { src: SERVER4, dst: CLIENT4 }),
      true,
    );
    w.write(1_764_800_000, 300, rst, rst.length);
    w.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('without it, UDP 9999 is not a tunnel: nothing to report', () => {
    const r = synscope(['read', file, '--format', 'json']);
    assert.equal(r.status, 0);
    assert.equal((JSON.parse(r.stdout) as { handshakes: unknown[] }).handshakes.length, 0);
  });

  it('with it, the handshake inside is found', () => {
    const r = synscope(['read', file, '--format', 'json', '--vxlan-port', '4790,9999']);
    assert.equal(r.status, 0, r.stderr);
    const hs = (JSON.parse(r.stdout) as { handshakes: Array<{ outcome: string; tunnel: unknown }> }).handshakes;
    assert.deepEqual(
      hs.map((h) => [h.outcome, h.tunnel]),
      [['refused', { kind: 'vxlan', vni: 7, outer: { src: '192.168.100.1', dst: '192.168.100.2' } }]],
    );
  });

  it('table: a tunnel column; markdown: "Carried in"', () => {
    const table = synscope(['read', file, '--vxlan-port', '9999'], undefined, { COLUMNS: '160' });
    assert.match(table.stdout, /^start .* frames +tunnel$/m);
    assert.match(table.stdout, / vxlan 7 192\.168\.100\.1>192\.168\.100\.2$/m);
    const md = synscope(['read', file, '--vxlan-port', '9999', '--format', 'markdown']);
    assert.match(md.stdout, /- \*\*Carried in:\*\* vxlan 7 192\.168\.100\.1>192\.168\.100\.2/);
  });

  it('a value that is not a port is bad usage', () => {
    const r = synscope(['read', file, '--vxlan-port', '70000']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^synscope: --vxlan-port: '70000' is not a UDP port number \(1-65535\)\n$/);
  });
});
