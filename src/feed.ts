// The per-packet path `read` and `live` share: decode each frame into the one reused PacketView and
// feed the tracker; fragments go through the reassembler first; count what is not TCP, damaged or of an
// unknown link type; note the time span.

import type { Frame } from './capture/source.js';
import { decodePacket } from './decode/packet.js';
import { Reassembler } from './decode/reassembly.js';
import {
  DECODE_BAD_HEADER,
  DECODE_FRAGMENT,
  DECODE_NOT_TCP,
  DECODE_OK,
  DECODE_TRUNCATED,
  DECODE_UNKNOWN_LINK,
  PacketView,
} from './decode/view.js';
import type { CaptureJson } from './report/reporter.js';
import { isoTime } from './report/text.js';
import type { Coverage, HandshakeTracker } from './track/handshakes.js';

export class PacketFeed {
  private readonly view = new PacketView();
  private readonly tracker: HandshakeTracker;
  private readonly fragments: Reassembler;
  private firstSec = -1;
  private firstNsec = 0;
  private lastSec = 0;
  private lastNsec = 0;
  /** The finest timestamp precision seen (decimal digits). */
  digits = 6;
  private other = 0;
  private bad = 0;
  private unknownLink = 0;

  /** `fragments` may be shared by the feeds of several inputs of one timeline. */
  constructor(tracker: HandshakeTracker, fragments = new Reassembler(tracker.keepsPackets)) {
    this.tracker = tracker;
    this.fragments = fragments;
  }

  /** Adds the reassembler's anomalies (fragments overlapping, incomplete, inconsistent) to `into`. */
  addAnomalies(into: Record<string, number>): void {
    this.fragments.addAnomalies(into);
  }

  /** The FrameHandler a FrameSource runs: nothing allocated per packet. */
  readonly onFrame = (frame: Frame): void => {
    if (this.firstSec < 0) {
      this.firstSec = frame.tsSec;
      this.firstNsec = frame.tsNsec;
    }
    this.lastSec = frame.tsSec;
    this.lastNsec = frame.tsNsec;
    if (frame.tsDigits > this.digits) this.digits = frame.tsDigits;
    const view = this.view;
    let st = decodePacket(frame.data, frame.offset, frame.offset + frame.caplen, frame.linkType, view);
    if (st === DECODE_OK) {
      this.tracker.packet(frame, view);
      return;
    }
    if (st === DECODE_FRAGMENT) {
      st = this.fragments.add(frame, view, this.tracker.nextSeq());
      if (st === DECODE_OK) {
        this.tracker.packet(frame, view, this.fragments.parts);
        return;
      }
    }
    // Every packet moves the capture clock: "the capture goes on" counts ARP and UDP too.
    this.tracker.otherPacket(frame);
    if (st === DECODE_NOT_TCP) this.other++;
    else if (st === DECODE_UNKNOWN_LINK) this.unknownLink++;
    else if (st === DECODE_TRUNCATED || st === DECODE_BAD_HEADER) this.bad++;
  };

  /** Writes the time span and the skipped-packet counts into a capture's JSON. */
  describe(cap: CaptureJson): void {
    if (this.firstSec >= 0) {
      cap.first = isoTime(this.firstSec, this.firstNsec, this.digits);
      cap.last = isoTime(this.lastSec, this.lastNsec, this.digits);
    }
    cap.otherPackets = this.other;
    cap.badPackets = this.bad;
    cap.unknownLinkPackets = this.unknownLink;
  }
}

/** A copy of what the tracker saw of the capture's directions and losses. */
export function coverageOf(tracker: HandshakeTracker): Coverage {
  return { ...tracker.coverage };
}

/** Where the timestamps of input `fileIndex` went backwards, if they did. */
export function describeClock(cap: CaptureJson, tracker: HandshakeTracker, fileIndex: number): void {
  const b = tracker.backwards[fileIndex];
  if (b !== undefined && b.count > 0) {
    cap.timestampsBackwards = { count: b.count, firstFrame: b.firstFrame, maxMs: Math.round(b.maxSeconds * 1e6) / 1e3 };
  }
}
