#!/usr/bin/env python3
"""Overload curve of didtron-switch in proxy mode (issue 15 defect 4): for each
offered call rate, how many calls were answered, how many were shed with 503,
how many failed (timeouts), and the response time of the answered ones.

    SIPp UAC --> didtron-switch (proxy mode) --> SIPp UAS       (UDP, loopback)

Each rate runs on a fresh switch for --step-seconds (zero-hold calls:
INVITE/100/180/200/ACK/BYE/200, or INVITE/503/ACK when shed;
bench/scenarios/uac-overload.xml). The switch is pinned to --proxy-cpu, both
SIPp processes to --gen-cpu when asked (run-bench.py, whose helpers this
reuses, always pins).

    bench/overload-curve.py --bin .build/release/didtron-switch --rates 1000,3000,6000,10000
    bench/overload-curve.py --bin ... --env DIDTRON_OVERLOAD_MAX_LOOP_BUSY_PERCENT=0 \
                            --env DIDTRON_OVERLOAD_MAX_LOOP_LAG_MS=0        # shedding off

Columns: offered_cps, calls (attempted), answered, shed (503), failed (no
final answer: SIPp gave up), answered_pct, shed_pct, answered p50/p99/max ms
(INVITE -> 200), kernel UDP drops at the switch's
socket, the switch's CPU share, and the switch's own counters from /metrics
when --metrics is given. Everything started is stopped by PID.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("run_bench", BENCH / "run-bench.py")
rb = importlib.util.module_from_spec(_spec)
sys.modules["run_bench"] = rb
_spec.loader.exec_module(rb)

LOOP = "127.0.0.1"


def counts(d: Path) -> dict[str, int]:
    """The last row of SIPp's -trace_counts file: messages per scenario element."""
    out: dict[str, int] = {}
    for f in d.glob("*_counts.csv"):
        rows = [l for l in f.read_text(errors="replace").splitlines() if l.strip()]
        if len(rows) >= 2:
            for k, v in zip(rows[0].rstrip(";").split(";"), rows[-1].rstrip(";").split(";")):
                if v.isdigit():
                    out[k] = out.get(k, 0) + int(v)
    return out


def first(row: dict[str, int], suffix: str) -> int:
    """The count of the first scenario element named like `suffix` (e.g. _200_Recv)."""
    keys = sorted((int(k.split("_", 1)[0]), k) for k in row if k.endswith(suffix) and k[0].isdigit())
    return row[keys[0][1]] if keys else 0


def rtds(d: Path, after_ms: float = 0) -> dict[str, list[float]]:
    """Response times (ms) by rtd number from SIPp's -trace_rtt file(s), of
    the answers seen `after_ms` into the run or later."""
    out: dict[str, list[float]] = {}
    for f in d.glob("*_rtt.csv"):
        with open(f) as fh:
            next(fh, None)
            for line in fh:
                p = line.strip().split(";")
                if len(p) >= 3 and float(p[0]) >= after_ms:
                    out.setdefault(p[2], []).append(float(p[1]))
    return out


def metrics(port: int) -> dict[str, float]:
    try:
        text = urllib.request.urlopen(f"http://{LOOP}:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        if line.startswith("didtron_") and " " in line:
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


class Timeline:
    """Samples the switch's overload gauges every 200 ms while a step runs
    (timeline.csv: seconds, queue delay, loop lag, admitted-rate limit,
    shedding, INVITEs shed so far, the switch's and the two SIPp processes'
    CPU share over the interval, new calls queued in the switch, the core
    loop thread's CPU share as the switch measures it, stateless 503s so
    far): how the controller moved, and whether SIPp had CPU left."""

    GAUGES = ["didtron_overload_queue_delay_milliseconds", "didtron_overload_loop_lag_milliseconds",
              "didtron_overload_admitted_invites_per_second", "didtron_overload_shedding"]

    def __init__(self, port: int, path: Path, switch: list[int], sipp: list[int]):
        import threading
        self.port, self.path, self.done = port, path, threading.Event()
        self.switch, self.sipp = switch, sipp
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        t0 = time.monotonic()
        with open(self.path, "w") as f:
            f.write("t_s,queue_delay_ms,loop_lag_ms,admitted_limit,shedding,shed_total,switch_cpu_pct,sipp_cpu_pct,"
                    "queued_new_calls,loop_cpu_pct,stateless_replies\n")
            last = (time.monotonic(), rb.cpu_ticks(self.switch), rb.cpu_ticks(self.sipp))
            while not self.done.wait(0.2):
                now = (time.monotonic(), rb.cpu_ticks(self.switch), rb.cpu_ticks(self.sipp))
                span = max(1e-3, now[0] - last[0]) * rb.HZ / 100
                cpu = [f"{(now[i] - last[i]) / span:.0f}" for i in (1, 2)]
                last = now
                try:
                    m = metrics(self.port)
                except OSError:
                    continue
                shed = sum(v for k, v in m.items() if k.startswith("didtron_overload_invites_shed_total"))
                vals = [m.get(g, float("nan")) for g in self.GAUGES]
                extra = [m.get(g, float("nan")) for g in (
                    "didtron_overload_queued_new_calls", "didtron_overload_loop_cpu_percent",
                    "didtron_overload_stateless_replies_total")]
                f.write(",".join([f"{time.monotonic() - t0:.2f}"] + [f"{v:g}" for v in vals] + [f"{shed:g}"]
                                 + cpu + [f"{v:g}" for v in extra]) + "\n")

    def stop(self) -> None:
        self.done.set()
        self.thread.join(5)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOOP, 0))
        return s.getsockname()[1]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="didtron-switch binary")
    ap.add_argument("--rates", default="1000,3000,6000,10000")
    ap.add_argument("--step-seconds", type=int, default=5)
    ap.add_argument("--proxy-cpu", type=int, default=-1,
                    help="pin the switch to this core (-1, the default: no pinning; on a machine shared with "
                         "other work, pinning SIPp to one busy core starves it and its retransmissions "
                         "make the measurement)")
    ap.add_argument("--gen-cpu", type=int, default=-1, help="pin both SIPp processes to this core (-1: no)")
    ap.add_argument("--env", action="append", default=[], metavar="DIDTRON_X=V",
                    help="configuration for the switch (repeatable)")
    ap.add_argument("--metrics", action="store_true", help="read the switch's counters after each step")
    ap.add_argument("--warmup-rate", type=int, default=0,
                    help="start each step at this rate for --warmup-seconds, then jump to the step's rate "
                         "(a switch in service that gets flooded); the setup times are the flood's, the "
                         "counts include the warm-up's calls")
    ap.add_argument("--warmup-seconds", type=int, default=3)
    ap.add_argument("--out", help="output dir (default bench/results/<timestamp>-overload)")
    a = ap.parse_args(argv)
    a.bin = os.path.abspath(a.bin)
    out = Path(a.out or BENCH / "results" / (time.strftime("%Y%m%d-%H%M%S") + "-overload"))
    out.mkdir(parents=True, exist_ok=True)
    reg = rb.Registry()
    rundir = Path(tempfile.mkdtemp(prefix="dtcurve-", dir="/tmp"))
    if a.gen_cpu >= 0:
        os.sched_setaffinity(0, {a.gen_cpu})
    sipp_env = dict(os.environ)
    so = out / "fineclock.so"   # SIPp's clock in microseconds (run-bench.py does the same)
    if subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(so), str(BENCH / "fineclock.c"), "-ldl"],
                      capture_output=True).returncode == 0:
        sipp_env["LD_PRELOAD"] = str(so)
    a.sipp_env = sipp_env
    rows = []

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for rate in [int(r) for r in a.rates.split(",") if r]:
            rows.append(step(a, reg, rundir, out, rate))
            write(out, rows)
    except KeyboardInterrupt:
        rb.log("interrupted: stopping everything started")
    except rb.Abort as e:
        rb.log(f"ABORT: {e}")
    finally:
        reg.stop_all()
    write(out, rows)
    print((out / "curve.md").read_text())
    return 0


def step(a, reg, rundir: Path, out: Path, rate: int) -> dict:
    d = out / f"rate-{rate}"
    d.mkdir()
    sip, uas_port, uac_port = free_port(), free_port(), free_port()
    metrics_port = free_port() if a.metrics else None
    env = dict(os.environ)
    for kv in a.env:
        k, v = kv.split("=", 1)
        env[k] = v
    notify = rundir / f"notify-{rate}"
    nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    nsock.bind(str(notify))
    env["NOTIFY_SOCKET"] = str(notify)
    env.setdefault("DIDTRON_LIFECYCLE_SHUTDOWN_GRACE_SECONDS", "0")
    argv = (["taskset", "-c", str(a.proxy_cpu)] if a.proxy_cpu >= 0 else []) + [a.bin, "run", "--listen", f"udp:{LOOP}:{sip}",
            "--next-hop", f"{LOOP}:{uas_port}", "--log-level", "notice"]
    if metrics_port:
        argv += ["--metrics-listen", f"{LOOP}:{metrics_port}"]
    proxy = reg.spawn("proxy", argv, d / "proxy.log", cwd=d, env=env)
    deadline = time.monotonic() + 30
    nsock.settimeout(0.5)
    while True:
        if time.monotonic() > deadline or not proxy.alive():
            raise rb.Abort(f"switch not ready; see {d / 'proxy.log'}")
        try:
            if b"READY=1" in nsock.recv(4096):
                break
        except socket.timeout:
            pass
    nsock.close()
    sipp = (["taskset", "-c", str(a.gen_cpu)] if a.gen_cpu >= 0 else []) + ["sipp", "-i", LOOP, "-t", "u1", "-buff_size", "4194304",
            "-nostdin"]
    uas = reg.spawn("uas", sipp + ["-sf", str(BENCH / "scenarios" / "uas.xml"), "-p", str(uas_port),
                                   "-l", str(rate * 20 + 10000), "-timeout", f"{a.step_seconds + 120}s",
                                   "-trace_err", "-error_file", str(d / "uas_errors.log")],
                    d / "uas.out", cwd=d, env=a.sipp_env)
    while not rb.port_bound(uas_port):
        if not uas.alive():
            raise rb.Abort("SIPp UAS did not start")
        time.sleep(0.02)
    warm = a.warmup_rate > 0 and a.warmup_rate < rate
    calls = rate * a.step_seconds + (a.warmup_rate * a.warmup_seconds if warm else 0)
    ramp = (["-rate_increase", str(rate - a.warmup_rate), "-rate_interval", f"{a.warmup_seconds}s",
             "-rate_max", str(rate), "-no_rate_quit"] if warm else [])
    p0, drops0, t0 = rb.cpu_ticks([proxy.pid]), rb.udp_drops(sip), time.monotonic()
    uac = reg.spawn("uac", sipp + [f"{LOOP}:{sip}", "-sf", str(BENCH / "scenarios" / "uac-overload.xml"),
                                   "-p", str(uac_port), "-r", str(a.warmup_rate if warm else rate), "-rp", "1000",
                                   "-m", str(calls)] + ramp + [
                                   "-l", str(rate * 40 + 1000), "-d", "0",
                                   "-timeout", f"{a.step_seconds + a.warmup_seconds + 60}s", "-timeout_error",
                                   "-trace_stat", "-stf", str(d / "uac_stat.csv"), "-fd", "1",
                                   "-trace_rtt", "-rtt_freq", "10", "-trace_counts",
                                   "-trace_err", "-error_file", str(d / "uac_errors.log")],
                    d / "uac.out", cwd=d, env=a.sipp_env)
    timeline = Timeline(metrics_port, d / "timeline.csv", [proxy.pid], [uas.pid, uac.pid]) if metrics_port else None
    reg.wait(uac, a.step_seconds + a.warmup_seconds + 90)
    wall = time.monotonic() - t0
    if timeline:
        timeline.stop()
    cpu = (rb.cpu_ticks([proxy.pid]) - p0) / rb.HZ
    drops = rb.udp_drops(sip) - drops0
    counters = metrics(metrics_port) if metrics_port else {}
    reg.stop(proxy, 15.0)
    reg.stop(uas, 3.0)
    st = rb.stat_last_row(d / "uac_stat.csv")
    attempted = int(st.get("TotalCallCreated", "0") or 0)
    failed = int(st.get("FailedCall(C)", "0") or 0)
    per_element = counts(d)
    answered = first(per_element, "_200_Recv")
    shed = first(per_element, "_503_Recv")
    times = sorted(rtds(d, after_ms=a.warmup_seconds * 1000 if warm else 0).get("1", []))
    row = {
        "offered_cps": rate, "calls": attempted, "answered": answered, "shed": shed,
        "failed": failed,
        "answered_pct": round(answered * 100 / attempted, 1) if attempted else 0,
        "shed_pct": round(shed * 100 / attempted, 1) if attempted else 0,
        "answered_p50_ms": round(rb.pct(times, .5), 2), "answered_p99_ms": round(rb.pct(times, .99), 2),
        "answered_max_ms": round(times[-1], 2) if times else float("nan"), "rt_samples": len(times),
        "udp_drops": drops, "switch_cpu_pct": round(cpu * 100 / wall, 1), "wall_s": round(wall, 1),
        "metric_shed": sum(v for k, v in counters.items() if k.startswith("didtron_overload_invites_shed_total")),
    }
    rb.log(f"{rate} cps: {row}")
    for f in d.glob("*_errors.log"):
        if f.stat().st_size > 2_000_000:
            with open(f, "r+b") as fh:
                fh.truncate(2_000_000)
    return row


def write(out: Path, rows: list[dict]) -> None:
    if not rows:
        (out / "curve.md").write_text("no steps ran\n")
        return
    cols = list(rows[0].keys())
    with open(out / "curve.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    md = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    (out / "curve.md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
