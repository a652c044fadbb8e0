#!/usr/bin/env python3
"""Helpers for scripts/capture/make-captures.sh (run inside the ssc-cap-* network namespaces).

  connect   make TCP connection attempts from known source ports and record, per
            attempt, the errno name connect() really returned (null when it connected)
  serve     run a listener (echo / reset-after-accept / never-accept) until a deadline
  expected  write a captures/X.expected.json from the client results and the
            scenario's description (outcome per client errno, who answered)

Every wait is bounded. Only standard library.
"""
import argparse
import errno
import ipaddress
import json
import os
import select
import socket
import struct
import sys
import threading
import time


def errname(num):
    if num is None:
        return None
    return errno.errorcode.get(num, str(num))


def family_of(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def canon(ip):
    return ipaddress.ip_address(ip).compressed


# --------------------------------------------------------------------------- connect

def one_attempt(spec, args, held, results, lock):
    sport, dst, dport = spec
    fam = family_of(dst)
    res = {
        "client": {"ip": canon(args.bind6 if fam == socket.AF_INET6 else args.bind), "port": sport},
        "server": {"ip": canon(dst), "port": dport},
        "clientErrno": None,
    }
    if args.tunnel:
        res["tunnel"] = json.loads(args.tunnel)
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if args.ttl:
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, args.ttl)
            else:
                s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, args.ttl)
        s.bind((res["client"]["ip"], sport))
        res["start"] = time.time()
        if args.app_timeout:
            # The application's own short timer: non-blocking connect, give up and
            # close the socket if it is not connected within app_timeout seconds.
            s.setblocking(False)
            rc = s.connect_ex((dst, dport))
            if rc not in (0, errno.EINPROGRESS):
                res["clientErrno"] = errname(rc)
            elif rc == errno.EINPROGRESS:
                _, w, _ = select.select([], [s], [], args.app_timeout)
                if not w:
                    res["clientErrno"] = "ETIMEDOUT"
                    res["appTimeout"] = True
                else:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    res["clientErrno"] = errname(err) if err else None
        else:
            s.settimeout(args.timeout)
            try:
                if args.fastopen:
                    # TCP Fast Open: connect and send in one call; with a cookie for this server the
                    # data rides in the SYN, without one the SYN asks for a cookie and nothing is sent.
                    # The call returns once the SYN is out: the handshake's end (writable, or an error
                    # such as the reset of a closed port) comes after it.
                    data = args.send.encode()
                    try:
                        sent = s.sendto(data, socket.MSG_FASTOPEN, (dst, dport))
                    except BlockingIOError:  # no cookie yet: a plain connect is in progress (EINPROGRESS)
                        sent = 0
                    select.select([], [s], [], args.timeout)
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    s.sendall(data[sent:])
                else:
                    s.connect((dst, dport))
            except OSError as e:  # socket.timeout (errno None) is our own timer, not the kernel's
                if e.errno is None:
                    res["clientErrno"] = "ETIMEDOUT"
                    res["appTimeout"] = True
                else:
                    res["clientErrno"] = errname(e.errno)
        res["elapsed"] = round(time.time() - res["start"], 3)
        if res["clientErrno"] is None and not args.app_timeout:
            if args.send is not None:
                # a normal exchange and an orderly close (FIN both ways)
                if not args.fastopen:
                    s.sendall(args.send.encode())
                s.shutdown(socket.SHUT_WR)
                s.settimeout(5)
                try:
                    while s.recv(4096):
                        pass
                except OSError as e:
                    res["afterErrno"] = errname(e.errno)
            elif args.expect_reset:
                s.settimeout(5)
                try:
                    data = s.recv(4096)
                    res["afterRecv"] = len(data)
                except socket.timeout:
                    res["afterErrno"] = "timeout"
                except OSError as e:
                    res["afterErrno"] = errname(e.errno)
                    if e.errno == errno.ECONNRESET:
                        res["peerReset"] = True
            else:
                with lock:
                    held.append(s)
                s = None
    finally:
        if s is not None:
            s.close()
    with lock:
        results.append(res)


def cmd_connect(args):
    specs = []
    for a in args.attempt:
        sport, dst, dport = a.split(",")
        specs.append((int(sport), dst, int(dport)))
    held, results, lock = [], [], threading.Lock()
    threads = []
    for i, spec in enumerate(specs):
        if args.stagger is None:
            one_attempt(spec, args, held, results, lock)
        else:
            if i:
                time.sleep(args.stagger)
            t = threading.Thread(target=one_attempt, args=(spec, args, held, results, lock), daemon=True)
            t.start()
            threads.append(t)
    for t in threads:
        t.join(args.timeout + 15)
    results.sort(key=lambda r: r.get("start", 0))
    for r in results:
        print(f"  client {r['client']['ip']}:{r['client']['port']} -> {r['server']['ip']}:{r['server']['port']}: "
              f"{r['clientErrno'] or 'connected'} after {r.get('elapsed')} s"
              + (f", then {r['afterErrno']}" if r.get("afterErrno") else ""), file=sys.stderr)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1)
    os.rename(tmp, args.out)
    # keep connected sockets open (no FIN inside the capture) until told, bounded
    if held and args.hold_file:
        deadline = time.time() + args.hold_max
        while time.time() < deadline and not os.path.exists(args.hold_file):
            time.sleep(0.1)
    for s in held:
        s.close()


# --------------------------------------------------------------------------- serve

def handle(conn, mode):
    try:
        if mode == "rst":
            time.sleep(0.2)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:  # echo: read until the client's FIN, then close normally
            conn.settimeout(5)
            while True:
                d = conn.recv(4096)
                if not d:
                    break
                conn.sendall(d)
    except OSError:
        pass
    finally:
        conn.close()


def cmd_serve(args):
    socks = []
    for l in args.listen:
        ip, port = l.rsplit(",", 1)
        fam = family_of(ip)
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((ip, int(port)))
        if int(port) in (args.fastopen_port or []):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
        s.listen(args.backlog)
        socks.append(s)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("ready\n")
    deadline = time.time() + args.duration
    while time.time() < deadline:
        if args.mode == "noaccept":
            time.sleep(0.2)
            continue
        r, _, _ = select.select(socks, [], [], 0.2)
        for s in r:
            conn, _ = s.accept()
            threading.Thread(target=handle, args=(conn, args.mode), daemon=True).start()


# --------------------------------------------------------------------------- tunrelay

def cmd_tunrelay(args):
    """Create tun device A in netns A and tun device B in netns B and copy IP packets
    between them: a point-to-point link whose captures have link type RAW."""
    import ctypes
    import fcntl
    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNET = 0x40000000
    TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000

    def open_tun(nspath, name):
        with open(nspath) as nsf:
            if libc.setns(nsf.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + nspath)
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
        return fd

    a = open_tun(args.ns_a, args.name_a)
    b = open_tun(args.ns_b, args.name_b)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("ready\n")
    peer = {a: b, b: a}
    deadline = time.time() + args.duration
    while time.time() < deadline:
        r, _, _ = select.select([a, b], [], [], 0.2)
        for fd in r:
            try:
                os.write(peer[fd], os.read(fd, 65535))
            except OSError:
                pass  # peer down for a moment: the packet is lost, as on a wire


# --------------------------------------------------------------------------- expected

CONTRACT_ERRNO = {
    "established": None, "aborted": None, "incomplete": None,
    "refused": "ECONNREFUSED", "dropped": "ETIMEDOUT", "timed-out": "ETIMEDOUT",
}


def cmd_expected(args):
    results = []
    for path in args.results:
        with open(path) as f:
            results.extend(json.load(f))
    results.sort(key=lambda r: r["start"])
    rules = {}
    for r in args.on:
        key, val = r.split("=", 1)
        outcome, _, frm = val.partition("@")
        rules[key] = (outcome, frm or None)
    hs = []
    for r in results:
        key = r["clientErrno"] or "null"
        if key not in rules:
            sys.exit(f"expected: no rule for clientErrno {key} in {args.scenario} ({r})")
        outcome, frm = rules[key]
        if outcome == "rejected":
            err = r["clientErrno"]  # the kernel's mapping of the ICMP error it got
        else:
            err = CONTRACT_ERRNO[outcome]
        h = {"client": r["client"], "server": r["server"], "outcome": outcome,
             "errno": err, "clientErrno": r["clientErrno"]}
        if frm == "server":
            h["answerFrom"] = r["server"]["ip"]
        elif frm:
            h["answerFrom"] = canon(frm)
        if r.get("peerReset"):
            h["resetBy"] = "server"
        if r.get("tunnel"):
            h["tunnel"] = r["tunnel"]
        hs.append(h)
    doc = {"scenario": args.scenario, "story": args.story, "captured": args.captured,
           "format": args.format, "linkTypes": args.link, "handshakes": hs}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)

    c = sub.add_parser("connect")
    c.add_argument("--bind", default="10.77.1.2")
    c.add_argument("--bind6", default="fd77:1::2")
    c.add_argument("--attempt", action="append", required=True, help="SPORT,DSTIP,DPORT")
    c.add_argument("--timeout", type=float, default=15.0)
    c.add_argument("--stagger", type=float, default=None, help="run attempts in parallel, this many s apart")
    c.add_argument("--app-timeout", type=float, default=None)
    c.add_argument("--send", default=None)
    c.add_argument("--fastopen", action="store_true", help="connect with TCP Fast Open, sending --send in the SYN")
    c.add_argument("--expect-reset", action="store_true")
    c.add_argument("--ttl", type=int, default=None)
    c.add_argument("--hold-file", default=None)
    c.add_argument("--hold-max", type=float, default=40.0)
    c.add_argument("--tunnel", default=None, help="JSON: how the attempts are carried (copied to the expected file)")
    c.add_argument("--out", required=True)

    s = sub.add_parser("serve")
    s.add_argument("--listen", action="append", required=True, help="IP,PORT")
    s.add_argument("--mode", choices=["echo", "rst", "noaccept"], default="echo")
    s.add_argument("--backlog", type=int, default=16)
    s.add_argument("--fastopen-port", type=int, action="append", help="listen with TCP Fast Open on this port")
    s.add_argument("--ready", default=None)
    s.add_argument("--duration", type=float, default=60.0)

    e = sub.add_parser("expected")
    e.add_argument("--scenario", required=True)
    e.add_argument("--story", required=True)
    e.add_argument("--captured", required=True)
    e.add_argument("--format", required=True)
    e.add_argument("--link", action="append", required=True)
    e.add_argument("--results", action="append", required=True)
    e.add_argument("--on", action="append", required=True, help="ERRNO|null=OUTCOME[@ANSWERFROM|@server]")
    e.add_argument("--out", required=True)

    t = sub.add_parser("tunrelay")
    t.add_argument("--ns-a", required=True)
    t.add_argument("--name-a", required=True)
    t.add_argument("--ns-b", required=True)
    t.add_argument("--name-b", required=True)
    t.add_argument("--ready", default=None)
    t.add_argument("--duration", type=float, default=60.0)

    args = p.parse_args()
    {"connect": cmd_connect, "serve": cmd_serve, "expected": cmd_expected,
     "tunrelay": cmd_tunrelay}[args.cmd](args)


if __name__ == "__main__":
    main()
