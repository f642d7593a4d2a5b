#!/usr/bin/env python3
"""Memory and state of the daemon under hostile traffic (Python stdlib only).

Starts the daemon in proxy mode on free loopback ports, runs one hostile load
per fresh daemon, and reports its RSS (VmRSS of /proc/PID/status) before,
at the peak, and over the minutes after, with the open transactions and
dialogs from /metrics:

    fuzz        N mutated datagrams (requests of every method, responses,
                garbage); addresses are never mutated: every Via carries
                rport and names 127.0.0.1, so all answers stay on loopback
    unanswered  N valid INVITEs with a silent next hop (a socket that reads
                and never answers) and a caller that never ACKs the 408
    lostbye     N calls answered 200 and ACKed, whose BYE never comes

    bench/hostile-memory.py --bin .build/release/didtron-switch
    bench/hostile-memory.py --bin .build/release/didtron-switch --runs fuzz --count 200000
    bench/hostile-memory.py --bin ... --env MALLOC_ARENA_MAX=2 --preload /usr/lib/x86_64-linux-gnu/libjemalloc.so.2

Everything it starts is stopped by PID. Loads are bounded (count and rate).
Output: one line per sample on stderr, a JSON summary on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.request

LOOP = "127.0.0.1"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOP, 0))
        return s.getsockname()[1]


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Daemon:
    def __init__(self, args: argparse.Namespace) -> None:
        self.port = free_port(socket.SOCK_DGRAM)
        self.metrics_port = free_port(socket.SOCK_STREAM)
        self.hop = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the next hop
        self.hop.bind((LOOP, 0))
        self.hop.setblocking(False)
        self.hop.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        env = dict(os.environ)
        for item in args.env:
            key, _, value = item.partition("=")
            env[key] = value
        if args.preload:
            env["LD_PRELOAD"] = args.preload
        cmd = [
            args.bin, "run", "--listen", f"udp:{LOOP}:{self.port}",
            "--next-hop", f"{LOOP}:{self.hop.getsockname()[1]}",
            "--metrics-listen", f"{LOOP}:{self.metrics_port}", "--log-level", "error",
        ]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"daemon exited with {self.proc.returncode}")
            try:
                self.metrics()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("daemon did not come up")

    def metrics(self) -> dict[str, float]:
        url = f"http://{LOOP}:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=20) as r:
            text = r.read().decode()
        out: dict[str, float] = {}
        for line in text.splitlines():
            m = re.match(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", line)
            if m:
                out[m.group(1)] = float(m.group(2))
        return out

    def state(self) -> dict[str, float]:
        try:
            m = self.metrics()
        except OSError:  # a daemon too busy to answer within the timeout
            m = {}
        return {
            "rss_mb": round(rss_kb(self.proc.pid) / 1024, 1),
            # anonymous memory (the heap) and file-backed pages (code touched by the load)
            "anon_mb": round(rss_kb(self.proc.pid, "RssAnon") / 1024, 1),
            "file_mb": round(rss_kb(self.proc.pid, "RssFile") / 1024, 1),
            "transactions": m.get("didtron_sip_transactions", -1),
            "dialogs": m.get("didtron_calls_active", -1),
            "expired": m.get("didtron_sip_transactions_expired_total", -1),
            "received": m.get("didtron_transport_datagrams_received_total", -1),
        }

    def trim_probe(self) -> float | None:
        """RSS after asking the allocator to return every free page through
        gdb: jemalloc's purge of all arenas (mallctl arena.4096.purge; the
        daemon links jemalloc) and glibc's malloc_trim(0). What is left is
        live or fragmented."""
        try:
            subprocess.run(["gdb", "-p", str(self.proc.pid), "-batch",
                            "-ex", 'call (int)mallctl("arena.4096.purge", 0, 0, 0, 0)',
                            "-ex", "call (int)malloc_trim(0)"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return round(rss_kb(self.proc.pid) / 1024, 1)

    def drain_hop(self) -> int:
        n = 0
        while True:
            try:
                self.hop.recv(65535)
                n += 1
            except BlockingIOError:
                return n

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.hop.close()


# ------------------------------------------------------------------ messages

def request(method: str, n: int, port: int, dst: str, tag: bool = False, body: str = "") -> bytes:
    to_tag = f";tag=t{n}" if tag else ""
    lines = [
        f"{method} sip:{n}@{dst} SIP/2.0",
        f"Via: SIP/2.0/UDP {LOOP}:{port};branch=z9hG4bK-h{n};rport",
        f"From: <sip:caller@{LOOP}>;tag=f{n}", f"To: <sip:{n}@{dst}>{to_tag}",
        f"Call-ID: hostile-{n}@{LOOP}", f"CSeq: 1 {method}", f"Contact: <sip:caller@{LOOP}:{port}>",
        "Max-Forwards: 70", "User-Agent: hostile-memory",
    ]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 8\r\n"


def fuzzed(rng: random.Random, n: int, port: int, proxy: str, hop: str) -> bytes:
    """One hostile datagram. Mutations spare the start line and the Via."""
    kind = rng.random()
    if kind < 0.05:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 1400)))
    if kind < 0.15:
        branch = f"z9hG4bK{rng.choice(['', 'sw', 'x'])}{rng.getrandbits(40):x}"
        status = rng.choice([100, 180, 200, 404, 487, 503])
        msg = (f"SIP/2.0 {status} X\r\nVia: SIP/2.0/UDP {LOOP}:{port};branch={branch};rport\r\n"
               f"Via: SIP/2.0/UDP {LOOP}:{port};branch=z9hG4bK-v{n};rport\r\n"
               f"From: <sip:a@{LOOP}>;tag=a{n}\r\nTo: <sip:b@{LOOP}>;tag=b{n}\r\nCall-ID: r{n}\r\n"
               f"CSeq: 1 {rng.choice(['INVITE', 'BYE', 'OPTIONS'])}\r\nContent-Length: 0\r\n\r\n").encode()
    else:
        method = rng.choice(["INVITE", "INVITE", "OPTIONS", "REGISTER", "BYE", "CANCEL", "ACK", "INFO", "FOO"])
        in_dialog = method in ("BYE", "INFO") or rng.random() < 0.2
        dst = hop if in_dialog else proxy
        msg = request(method, n, port, dst, tag=in_dialog, body=SDP if method == "INVITE" else "")
    lines = msg.split(b"\r\n")
    head = lines[:2]
    rest = lines[2:]
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        if not rest:
            break
        i = rng.randrange(len(rest))
        line = bytearray(rest[i])
        if op < 0.3 and line:
            line[rng.randrange(len(line))] = rng.getrandbits(8)
        elif op < 0.45:
            rest.insert(i, bytes(rest[i]))
        elif op < 0.55:
            del rest[i]
            continue
        elif op < 0.7:
            line += b"," + b",".join(b"x" * rng.randint(1, 8) for _ in range(rng.randint(1, 200)))
        elif op < 0.8:
            line += bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
        elif op < 0.9:
            line = re.sub(rb"\d+", str(rng.choice([0, -1, 2**31, 2**64, 99999999])).encode(), bytes(line))
        else:
            rest.insert(i, b"X-H%d: %s" % (rng.randint(0, 9), b"y" * rng.randint(0, 300)))
        rest[i] = bytes(line)
    return b"\r\n".join(head + rest)[:65000]


# ------------------------------------------------------------------ loads

def paced(total: int, rate: int):
    """Yields how many to send now, keeping to `rate` per second."""
    start = time.monotonic()
    sent = 0
    while sent < total:
        due = min(total, int((time.monotonic() - start) * rate) + 1)
        if due > sent:
            yield due - sent
            sent = due
        else:
            time.sleep(0.002)


def run_fuzz(d: Daemon, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOOP, 0))
    s.setblocking(False)
    port = s.getsockname()[1]
    proxy = f"{LOOP}:{d.port}"
    hop = f"{LOOP}:{d.hop.getsockname()[1]}"
    n = 0
    for burst in paced(args.count, args.rate):
        for _ in range(burst):
            s.sendto(fuzzed(rng, n, port, proxy, hop), (LOOP, d.port))
            n += 1
        drain(s)
        d.drain_hop()
    s.close()


def drain(s: socket.socket) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(s.recv(65535))
        except BlockingIOError:
            return out


def run_unanswered(d: Daemon, args: argparse.Namespace) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOOP, 0))
    s.setblocking(False)
    port = s.getsockname()[1]
    n = 0
    for burst in paced(args.count, args.rate):
        for _ in range(burst):
            s.sendto(request("INVITE", n, port, f"{LOOP}:{d.port}", body=SDP), (LOOP, d.port))
            n += 1
        drain(s)
        d.drain_hop()
    s.close()


def answer_200(invite: bytes, uas_port: int) -> bytes | None:
    text = invite.decode("latin-1")
    if not text.startswith("INVITE "):
        return None
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    keep = [h for h in head[1:] if re.match(r"(?i)(via|from|call-id|cseq|record-route):", h)]
    to = next((h for h in head if h.lower().startswith("to:")), None)
    if to is None:
        return None
    lines = ["SIP/2.0 200 OK"] + keep + [to + ";tag=uas", f"Contact: <sip:uas@{LOOP}:{uas_port}>",
                                         "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def run_lostbye(d: Daemon, args: argparse.Namespace) -> None:
    uac = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    uac.bind((LOOP, 0))
    uac.setblocking(False)
    port = uac.getsockname()[1]
    uas_port = d.hop.getsockname()[1]
    acked = 0

    def pump() -> None:
        nonlocal acked
        while True:
            try:
                data, src = d.hop.recvfrom(65535)
            except BlockingIOError:
                break
            reply = answer_200(data, uas_port)
            if reply:
                d.hop.sendto(reply, src)
        for data in drain(uac):
            m = re.match(rb"SIP/2.0 200 .*?Call-ID: hostile-(\d+)@", data, re.S)
            if m and b"INVITE" in data.split(b"CSeq:", 1)[1][:20]:
                n = int(m.group(1))
                ack = (f"ACK sip:uas@{LOOP}:{uas_port} SIP/2.0\r\n"
                       f"Via: SIP/2.0/UDP {LOOP}:{port};branch=z9hG4bK-a{n};rport\r\n"
                       f"From: <sip:caller@{LOOP}>;tag=f{n}\r\nTo: <sip:{n}@{LOOP}>;tag=uas\r\n"
                       f"Call-ID: hostile-{n}@{LOOP}\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n"
                       "Content-Length: 0\r\n\r\n")
                uac.sendto(ack.encode(), (LOOP, d.port))
                acked += 1

    n = 0
    for burst in paced(args.count, args.rate):
        for _ in range(burst):
            uac.sendto(request("INVITE", n, port, f"{LOOP}:{d.port}", body=SDP), (LOOP, d.port))
            n += 1
        pump()
    # A busy daemon works through its receive buffer after the load: keep
    # answering until no call has been answered for 5 s (2 minutes at most).
    end = time.time() + 120
    last, quiet_since = acked, time.time()
    while time.time() < end and acked < n and time.time() - quiet_since < 5:
        pump()
        if acked != last:
            last, quiet_since = acked, time.time()
        time.sleep(0.01)
    log(f"lostbye: {acked} of {n} calls answered and ACKed; no BYE will follow")
    uac.close()


LOADS = {"fuzz": run_fuzz, "unanswered": run_unanswered, "lostbye": run_lostbye}


def one_run(name: str, args: argparse.Namespace) -> dict:
    d = Daemon(args)
    try:
        time.sleep(2)
        before = d.state()
        log(f"{name}: before {before}")
        peak = before["rss_mb"]
        start = time.time()
        import threading
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_kb(d.proc.pid) / 1024)
                time.sleep(0.2)

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        LOADS[name](d, args)
        load_s = time.time() - start
        timeline = []
        ended = time.time()
        while time.time() - ended < args.settle:
            time.sleep(5)
            d.drain_hop()
            st = d.state()
            st["t"] = round(time.time() - ended)
            timeline.append(st)
            log(f"{name}: +{st['t']}s {st}")
        done.set()
        t.join()
        peak = max([peak] + [s["rss_mb"] for s in timeline])
        at60 = next((s for s in timeline if s["t"] >= 60), timeline[-1] if timeline else before)
        trimmed = d.trim_probe() if args.trim_probe else None
        if trimmed is not None:
            log(f"{name}: after purging the allocator: {trimmed} MB")
        result = {
            "run": name, "count": args.count, "rate": args.rate, "load_seconds": round(load_s, 1),
            "rss_before_mb": before["rss_mb"], "rss_peak_mb": round(peak, 1), "at_60s": at60,
            "last": timeline[-1] if timeline else None, "rss_after_purge_mb": trimmed,
            "env": args.env, "preload": args.preload,
        }
        log(f"{name}: {json.dumps(result)}")
        return result
    finally:
        d.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True)
    p.add_argument("--runs", default="fuzz,unanswered,lostbye")
    p.add_argument("--count", type=int, default=0, help="datagrams/INVITEs/calls per run (0: per-run default)")
    p.add_argument("--rate", type=int, default=0, help="per second (0: per-run default)")
    p.add_argument("--settle", type=int, default=120, help="seconds to watch after the load")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--env", action="append", default=[], help="KEY=VALUE for the daemon (repeatable)")
    p.add_argument("--preload", default="", help="LD_PRELOAD for the daemon (an allocator)")
    p.add_argument("--trim-probe", action="store_true",
                   help="at the end, purge the allocator (jemalloc, glibc) through gdb and report RSS after")
    args = p.parse_args()
    defaults = {"fuzz": (200_000, 4000), "unanswered": (100_000, 2000), "lostbye": (12_000, 300)}
    results = []
    for name in args.runs.split(","):
        run_args = argparse.Namespace(**vars(args))
        run_args.count = args.count or defaults[name][0]
        run_args.rate = args.rate or defaults[name][1]
        results.append(one_run(name, run_args))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
