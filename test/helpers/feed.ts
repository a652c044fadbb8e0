// Hand-made packets (raw IPv4/IPv6 bytes at a time in seconds) fed to a HandshakeTracker as frames,
// for the tests of the tracker and of what is built on its verdicts.

import { strict as assert } from 'node:assert';
import { Frame, LINKTYPE_RAW } from '../../src/capture/source.js';
import { decodePacket } from '../../src/decode/packet.js';
import { DECODE_OK, PacketView } from '../../src/decode/view.js';
import type { HandshakeTracker } from '../../src/track/handshakes.js';

/** Capture time of t = 0 (absolute seconds). */
export const T0 = 1_763_000_000;

export interface Pkt {
  /** Seconds after T0. */
  t: number;
  bytes: Buffer;
}

/** A function that feeds one hand-made packet (raw IPv4/IPv6) to the tracker as frame `n`. */
export function feeder(tracker: HandshakeTracker): (p: Pkt, n: number) => void {
  const view = new PacketView();
  const frame = new Frame();
  frame.linkType = LINKTYPE_RAW;
  return (p, n) => {
    frame.number = n;
    frame.tsSec = T0 + Math.floor(p.t);
    frame.tsNsec = Math.round((p.t - Math.floor(p.t)) * 1e9);
    frame.data = p.bytes;
    frame.offset = 0;
    frame.caplen = p.bytes.length;
    frame.origLen = p.bytes.length;
    assert.equal(decodePacket(p.bytes, 0, p.bytes.length, LINKTYPE_RAW, view), DECODE_OK, `packet ${n} decodes`);
    tracker.packet(frame, view);
  };
}
