#!/usr/bin/env python3
"""The switch's memory through an overload step and after it (issue 15
defect 3, "after an overload step"; Python stdlib and SIPp only).

Starts the daemon in proxy mode (on --proxy-cpu), a SIPp callee and a SIPp
caller (both on --gen-cpu) that offers --rate calls/s for --seconds
(bench/scenarios/uac-overload.xml: zero-hold calls, or INVITE/503/ACK when
shed), and samples the daemon's VmRSS and open transactions (/metrics) once a
second until --after seconds past the flood's end:

    bench/overload-memory.py --bin .build/release/didtron-switch
    bench/overload-memory.py --bin ... --rate 20000 --seconds 8 --after 80

Prints one line per 10 s, then before / peak / after. Everything it starts is
stopped by PID; the load is bounded by count (rate x seconds) and time.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

LOOP = "127.0.0.1"
BENCH = Path(__file__).resolve().parent


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOP, 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def transactions(port: int) -> str:
    try:
        body = urllib.request.urlopen(f"http://{LOOP}:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return "?"
    m = re.search(r"^didtron_sip_transactions (\d+)", body, re.M)
    return m.group(1) if m else "?"


def pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if cpu >= 0 else []


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--after", type=int, default=80, help="seconds to sample after the flood")
    ap.add_argument("--proxy-cpu", type=int, default=0)
    ap.add_argument("--gen-cpu", type=int, default=1)
    a = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="overload-memory-"))
    sip, uas_port, uac_port = (free_port(socket.SOCK_DGRAM) for _ in range(3))
    metrics = free_port(socket.SOCK_STREAM)
    env = dict(os.environ, DIDTRON_LIFECYCLE_SHUTDOWN_GRACE_SECONDS="0")
    procs: list[subprocess.Popen] = []
    try:
        proxy = subprocess.Popen(
            pinned(a.proxy_cpu) + [a.bin, "run", "--listen", f"udp:{LOOP}:{sip}", "--next-hop",
                                   f"{LOOP}:{uas_port}", "--metrics-listen", f"{LOOP}:{metrics}",
                                   "--log-level", "notice"],
            stdout=open(work / "proxy.log", "w"), stderr=subprocess.STDOUT, env=env)
        procs.append(proxy)
        deadline = time.monotonic() + 30
        while transactions(metrics) == "?":
            if time.monotonic() > deadline or proxy.poll() is not None:
                print(f"the switch did not start; see {work / 'proxy.log'}", file=sys.stderr)
                return 1
            time.sleep(0.1)
        calls = a.rate * a.seconds
        sipp = pinned(a.gen_cpu) + ["sipp", "-i", LOOP, "-t", "u1", "-buff_size", "4194304", "-nostdin"]
        uas = subprocess.Popen(
            sipp + ["-sf", str(BENCH / "scenarios" / "uas.xml"), "-p", str(uas_port), "-l", str(calls + 10000),
                    "-timeout", f"{a.seconds + a.after + 60}s"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
        procs.append(uas)
        time.sleep(1)  # SIPp binds its port; the sample below is the idle switch's
        pid = proxy.pid
        before = rss_mb(pid)
        print(f"before: {before:.1f} MB, {transactions(metrics)} transactions", flush=True)
        uac = subprocess.Popen(
            sipp + [f"{LOOP}:{sip}", "-sf", str(BENCH / "scenarios" / "uac-overload.xml"), "-p", str(uac_port),
                    "-r", str(a.rate), "-rp", "1000", "-m", str(calls), "-l", str(calls + 1000), "-d", "0",
                    "-timeout", f"{a.seconds + 60}s"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
        procs.append(uac)
        peak, started = before, time.monotonic()
        flood_end = None
        while True:
            elapsed = time.monotonic() - started
            if flood_end is None and uac.poll() is not None:
                flood_end = elapsed
            if flood_end is not None and elapsed - flood_end >= a.after:
                break
            if elapsed > a.seconds + a.after + 70:
                break
            now = rss_mb(pid)
            peak = max(peak, now)
            if int(elapsed) % 10 == 0:
                print(f"{elapsed:5.0f} s: {now:.1f} MB, {transactions(metrics)} transactions", flush=True)
            time.sleep(1)
        after = rss_mb(pid)
        print(f"before {before:.1f} MB, peak {peak:.1f} MB, {a.after} s after the flood {after:.1f} MB, "
              f"{transactions(metrics)} transactions")
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
