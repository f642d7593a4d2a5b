#!/usr/bin/env python3
"""Registrations that last: what keeping bindings in PostgreSQL costs.

Starts a private PostgreSQL (scripts/pg-local) and the switch twice on
127.0.0.1 with `[registrar] authentication = "none"`:

  memory   proxy mode (no database): bindings in memory only, as before;
  stored   softswitch mode: every binding also written to registrar_bindings
           (BindingSync: off the event loop, batched, NOTIFY re-read).

and sends N REGISTERs for N distinct addresses of record from one UDP
socket, WINDOW in flight. Reports REGISTERs/s answered (200), the switch's
CPU seconds per 1000 REGISTERs, and, for `stored`, how long after the last
200 the last row was committed (the write lag at that load) and the
PostgreSQL backends' CPU. Then (`two`) two switches on the database: one
REGISTER at a time on switch A, and how long until switch B holds the
binding (its didtron_registered_contacts, polled every 2 ms): the NOTIFY
lag between switches, median and maximum of --lag-samples.

  bench/registrations-bench.py --bin .build/release/didtron-switch [--count 20000] [--window 200]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_cpu(pg_dir: Path) -> float:
    """CPU seconds of every process of the private PostgreSQL (by its data directory's postmaster.pid)."""
    master = int((pg_dir / "data" / "postmaster.pid").read_text().split()[0]) if (pg_dir / "data" / "postmaster.pid").exists() else None
    if master is None:
        return 0.0
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master or int(entry.name) == master:
                total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / TICKS
        except (OSError, ValueError, IndexError):
            continue
    return total


def register_all(port: int, count: int, window: int, domain: str) -> float:
    return register_all_from(port, count, window, domain, offset=0)


def register_all_from(port: int, count: int, window: int, domain: str, offset: int) -> float:
    """Sends `count` REGISTERs (one address of record each), `window` in
    flight; returns the seconds until the last 200."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.settimeout(5)
    me = sock.getsockname()[1]

    def send(i: int) -> None:
        i += offset
        text = (f"REGISTER sip:{domain} SIP/2.0\r\nVia: SIP/2.0/UDP {HOST}:{me};branch=z9hG4bK-b{i};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:u{i}@{domain}>;tag=t{i}\r\nTo: <sip:u{i}@{domain}>\r\n"
                f"Call-ID: bench-{i}\r\nCSeq: 1 REGISTER\r\nContact: <sip:u{i}@{HOST}:{me}>\r\n"
                f"Expires: 3600\r\nContent-Length: 0\r\n\r\n")
        sock.sendto(text.encode(), (HOST, port))

    start = time.monotonic()
    sent = answered = 0
    while sent < min(window, count):
        send(sent)
        sent += 1
    while answered < count:
        data = sock.recv(65535)
        if not data.startswith(b"SIP/2.0 200"):
            if data.startswith(b"SIP/2.0 1"):
                continue
            raise SystemExit(f"unexpected answer: {data[:200]!r}")
        answered += 1
        if sent < count:
            send(sent)
            sent += 1
    elapsed = time.monotonic() - start
    sock.close()
    return elapsed


def wait_ready(log: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while b"didtron-switch ready" not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the switch did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


def start(binary: str, name: str, work: Path, url: str, extra: str = "") -> tuple[subprocess.Popen, int]:
    port = free_port()
    config = work / f"{name}.toml"
    config.write_text(f'[registrar]\ndomains = ["bench.test"]\nauthentication = "none"\n' + extra)
    (work / f"journal-{name}").mkdir(exist_ok=True)
    argv = [binary, "run", "--listen", f"udp:{HOST}:{port}", "--config", str(config), "--log-level", "notice",
            "--database-url", url, "--journal-directory", str(work / f"journal-{name}")]
    log = work / f"{name}.log"
    proc = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_ready(log, proc)
    return proc, port


def contacts_on(metrics_port: int) -> int:
    with socket.create_connection((HOST, metrics_port), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    for line in data.decode().splitlines():
        if line.startswith("didtron_registered_contacts "):
            return int(line.split()[1])
    raise SystemExit("no didtron_registered_contacts in the metrics")


def two_switches(binary: str, work: Path, url: str, samples: int) -> None:
    subprocess.run(["psql", "-XAtq", url, "-c", "delete from registrar_bindings"], check=True)
    metrics = free_port()
    a, a_port = start(binary, "a", work, url, '[credit]\nnode_id = "a"\n')
    b, _ = start(binary, "b", work, url, f'[credit]\nnode_id = "b"\n[metrics]\nlisten = "{HOST}:{metrics}"\n')
    lags = []
    try:
        for i in range(samples):
            before = contacts_on(metrics)
            register_all_from(a_port, 1, 1, "bench.test", offset=100_000 + i)
            t0 = time.monotonic()
            while contacts_on(metrics) <= before:
                if time.monotonic() - t0 > 10:
                    raise SystemExit("switch B never saw the binding")
                time.sleep(0.002)
            lags.append(time.monotonic() - t0)
    finally:
        for p in (a, b):
            p.terminate()
            p.wait(timeout=30)
    lags.sort()
    print(f"two     binding on B {lags[len(lags) // 2] * 1000:.0f} ms (median), {lags[-1] * 1000:.0f} ms (max) "
          f"after A's 200, {samples} samples", flush=True)


def run(binary: str, mode: str, count: int, window: int, work: Path, url: str | None, pg_dir: Path) -> None:
    port = free_port()
    config = work / f"{mode}.toml"
    text = f'[registrar]\ndomains = ["bench.test"]\nauthentication = "none"\nmax_expires_seconds = 86400\n'
    if mode == "memory":
        text = f'[proxy]\nnext_hop = "udp:{HOST}:9"\n' + text
    config.write_text(text)
    argv = [binary, "run", "--listen", f"udp:{HOST}:{port}", "--config", str(config), "--log-level", "notice"]
    if url:
        (work / "journal").mkdir(exist_ok=True)
        argv += ["--database-url", url, "--journal-directory", str(work / "journal")]
    log = work / f"{mode}.log"
    proc = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_ready(log, proc)
        cpu0, pg0 = cpu_seconds(proc.pid), postgres_cpu(pg_dir)
        seconds = register_all(port, count, window, "bench.test")
        lag = None
        if url:
            done = time.monotonic()
            while True:
                rows = subprocess.run(["psql", "-XAtq", url, "-c", "select count(*) from registrar_bindings"],
                                      capture_output=True, text=True).stdout.strip()
                if rows == str(count):
                    break
                if time.monotonic() - done > 120:
                    raise SystemExit(f"only {rows} of {count} rows after 120 s")
                time.sleep(0.02)
            lag = time.monotonic() - done
        time.sleep(0.5)  # the NOTIFY re-reads that follow the last writes
        cpu = cpu_seconds(proc.pid) - cpu0
        pg = postgres_cpu(pg_dir) - pg0
        line = (f"{mode:7s} {count} REGISTERs in {seconds:.2f} s = {count / seconds:,.0f}/s; "
                f"switch CPU {cpu * 1000 / count:.3f} s per 1000")
        if url:
            line += f"; PostgreSQL CPU {pg * 1000 / count:.3f} s per 1000; last row committed {lag * 1000:.0f} ms after the last 200"
        print(line, flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=str(ROOT / ".build/release/didtron-switch"))
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--lag-samples", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="didtron-regbench-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)  # the postgres user (pg-local as root) must reach its data directory
        pg_dir = work / "pg"
        pg_port = free_port()
        subprocess.run([ROOT / "scripts/pg-local", "start", pg_dir, str(pg_port)], check=True, capture_output=True)
        try:
            url = subprocess.run([ROOT / "scripts/pg-local", "url", pg_dir, str(pg_port)], check=True,
                                 capture_output=True, text=True).stdout.strip()
            subprocess.run([args.bin, "migrate", "--database-url", url, "--migrations", str(ROOT / "Migrations")],
                           check=True, capture_output=True)
            run(args.bin, "memory", args.count, args.window, work, None, pg_dir)
            run(args.bin, "stored", args.count, args.window, work, url, pg_dir)
            two_switches(args.bin, work, url, args.lag_samples)
        finally:
            subprocess.run([ROOT / "scripts/pg-local", "stop", pg_dir], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
