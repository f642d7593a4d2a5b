#!/usr/bin/env python3
"""The daemon's lifecycle in proxy mode, timed from outside (issue 16, the
daemon as services): spawn -> READY=1 on NOTIFY_SOCKET, SIGHUP -> RELOADING=1
... READY=1, and SIGTERM -> exit (idle: nothing to drain), N rounds each.
Prints the median and the worst of each, and the exit statuses.

    bench/lifecycle-bench.py --bin .build/debug/didtron-switch --rounds 10

Loopback only, stdlib only; each round uses a fresh free port.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(sock: socket.socket, word: bytes, timeout: float) -> float:
    """Seconds until a notify datagram carrying `word` arrives."""
    started = time.monotonic()
    while True:
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            raise TimeoutError(f"no {word!r} within {timeout} s")
        sock.settimeout(left)
        if word in sock.recv(4096).split(b"\n"):
            return time.monotonic() - started


def one_round(binary: str, directory: str, timeout: float) -> tuple[float, float, float, int]:
    path = os.path.join(directory, "notify")
    if os.path.exists(path):
        os.unlink(path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        port = free_port()
        argv = [binary, "run", "--listen", f"udp:127.0.0.1:{port}", "--listen", f"tcp:127.0.0.1:{port}",
                "--next-hop", f"127.0.0.1:{free_port()}", "--log-level", "warning"]
        env = dict(os.environ, NOTIFY_SOCKET=path)
        started = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(sock, b"READY=1", timeout)
            ready = time.monotonic() - started
            proc.send_signal(signal.SIGHUP)
            hup = time.monotonic()
            try:
                wait_for(sock, b"RELOADING=1", timeout)
                wait_for(sock, b"READY=1", timeout)
            except TimeoutError:
                # A daemon that traps SIGHUP only after READY=1 dies of it.
                return ready, float("nan"), float("nan"), proc.wait(timeout=timeout)
            reload = time.monotonic() - hup
            term = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            status = proc.wait(timeout=timeout)
            stop = time.monotonic() - term
            return ready, reload, stop, status
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory(prefix="lifecycle-") as directory:
        for _ in range(args.rounds):
            rounds.append(one_round(args.bin, directory, args.timeout))
    for index, name in enumerate(["start -> READY=1", "SIGHUP -> READY=1", "SIGTERM -> exit"]):
        values = [r[index] * 1000 for r in rounds if r[index] == r[index]]
        if not values:
            print(f"{name:20} never (every round died of SIGHUP)")
            continue
        print(f"{name:20} median {statistics.median(values):7.1f} ms   worst {max(values):7.1f} ms"
              f"   ({len(values)} of {len(rounds)} rounds)")
    print(f"exit statuses: {sorted(set(r[3] for r in rounds))}")


if __name__ == "__main__":
    main()
