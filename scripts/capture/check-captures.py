#!/usr/bin/env python3
"""Cross-check captures/*.expected.json against the captures themselves.

Independent of synscope: reads each capture's header (format, link types) and
dissects the packets with tshark, classifies every SYN per CONTRACT.md's outcome
table (default --timeout 3 s) and compares with the expected file, whose outcomes
were written from what the real client's connect() returned.

  python3 scripts/capture/check-captures.py [captures-dir]     exit 1 on any mismatch
"""
import gzip
import ipaddress
import json
import os
import struct
import subprocess
import sys

TIMEOUT = 3.0
LINKTYPES = {0: "NULL", 1: "ETHERNET", 101: "RAW", 108: "LOOP", 113: "LINUX_SLL",
             228: "IPV4", 229: "IPV6", 276: "LINUX_SLL2"}
V4_ERRNO = {0: "ENETUNREACH", 6: "ENETUNREACH", 9: "ENETUNREACH", 11: "ENETUNREACH",
            1: "EHOSTUNREACH", 10: "EHOSTUNREACH", 12: "EHOSTUNREACH", 13: "EHOSTUNREACH",
            14: "EHOSTUNREACH", 15: "EHOSTUNREACH", 2: "ENOPROTOOPT", 3: "ECONNREFUSED",
            5: "EOPNOTSUPP", 7: "EHOSTDOWN", 8: "ENONET"}
V6_UNREACH_ERRNO = {0: "ENETUNREACH", 1: "EACCES", 5: "EACCES", 6: "EACCES",
                    2: "EHOSTUNREACH", 3: "EHOSTUNREACH", 4: "ECONNREFUSED"}
FIXED_ERRNO = {"established": None, "aborted": None, "incomplete": None,
               "refused": "ECONNREFUSED", "dropped": "ETIMEDOUT", "timed-out": "ETIMEDOUT"}


def header_info(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return "pcap", [LINKTYPES.get(struct.unpack("<I", data[20:24])[0] & 0xFFFF, "?")], magic == b"\x4d\x3c\xb2\xa1"
    if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return "pcap", [LINKTYPES.get(struct.unpack(">I", data[20:24])[0] & 0xFFFF, "?")], magic == b"\xa1\xb2\x3c\x4d"
    if magic == b"\x0a\x0d\x0d\x0a":
        links, off, end = [], 0, "<"
        while off + 12 <= len(data):
            btype = struct.unpack(end + "I", data[off:off + 4])[0]
            if btype == 0x0A0D0D0A:
                end = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            blen = struct.unpack(end + "I", data[off + 4:off + 8])[0]
            if btype == 1:
                lt = LINKTYPES.get(struct.unpack(end + "H", data[off + 8:off + 10])[0], "?")
                if lt not in links:
                    links.append(lt)
            off += blen
        return "pcapng", links, False
    return "?", [], False


FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.ack", "tcp.flags",
          "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code"]


def packets(path):
    cmd = ["tshark", "-n", "-o", "tcp.relative_sequence_numbers:FALSE", "-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        yield v


def first(v, k, i=0):
    parts = [p for p in v.get(k, "").split(",") if p != ""]
    return parts[i] if len(parts) > i else None


def classify(path):
    atts, end = [], 0.0
    stray = []
    for v in packets(path):
        t = float(v["frame.time_epoch"])
        end = max(end, t)
        fn = int(v["frame.number"])
        v6 = bool(v["ipv6.src"])
        src = first(v, "ipv6.src" if v6 else "ip.src")
        dst = first(v, "ipv6.dst" if v6 else "ip.dst")
        if src:
            src, dst = ipaddress.ip_address(src).compressed, ipaddress.ip_address(dst).compressed
        itype = first(v, "icmpv6.type" if v6 else "icmp.type")
        if itype is not None:
            itype, icode = int(itype), int(first(v, "icmpv6.code" if v6 else "icmp.code"))
            err = (not v6 and (itype == 3 and icode != 4 or itype in (11, 12))) or (v6 and itype in (1, 3, 4))
            if not err or not v["tcp.srcport"]:
                continue  # not an error quoting TCP (echo, ND, ...)
            qsrc = ipaddress.ip_address(first(v, "ipv6.src" if v6 else "ip.src", 1)).compressed
            qdst = ipaddress.ip_address(first(v, "ipv6.dst" if v6 else "ip.dst", 1)).compressed
            qsp, qdp, qseq = int(v["tcp.srcport"]), int(v["tcp.dstport"]), int(first(v, "tcp.seq"))
            for a in atts:
                if (a["c"], a["cp"], a["s"], a["sp"], a["isn"]) == (qsrc, qsp, qdst, qdp, qseq):
                    a["frames"].append(fn)
                    a["icmps"] = a.get("icmps", 0) + 1
                    if a["decided"] or a["synack"]:
                        break
                    a["decided"] = "rejected"
                    a["answerFrom"] = src
                    if v6:
                        a["errno"] = V6_UNREACH_ERRNO.get(icode) if itype == 1 else ("EHOSTUNREACH" if itype == 3 else "EPROTO")
                    else:
                        a["errno"] = V4_ERRNO.get(icode) if itype == 3 else ("EHOSTUNREACH" if itype == 11 else "EPROTO")
                    a["icmp"] = (itype, icode)
                    break
            else:
                stray.append(fn)
            continue
        if not v["tcp.srcport"]:
            continue
        sp, dp = int(v["tcp.srcport"]), int(v["tcp.dstport"])
        seq, ack, fl = int(v["tcp.seq"]), int(v["tcp.ack"] or 0), int(v["tcp.flags"], 16)
        SYN, ACK, RST, FIN = fl & 2, fl & 0x10, fl & 4, fl & 1
        if SYN and not ACK:
            for a in atts:
                if (a["c"], a["cp"], a["s"], a["sp"], a["isn"]) == (src, sp, dst, dp, seq):
                    a["syns"] += 1
                    a["frames"].append(fn)
                    break
            else:
                atts.append({"c": src, "cp": sp, "s": dst, "sp": dp, "isn": seq, "t0": t, "syns": 1,
                             "synack": None, "sisn": None, "decided": None, "resetBy": None,
                             "answerFrom": None, "errno": None, "frames": [fn]})
            continue
        # the latest attempt on this 4-tuple, either direction
        a = None
        for x in reversed(atts):
            if (x["c"], x["cp"], x["s"], x["sp"]) in ((src, sp, dst, dp), (dst, dp, src, sp)):
                a = x
                break
        if a is None:
            stray.append(fn)
            continue
        a["frames"].append(fn)
        from_server = (src, sp) == (a["s"], a["sp"])
        if from_server and SYN and ACK and ack == (a["isn"] + 1) % 2**32:
            if a["synack"] is None and not a["decided"]:
                a["synack"], a["sisn"], a["answerFrom"] = t, seq, src
        elif RST:
            if a["decided"] == "established":
                a["resetBy"] = a["resetBy"] or ("server" if from_server else "client")
            elif not a["decided"]:
                if from_server and a["synack"] is None:
                    a["decided"], a["answerFrom"] = "refused", src
                elif not from_server and a["synack"] is not None:
                    a["decided"] = "aborted"
        elif not from_server and a["synack"] is not None and not a["decided"]:
            if FIN:
                a["decided"] = "aborted"
            elif ACK and ack == (a["sisn"] + 1) % 2**32:
                a["decided"] = "established"
    for a in atts:
        if not a["decided"]:
            if a["synack"] is not None:
                a["decided"] = "timed-out" if end - a["synack"] >= TIMEOUT else "incomplete"
            else:
                a["decided"] = "dropped" if end - a["t0"] >= TIMEOUT else "incomplete"
        if a["decided"] != "rejected":
            a["errno"] = FIXED_ERRNO[a["decided"]]
    atts.sort(key=lambda a: (a["t0"], a["frames"][0]))
    return atts, stray


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "captures")
    bad = 0
    for name in sorted(os.listdir(d)):
        if not name.endswith(".expected.json"):
            continue
        base = name[: -len(".expected.json")]
        cands = [base + ext for ext in (".pcap", ".pcapng", ".pcap.gz") if os.path.exists(os.path.join(d, base + ext))]
        problems = []
        if len(cands) != 1:
            print(f"{base}: capture file not found / ambiguous: {cands}")
            bad += 1
            continue
        cap = os.path.join(d, cands[0])
        exp = json.load(open(os.path.join(d, name)))
        fmt, links, nano = header_info(cap)
        if exp["format"] != fmt:
            problems.append(f"format {fmt} != expected {exp['format']}")
        if exp["linkTypes"] != links:
            problems.append(f"linkTypes {links} != expected {exp['linkTypes']}")
        if exp["scenario"] != base:
            problems.append(f"scenario name {exp['scenario']} != file {base}")
        atts, stray = classify(cap)
        if stray:
            problems.append(f"TCP/ICMP packets matching no attempt: frames {stray}")
        eh = exp["handshakes"]
        if len(eh) != len(atts):
            problems.append(f"{len(atts)} attempts on the wire, {len(eh)} expected")
        summary = []
        for a, e in zip(atts, eh):
            got = {"client": {"ip": a["c"], "port": a["cp"]}, "server": {"ip": a["s"], "port": a["sp"]},
                   "outcome": a["decided"], "errno": a["errno"]}
            for k in ("client", "server", "outcome", "errno"):
                if got[k] != e[k]:
                    problems.append(f"{a['c']}:{a['cp']}->{a['s']}:{a['sp']} {k}: wire {got[k]} expected {e[k]}")
            if a["decided"] in ("refused", "rejected", "established", "timed-out", "aborted"):
                if e.get("answerFrom") != a["answerFrom"]:
                    problems.append(f"{a['cp']}: answerFrom wire {a['answerFrom']} expected {e.get('answerFrom')}")
            elif "answerFrom" in e:
                problems.append(f"{a['cp']}: answerFrom {e['answerFrom']} but no answer on the wire")
            if e.get("resetBy") != a["resetBy"]:
                problems.append(f"{a['cp']}: resetBy wire {a['resetBy']} expected {e.get('resetBy')}")
            if e["outcome"] not in ("aborted",) and e["errno"] != e["clientErrno"]:
                problems.append(f"{a['cp']}: errno {e['errno']} differs from clientErrno {e['clientErrno']}")
            tag = a["decided"] + (f"/{a['errno']}" if a["errno"] else "") + (f" icmp{a['icmp']}" if "icmp" in a else "") \
                + (f" syn×{a['syns']}" if a["syns"] > 1 else "") + (f" icmp×{a['icmps']}" if a.get("icmps", 0) > 1 else "") + (f" resetBy={a['resetBy']}" if a["resetBy"] else "")
            summary.append(tag)
        status = "OK " if not problems else "BAD"
        bad += bool(problems)
        print(f"{status} {cands[0]:32} {fmt}{' nano' if nano else ''} {','.join(links)}: " + "; ".join(summary))
        for p in problems:
            print("     - " + p)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
