#!/usr/bin/env python3
"""Stepped call-rate benchmark of a SIP proxy on loopback (Python stdlib only).

    SIPp UAC 127.0.0.1:5090 --> proxy 127.0.0.1:5070 --> SIPp UAS 127.0.0.1:5080   (UDP)

Each step offers RATE calls/s for STEP seconds (INVITE/100/180/200/ACK/BYE/200,
zero hold time). The proxy is pinned to one core (taskset -c 1), both SIPp
instances to another (core 0); this driver also moves itself to core 0.

Examples:
    bench/run-bench.py --proxy didtron --bin .build/release/didtron-switch
    bench/run-bench.py --proxy kamailio
    bench/run-bench.py --proxy kamailio --rates 200,400 --step-seconds 5 --sweeps 1 \
                       --baseline-rates ''          # quick check of the driver itself

Softphone mode (--softphone, softswitch mode only): every step is run twice, as
a carrier's trunk (uac.xml from 127.0.0.1) and as a softphone user (uac-auth.xml
from --softphone-ip, answering the switch's 407 with -au/-ap), alternating which
goes first from sweep to sweep, so both modes are measured on the same VM in the
same run (issue 18's benchmark).

Everything it starts is recorded by PID and stopped by PID on exit, Ctrl-C,
SIGTERM or error. Output: bench/results/<timestamp>-<proxy>/ (see bench/README.md).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCEN = BENCH / "scenarios"
LOOP = "127.0.0.1"
PROXY_PORT, UAS_PORT, UAC_PORT = 5070, 5080, 5090
HZ = os.sysconf("SC_CLK_TCK")
CLEAN_FAIL_PCT = 0.1     # failed <= 0.1 % of attempted ...
CLEAN_ACHIEVED = 0.95    # ... and achieved >= 95 % of offered


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Abort(Exception):
    pass


# ------------------------------------------------------------------ /proc

def stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2:].split()  # fields from "state" on


def tree(root: int) -> list[int]:
    """root and all its live descendants."""
    kids: dict[int, list[int]] = {}
    for n in os.listdir("/proc"):
        if n.isdigit():
            f = stat_fields(int(n))
            if f:
                kids.setdefault(int(f[1]), []).append(int(n))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_ticks(pids: list[int]) -> int:
    """utime+stime over the given processes (each includes all its threads)."""
    total = 0
    for p in pids:
        f = stat_fields(p)
        if f:
            total += int(f[11]) + int(f[12])
    return total


def mem_kb(pids: list[int]) -> tuple[int, int]:
    """(sum of VmRSS, sum of Pss) in KiB."""
    rss = pss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                        break
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
        except OSError:
            pass
    return rss, pss


def core_idle_ticks(cpu: int) -> int:
    with open("/proc/stat") as f:
        for line in f:
            p = line.split()
            if p[0] == f"cpu{cpu}":
                return int(p[4]) + int(p[5])  # idle + iowait
    raise Abort(f"cpu{cpu} not in /proc/stat")


def core_steal_ticks(cpu: int) -> int:
    """Time the hypervisor ran something else on this vCPU (/proc/stat steal)."""
    with open("/proc/stat") as f:
        for line in f:
            p = line.split()
            if p[0] == f"cpu{cpu}":
                return int(p[8]) if len(p) > 8 else 0
    raise Abort(f"cpu{cpu} not in /proc/stat")


def udp_drops(port: int) -> int:
    """Kernel drop counter of the UDP socket(s) bound to 127.0.0.1:port."""
    want = "0100007F:%04X" % port
    total = 0
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            p = line.split()
            if p[1] == want:
                total += int(p[-1])
    return total


def port_bound(port: int, proto: str = "udp") -> bool:
    want = "0100007F:%04X" % port
    anyaddr = "00000000:%04X" % port
    with open(f"/proc/net/{proto}") as f:
        next(f)
        for line in f:
            p = line.split()
            if p[1] in (want, anyaddr) and (proto == "udp" or p[3] == "0A"):
                return True
    return False


# ------------------------------------------------------------------ processes

@dataclass
class Child:
    name: str
    popen: subprocess.Popen
    log: Path
    whole_tree: bool = False
    rusage: object = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None


class Registry:
    def __init__(self) -> None:
        self.children: list[Child] = []

    def spawn(self, name: str, argv: list[str], log: Path, cwd: Path | None = None,
              env: dict | None = None, whole_tree: bool = False) -> Child:
        with open(log, "ab") as out:
            out.write(("$ " + " ".join(argv) + "\n").encode())
            out.flush()
            p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT)
        c = Child(name, p, log, whole_tree)
        self.children.append(c)
        return c

    def wait(self, c: Child, timeout: float, tick=None) -> int:
        """Wait for c (reaping it with wait4 for its rusage); calls tick() about
        once a second meanwhile. Raises Abort after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(c.pid, os.WNOHANG)
            if pid == c.pid:
                c.rusage = ru
                c.popen.returncode = os.waitstatus_to_exitcode(status)
                return c.popen.returncode
            if time.monotonic() > deadline:
                raise Abort(f"{c.name} still running after {timeout:.0f} s")
            if tick:
                tick()
            time.sleep(1.0 if tick else 0.2)

    def stop(self, c: Child, grace: float) -> None:
        if not c.alive():
            return
        victims = tree(c.pid)[1:] if c.whole_tree else []
        try:
            os.kill(c.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            c.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log(f"{c.name} (pid {c.pid}) ignored SIGTERM for {grace:.0f} s: SIGKILL")
            try:
                os.kill(c.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            c.popen.wait(timeout=10)
        for v in victims:  # children left behind by their parent
            try:
                os.kill(v, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop_all(self) -> None:
        for c in reversed(self.children):
            self.stop(c, 15.0 if c.name == "proxy" else 3.0)


# ------------------------------------------------------------------ SIPp output

def stat_last_row(path: Path) -> dict[str, str]:
    rows = [l for l in path.read_text(errors="replace").splitlines() if l.strip()]
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0].rstrip(";").split(";"), rows[-1].rstrip(";").split(";")))


def rtt_samples(d: Path) -> list[tuple[float, float]]:
    """(time_ms since SIPp start, response time ms) of every INVITE->200."""
    out = []
    for f in d.glob("*_rtt.csv"):
        with open(f) as fh:
            next(fh, None)
            for line in fh:
                p = line.strip().split(";")
                if len(p) >= 3 and p[2] == "1":
                    out.append((float(p[0]), float(p[1])))
    return out


def pct(sorted_vals: list[float], q: float) -> float:
    if not sorted_vals:
        return float("nan")
    k = min(len(sorted_vals) - 1, max(0, round(q * (len(sorted_vals) - 1))))
    return sorted_vals[k]


# ------------------------------------------------------------------ the bench

@dataclass
class Config:
    proxy: str
    binary: str | None
    kamailio_cfg: Path
    rates: list[int]
    step_s: int
    sweeps: int
    settle_s: float
    proxy_cpu: int
    gen_cpu: int
    buff: int
    fine_clock: bool
    baseline_rates: list[int]
    stop_after_fails: int
    quiet_wait_s: float
    quiet_pct: float
    max_attempts: int
    log_level: str
    invite_timeout: int
    kam_workers: int | None
    kam_maxbuf: int | None
    out: Path
    database_url: str | None = None
    pg_data: Path | None = None
    pg_cpu: int | None = None
    dialed: str = "service"
    kam_defines: list[str] = field(default_factory=list)
    softphone: bool = False
    sp_user: str = "1001"
    sp_password: str = "demo1001"
    sp_domain: str = "demo.didtron.test"
    sp_ip: str = "127.0.0.2"
    sp_dialed: str | None = None
    sp_sql: Path | None = None

    @property
    def modes(self) -> list[str]:
        """The call modes of every step: `carrier` (the trunk's call) and, with
        --softphone, `softphone` (a user's digest-authenticated call)."""
        return ["carrier", "softphone"] if self.softphone else ["carrier"]


COLUMNS = [
    "sweep", "mode", "offered_cps", "attempt", "step_s", "planned", "attempted", "succeeded", "failed",
    "fail_pct", "achieved_cps", "clean", "rt_p50_ms", "rt_p90_ms", "rt_p99_ms", "rt_max_ms",
    "rt_samples", "retransmissions", "proxy_cpu_s", "proxy_cpu_s_per_1k", "proxy_core_pct",
    "proxy_rss_kb", "proxy_pss_kb", "proxy_mem_kb", "uac_cpu_s", "uas_cpu_s", "sipp_core_pct",
    "proxy_core_busy_pct", "gen_core_busy_pct", "other_load_proxy_core_pct",
    "other_load_gen_core_pct", "contaminated", "steal_proxy_core_pct", "udp_drops_proxy", "udp_drops_uas", "uac_rc", "uac_wall_s", "measure_s", "dead_call_msgs", "failed_unexpected",
    "failed_max_udp_retrans", "failed_timeout_recv", "db_cpu_s", "db_cpu_s_per_1k",
    "total_cpu_s_per_1k",
]


class Bench:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.reg = Registry()
        self.env_lines: list[str] = []
        self.sipp_env = dict(os.environ)
        self.proxy: Child | None = None
        self.rundir = Path(tempfile.mkdtemp(prefix="dtbench-", dir="/tmp"))

    # -- setup
    def note(self, line: str) -> None:
        self.env_lines.append(line)
        log(line)

    def prepare(self) -> None:
        c = self.cfg
        c.out.mkdir(parents=True, exist_ok=True)
        os.sched_setaffinity(0, {c.gen_cpu})  # keep the driver off the proxy core
        for port in (PROXY_PORT, UAS_PORT, UAC_PORT):
            if port_bound(port, "udp") or port_bound(port, "tcp"):
                raise Abort(f"127.0.0.1:{port} is already in use; stop whatever holds it first")
        if c.fine_clock:
            so = c.out / "fineclock.so"
            r = subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(so),
                                str(BENCH / "fineclock.c"), "-ldl"], capture_output=True, text=True)
            if r.returncode != 0:
                self.note(f"fineclock: cc failed ({r.stderr.strip()[:200]}); SIPp keeps its coarse clock")
                c.fine_clock = False
            else:
                self.sipp_env["LD_PRELOAD"] = str(so)
        ver = lambda argv: (subprocess.run(argv, capture_output=True, text=True).stdout
                            or "").strip().splitlines()
        self.note(f"date: {dt.datetime.now().isoformat(timespec='seconds')}")
        u = os.uname()
        model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        self.note(f"host: {u.sysname} {u.release} {u.machine}; {os.cpu_count()} cpus ({model})")
        self.note(f"sipp: {next((l.strip() for l in ver(['sipp', '-v']) if 'SIPp' in l), '?')}")
        if c.proxy == "kamailio":
            self.note(f"kamailio: {(ver(['kamailio', '-v']) or ['?'])[0]}")
        self.note(f"proxy: {c.proxy} pinned to cpu {c.proxy_cpu}; SIPp UAC+UAS and this driver on cpu {c.gen_cpu}")
        self.note(f"sipp: -buff_size {c.buff}, fine clock preload: {c.fine_clock}; "
                  f"net.core.rmem_max={open('/proc/sys/net/core/rmem_max').read().strip()}")
        self.note(f"rates: {c.rates}; step {c.step_s} s; settle {c.settle_s} s; sweeps {c.sweeps}; "
                  f"dialed {c.dialed}")
        if c.softphone:
            self.note(f"softphone mode: user {c.sp_user}@{c.sp_domain} from {c.sp_ip}, dialed "
                      f"{c.sp_dialed or c.dialed}; steps alternate carrier/softphone")
            if c.sp_sql:
                r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", c.database_url,
                                    "-f", str(c.sp_sql)], capture_output=True, text=True, timeout=60)
                if r.returncode != 0:
                    raise Abort(f"psql -f {c.sp_sql} failed: {r.stderr.strip()[:400]}")
                self.note(f"softphone data: {c.sp_sql} applied")
        if c.pg_data:
            self.note(f"database: {c.pg_data}" + (f", pinned to cpu {c.pg_cpu}" if c.pg_cpu is not None else
                                                  ", not pinned"))

    def db_pids(self) -> list[int]:
        """The PostgreSQL server (postmaster and its backends) behind --pg-data, if given."""
        if not self.cfg.pg_data:
            return []
        try:
            postmaster = int((self.cfg.pg_data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return tree(postmaster)

    def pin_db(self) -> None:
        """--pg-cpu: every thread of the PostgreSQL server's processes onto that core (new
        backends inherit the postmaster's affinity)."""
        if self.cfg.pg_cpu is None:
            return
        for pid in self.db_pids():
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    os.sched_setaffinity(int(task), {self.cfg.pg_cpu})
            except OSError:
                pass

    def unpin_db(self) -> None:
        if self.cfg.pg_cpu is None:
            return
        every = set(range(os.cpu_count() or 1))
        for pid in self.db_pids():
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    os.sched_setaffinity(int(task), every)
            except OSError:
                pass

    # -- proxy
    def proxy_argv(self) -> tuple[list[str], dict, bool]:
        c = self.cfg
        pin = ["taskset", "-c", str(c.proxy_cpu)]
        if c.proxy == "didtron":
            route = (["--database-url", c.database_url,
                      "--journal-directory", str(self.rundir / f"journal-{time.monotonic_ns()}")]
                     if c.database_url else ["--next-hop", f"{LOOP}:{UAS_PORT}"])
            env = dict(os.environ)
            if c.softphone:   # the user's domain; MD5 first: Debian's SIPp answers only MD5
                env["DIDTRON_REGISTRAR_DOMAINS"] = c.sp_domain
                env["DIDTRON_REGISTRAR_DIGEST_ALGORITHMS"] = "MD5,SHA-256"
            return (pin + [c.binary, "run",
                           "--listen", f"udp:{LOOP}:{PROXY_PORT}", "--listen", f"tcp:{LOOP}:{PROXY_PORT}",
                           *route,
                           "--invite-timeout", str(c.invite_timeout),
                           "--log-level", c.log_level],
                    env, False)
        argv = pin + ["kamailio", "-DD", "-E", "-f", str(c.kamailio_cfg),
                      "-P", str(self.rundir / "kamailio.pid"), "-Y", str(self.rundir),
                      "-m", "1024", "-M", "16",
                      "-A", f'NEXT_HOP_HOST="{LOOP}"', "-A", f'NEXT_HOP_PORT="{UAS_PORT}"']
        if c.kam_workers:
            argv += ["-A", f"WORKERS={c.kam_workers}"]
        if c.kam_maxbuf:
            argv += ["-A", f"MAXBUF={c.kam_maxbuf}"]
        for define in c.kam_defines:
            argv += ["-A", define]
        return argv, dict(os.environ), True

    def start_proxy(self, sweep_dir: Path) -> Child:
        argv, env, whole_tree = self.proxy_argv()
        nsock = None
        if self.cfg.proxy == "didtron":
            path = str(self.rundir / "notify")
            if os.path.exists(path):
                os.unlink(path)
            nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            nsock.bind(path)
            env["NOTIFY_SOCKET"] = path
        p = self.reg.spawn("proxy", argv, sweep_dir / "proxy.log", cwd=sweep_dir, env=env,
                           whole_tree=whole_tree)
        self.proxy = p
        deadline = time.monotonic() + 30
        try:
            if nsock is not None:   # our daemon: block on READY=1
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0 or not p.alive():
                        raise Abort(f"proxy not ready (status {p.popen.poll()}); see {p.log}")
                    nsock.settimeout(min(left, 0.5))
                    try:
                        if b"READY=1" in nsock.recv(4096).split(b"\n"):
                            break
                    except socket.timeout:
                        pass
            else:                   # Kamailio: answer to an OPTIONS probe
                probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probe.bind((LOOP, 0))
                try:
                    while True:
                        if time.monotonic() > deadline or not p.alive():
                            raise Abort(f"proxy not answering (status {p.popen.poll()}); see {p.log}")
                        lp = probe.getsockname()[1]
                        probe.sendto((f"OPTIONS sip:probe@{LOOP}:{PROXY_PORT} SIP/2.0\r\n"
                                      f"Via: SIP/2.0/UDP {LOOP}:{lp};branch=z9hG4bK-bench-{time.monotonic_ns()}\r\n"
                                      f"Max-Forwards: 70\r\nFrom: <sip:bench@{LOOP}>;tag=b\r\n"
                                      f"To: <sip:probe@{LOOP}>\r\nCall-ID: probe-{time.monotonic_ns()}\r\n"
                                      f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(),
                                     (LOOP, PROXY_PORT))
                        probe.settimeout(0.3)
                        try:
                            if probe.recv(65535).startswith(b"SIP/2.0 "):
                                break
                        except (socket.timeout, ConnectionRefusedError):
                            pass
                finally:
                    probe.close()
        finally:
            if nsock is not None:
                nsock.close()
        pids = tree(p.pid)
        rss, pss = mem_kb(pids)
        self.note(f"proxy up: pid {p.pid}, {len(pids)} processes, idle RSS {rss} kB, PSS {pss} kB")
        return p

    # -- SIPp
    def sipp_argv(self, role: str, d: Path, extra: list[str], ip: str = LOOP) -> list[str]:
        c = self.cfg
        base = ["taskset", "-c", str(c.gen_cpu), "sipp"]
        return base + extra + ["-i", ip, "-t", "u1", "-buff_size", str(c.buff), "-nostdin",
                               "-trace_err", "-error_file", str(d / f"{role}_errors.log")]

    def start_uas(self, d: Path, rate: int) -> Child:
        argv = self.sipp_argv("uas", d, ["-sf", str(SCEN / "uas.xml"), "-p", str(UAS_PORT),
                                         "-l", str(rate * 20 + 10000),
                                         "-timeout", f"{self.cfg.step_s + 120}s"])
        uas = self.reg.spawn("uas", argv, d / "uas.out", cwd=d, env=self.sipp_env)
        deadline = time.monotonic() + 10
        while not port_bound(UAS_PORT):
            if not uas.alive() or time.monotonic() > deadline:
                raise Abort(f"SIPp UAS did not bind {UAS_PORT}; see {d / 'uas.out'}")
            time.sleep(0.02)
        return uas

    def run_uac(self, d: Path, target_port: int, rate: int, calls: int, tick=None,
                mode: str = "carrier") -> Child:
        c = self.cfg
        ip, scenario, dialed, auth = LOOP, "uac.xml", c.dialed, []
        if mode == "softphone":
            ip, scenario, dialed = c.sp_ip, "uac-auth.xml", c.sp_dialed or c.dialed
            auth = ["-set", "user", c.sp_user, "-set", "domain", c.sp_domain, "-au", c.sp_user,
                    "-ap", c.sp_password, "-auth_uri", f"{dialed}@{LOOP}:{target_port}"]
        argv = self.sipp_argv("uac", d, [f"{LOOP}:{target_port}", "-sf", str(SCEN / scenario), *auth,
                                         "-p", str(UAC_PORT), "-s", dialed,
                                         "-r", str(rate), "-rp", "1000",
                                         "-m", str(calls), "-l", str(rate * 10 + 1000), "-d", "0",
                                         "-timeout", f"{self.cfg.step_s + 40}s", "-timeout_error",
                                         "-trace_stat", "-stf", str(d / "uac_stat.csv"), "-fd", "1",
                                         "-trace_rtt", "-rtt_freq", "1000",
                                         "-trace_screen", "-screen_file", str(d / "uac_screen.log")],
                              ip=ip)
        uac = self.reg.spawn("uac", argv, d / "uac.out", cwd=d, env=self.sipp_env)
        self.reg.wait(uac, self.cfg.step_s + 90, tick)
        return uac

    def stop_child(self, c: Child) -> None:
        self.reg.stop(c, 3.0)
        self.reg.children.remove(c)

    # -- machine quietness
    def wait_quiet(self) -> None:
        c = self.cfg
        deadline = time.monotonic() + c.quiet_wait_s
        while True:
            i0 = (core_idle_ticks(c.gen_cpu), core_idle_ticks(c.proxy_cpu))
            t0 = time.monotonic()
            time.sleep(1.0)
            w = time.monotonic() - t0
            busy = [100 - (core_idle_ticks(cpu) - i) * 100 / (w * HZ)
                    for cpu, i in zip((c.gen_cpu, c.proxy_cpu), i0)]
            if max(busy) < c.quiet_pct:
                return
            if time.monotonic() > deadline:
                log(f"machine not quiet after {c.quiet_wait_s:.0f} s (cpu{c.gen_cpu} {busy[0]:.0f} %, "
                    f"cpu{c.proxy_cpu} {busy[1]:.0f} %): going ahead; the step records the other load")
                return
            log(f"waiting for a quiet machine (cpu{c.gen_cpu} {busy[0]:.0f} %, cpu{c.proxy_cpu} {busy[1]:.0f} % busy)")

    # -- one step
    def step(self, sweep: int, rate: int, attempt: int, sdir: Path, mode: str = "carrier") -> dict:
        c = self.cfg
        d = sdir / (f"step-{rate}" + (f"-{mode}" if c.softphone else "")
                    + (f"-try{attempt}" if attempt > 1 else ""))
        d.mkdir(parents=True)
        planned = rate * c.step_s
        uas = self.start_uas(d, rate)
        proxy = self.proxy
        ppids = tree(proxy.pid)
        peak = {"rss": 0, "pss": 0}

        def sample_mem() -> None:
            nonlocal ppids
            ppids = tree(proxy.pid)
            rss, pss = mem_kb(ppids)
            peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)

        self.pin_db()
        t0 = time.monotonic()
        p0, uas0 = cpu_ticks(ppids), cpu_ticks([uas.pid])
        db0 = cpu_ticks(self.db_pids())
        g0, x0 = core_idle_ticks(c.gen_cpu), core_idle_ticks(c.proxy_cpu)
        s0 = core_steal_ticks(c.proxy_cpu)
        dp0, du0 = udp_drops(PROXY_PORT), udp_drops(UAS_PORT)
        uac = self.run_uac(d, PROXY_PORT, rate, planned, tick=sample_mem, mode=mode)
        t1 = time.monotonic()
        p_load = cpu_ticks(ppids)
        db_load = cpu_ticks(self.db_pids())
        uas1 = cpu_ticks([uas.pid])
        g1, x1 = core_idle_ticks(c.gen_cpu), core_idle_ticks(c.proxy_cpu)
        s1 = core_steal_ticks(c.proxy_cpu)
        dp1, du1 = udp_drops(PROXY_PORT), udp_drops(UAS_PORT)
        sample_mem()
        # deferred work (transaction wait timers etc.) belongs to the step
        time.sleep(c.settle_s)
        sample_mem()
        t2 = time.monotonic()
        p2 = cpu_ticks(ppids)
        db2 = cpu_ticks(self.db_pids())
        self.stop_child(uas)

        st = stat_last_row(d / "uac_stat.csv")
        g = lambda k: int(st.get(k, "0") or 0)
        attempted, ok, failed = g("TotalCallCreated"), g("SuccessfulCall(C)"), g("FailedCall(C)")
        samples = rtt_samples(d)
        rts = sorted(r for _, r in samples)
        if len(samples) > 1:
            ts = [t for t, _ in samples]
            span = (max(ts) - min(ts)) / 1000
            achieved = (len(samples) - 1) / span if span > 0 else float("nan")
        else:
            achieved = float("nan")
        wall = t1 - t0
        proxy_cpu = (p2 - p0) / HZ
        uac_cpu = (uac.rusage.ru_utime + uac.rusage.ru_stime) if uac.rusage else float("nan")
        uas_cpu = (uas1 - uas0) / HZ
        gen_busy = 100 - (g1 - g0) * 100 / (wall * HZ)
        prx_busy = 100 - (x1 - x0) * 100 / (wall * HZ)
        prx_pct = (p_load - p0) / HZ * 100 / wall
        sipp_pct = (uac_cpu + uas_cpu) * 100 / wall
        other_prx = prx_busy - prx_pct
        if c.pg_cpu == c.proxy_cpu:  # PostgreSQL pinned beside the proxy is part of the system measured
            other_prx -= (db_load - db0) / HZ * 100 / wall
        other_gen = gen_busy - sipp_pct
        fail_pct = failed * 100 / attempted if attempted else 100.0
        clean = (attempted >= planned and fail_pct <= CLEAN_FAIL_PCT
                 and achieved == achieved and achieved >= CLEAN_ACHIEVED * rate)
        contaminated = other_prx > 5 or other_gen > 15
        mem = peak["pss"] if c.proxy == "kamailio" else peak["rss"]
        row = {
            "sweep": sweep, "mode": mode, "offered_cps": rate, "attempt": attempt, "step_s": c.step_s,
            "planned": planned, "attempted": attempted, "succeeded": ok, "failed": failed,
            "fail_pct": round(fail_pct, 3), "achieved_cps": round(achieved, 1),
            "clean": "yes" if clean else "no",
            "rt_p50_ms": round(pct(rts, .50), 3), "rt_p90_ms": round(pct(rts, .90), 3),
            "rt_p99_ms": round(pct(rts, .99), 3), "rt_max_ms": round(rts[-1], 3) if rts else float("nan"),
            "rt_samples": len(rts), "retransmissions": g("Retransmissions(C)"),
            "proxy_cpu_s": round(proxy_cpu, 2),
            "proxy_cpu_s_per_1k": round(proxy_cpu * 1000 / ok, 3) if ok else float("nan"),
            "proxy_core_pct": round(prx_pct, 1),
            "proxy_rss_kb": peak["rss"], "proxy_pss_kb": peak["pss"], "proxy_mem_kb": mem,
            "uac_cpu_s": round(uac_cpu, 2), "uas_cpu_s": round(uas_cpu, 2),
            "sipp_core_pct": round(sipp_pct, 1),
            "proxy_core_busy_pct": round(prx_busy, 1), "gen_core_busy_pct": round(gen_busy, 1),
            "other_load_proxy_core_pct": round(other_prx, 1), "other_load_gen_core_pct": round(other_gen, 1),
            "contaminated": "yes" if contaminated else "no",
            "steal_proxy_core_pct": round((s1 - s0) * 100 / (wall * HZ), 1),
            "udp_drops_proxy": dp1 - dp0, "udp_drops_uas": du1 - du0,
            "uac_rc": uac.popen.returncode, "uac_wall_s": round(wall, 2), "measure_s": round(t2 - t0, 2),
            "dead_call_msgs": g("DeadCallMsgs(C)"), "failed_unexpected": g("FailedUnexpectedMessage(C)"),
            "failed_max_udp_retrans": g("FailedMaxUDPRetrans(C)"),
            "failed_timeout_recv": g("FailedTimeoutOnRecv(C)"),
            "db_cpu_s": round((db2 - db0) / HZ, 2) if c.pg_data else float("nan"),
            "db_cpu_s_per_1k": round((db2 - db0) / HZ * 1000 / ok, 3) if c.pg_data and ok else float("nan"),
            "total_cpu_s_per_1k": (round((proxy_cpu + (db2 - db0) / HZ) * 1000 / ok, 3)
                                   if c.pg_data and ok else float("nan")),
        }
        log(f"  {mode} {rate} cps: {ok}/{attempted} ok, {failed} failed ({fail_pct:.3f} %), achieved "
            f"{achieved:.0f}/s, RT p50/p99 {row['rt_p50_ms']}/{row['rt_p99_ms']} ms, proxy "
            f"{row['proxy_cpu_s_per_1k']} CPU-s/1k ({prx_pct:.0f} % core), db {row['db_cpu_s_per_1k']} CPU-s/1k, "
            f"mem {mem} kB, "
            f"other load {other_prx:.0f}/{other_gen:.0f} %, steal {row['steal_proxy_core_pct']} % "
            f"-> clean={row['clean']}"
            f"{' CONTAMINATED' if contaminated else ''}")
        for f in d.glob("*_errors.log"):   # overload steps write huge error logs
            if f.stat().st_size > 2_000_000:
                with open(f, "r+b") as fh:
                    fh.truncate(2_000_000)
                    fh.seek(0, 2)
                    fh.write(b"\n[truncated by run-bench.py; counts are in uac_stat.csv]\n")
        return row

    # -- baseline: UAC straight to UAS, no proxy
    def baseline(self) -> None:
        for rate in self.cfg.baseline_rates:
            d = self.cfg.out / f"baseline-{rate}"
            d.mkdir()
            uas = self.start_uas(d, rate)
            uac = self.run_uac(d, UAS_PORT, rate, rate * 5)
            self.stop_child(uas)
            st = stat_last_row(d / "uac_stat.csv")
            rts = sorted(r for _, r in rtt_samples(d))
            self.note(f"SIPp floor without proxy @ {rate} cps: rc {uac.popen.returncode}, "
                      f"ok {st.get('SuccessfulCall(C)')}, failed {st.get('FailedCall(C)')}, "
                      f"RT p50/p99 {pct(rts, .5):.3f}/{pct(rts, .99):.3f} ms")

    # -- all
    def run(self) -> list[dict]:
        c = self.cfg
        self.prepare()
        rows: list[dict] = []
        if c.baseline_rates:
            self.baseline()
        for sweep in range(1, c.sweeps + 1):
            sdir = c.out / f"sweep-{sweep}"
            sdir.mkdir()
            log(f"sweep {sweep}/{c.sweeps}: fresh proxy")
            self.start_proxy(sdir)
            self.env_lines.append(f"sweep {sweep} proxy command: {' '.join(self.proxy.popen.args)}")
            fails_in_row = {mode: 0 for mode in c.modes}
            # softphone mode: alternate which mode goes first, sweep by sweep
            order = c.modes if sweep % 2 == 1 else list(reversed(c.modes))
            for rate in c.rates:
                active = [m for m in order if fails_in_row[m] < c.stop_after_fails]
                if not active:
                    log(f"sweep {sweep}: {c.stop_after_fails} non-clean steps in a row, next sweep")
                    break
                for mode in active:
                    if not self.proxy.alive():
                        break
                    row = self.step_with_retries(sweep, rate, sdir, mode, rows)
                    fails_in_row[mode] = 0 if row["clean"] == "yes" else fails_in_row[mode] + 1
                if not self.proxy.alive():
                    self.note(f"sweep {sweep}: proxy exited ({self.proxy.popen.returncode}); sweep ends")
                    break
            alive = self.proxy.alive()
            self.note(f"sweep {sweep}: proxy alive at end: {'yes' if alive else 'NO'}")
            self.stop_child(self.proxy)
        self.write(rows)
        return rows

    def step_with_retries(self, sweep: int, rate: int, sdir: Path, mode: str, rows: list[dict]) -> dict:
        """One step, repeated (up to --max-attempts) while other processes disturb it."""
        c = self.cfg
        for attempt in range(1, c.max_attempts + 1):
            self.wait_quiet()
            row = self.step(sweep, rate, attempt, sdir, mode)
            rows.append(row)
            self.write(rows)
            if row["contaminated"] == "no":
                break
            if attempt < c.max_attempts:
                log("  other processes used the cores during this step: repeating it")
            else:
                log("  other processes used the cores during this step; no attempts left, kept as is")
        return row

    # -- output
    def write(self, rows: list[dict]) -> None:
        out = self.cfg.out
        with open(out / "results.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
        (out / "env.txt").write_text("\n".join(self.env_lines) + "\n")
        (out / "results.md").write_text(steps_markdown(rows, self.cfg))
        (out / "summary.md").write_text(summary_markdown(rows, self.cfg))


def final_rows(rows: list[dict]) -> list[dict]:
    """The last attempt of each (sweep, rate): retries replace contaminated runs."""
    last: dict[tuple, dict] = {}
    for r in rows:
        last[(r["sweep"], r.get("mode", "carrier"), r["offered_cps"])] = r
    return list(last.values())


def steps_markdown(rows: list[dict], cfg: Config) -> str:
    mem_name = "PSS" if cfg.proxy == "kamailio" else "RSS"
    hdr = ["sweep", "mode", "offered cps", "try", "attempted", "ok", "failed", "fail %", "achieved cps",
           "clean", "RT p50 / p99 ms", "retrans", "proxy CPU-s / 1k", "db CPU-s / 1k", "proxy % core",
           f"proxy {mem_name} MB", "SIPp % core", "other load proxy/gen core %", "UDP drops proxy/uas",
           "contaminated"]
    lines = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for r in rows:
        lines.append("| " + " | ".join(str(x) for x in [
            r["sweep"], r["mode"], r["offered_cps"], r["attempt"], r["attempted"], r["succeeded"], r["failed"],
            r["fail_pct"], r["achieved_cps"], r["clean"], f"{r['rt_p50_ms']} / {r['rt_p99_ms']}",
            r["retransmissions"], r["proxy_cpu_s_per_1k"], r["db_cpu_s_per_1k"], r["proxy_core_pct"],
            round(r["proxy_mem_kb"] / 1024, 1), r["sipp_core_pct"],
            f"{r['other_load_proxy_core_pct']} / {r['other_load_gen_core_pct']}",
            f"{r['udp_drops_proxy']} / {r['udp_drops_uas']}", r["contaminated"]]) + " |")
    return "\n".join(lines) + "\n"


def summary_markdown(rows: list[dict], cfg: Config) -> str:
    rows = final_rows(rows)
    if not cfg.softphone:
        return mode_summary(rows, cfg, f"# {cfg.proxy}: stepped call rate, {cfg.step_s} s per step, UDP, zero hold")
    out = [f"# {cfg.proxy}: carrier vs softphone mode, {cfg.step_s} s per step, UDP, zero hold, "
           "alternating in one run", ""]
    medians = {}
    for mode in cfg.modes:
        mrows = [r for r in rows if r["mode"] == mode]
        out.append(mode_summary(mrows, cfg, f"## {mode}"))
        clean = [r for r in mrows if r["clean"] == "yes"]
        total = [r["total_cpu_s_per_1k"] for r in clean if r["total_cpu_s_per_1k"] == r["total_cpu_s_per_1k"]]
        proxy = [r["proxy_cpu_s_per_1k"] for r in clean if r["proxy_cpu_s_per_1k"] == r["proxy_cpu_s_per_1k"]]
        medians[mode] = (statistics.median(proxy) if proxy else None, statistics.median(total) if total else None,
                         max((r["offered_cps"] for r in clean), default=None))
    out += ["## Softphone over carrier", "", "| | carrier | softphone | softphone / carrier |", "|---|---|---|---|"]
    names = ["switch CPU-s / 1k calls (median, clean steps)", "switch + PostgreSQL CPU-s / 1k calls",
             "max clean cps (any sweep)"]
    for i, name in enumerate(names):
        a, b = medians["carrier"][i], medians["softphone"][i]
        ratio = f"{b / a:.3f}" if a and b else "-"
        out.append(f"| {name} | {round(a, 3) if a is not None else '-'} | "
                   f"{round(b, 3) if b is not None else '-'} | {ratio} |")
    out += ["", "Issue 18's target: softphone CPU per call (switch + PostgreSQL) at most 1.25 x carrier's.", ""]
    return "\n".join(out) + "\n"


def mode_summary(rows: list[dict], cfg: Config, title: str) -> str:
    out = [title, ""]
    out += ["| sweep | max clean cps | first non-clean step (fail %) | CPU-s / 1k, median of clean steps |"
            " proxy + db CPU-s / 1k, median of clean steps |",
            "|---|---|---|---|---|"]
    all_clean_cpu, all_clean_total = [], []
    for s in sorted({r["sweep"] for r in rows}):
        rs = sorted((r for r in rows if r["sweep"] == s), key=lambda r: r["offered_cps"])
        clean = [r for r in rs if r["clean"] == "yes"]
        bad = next((r for r in rs if r["clean"] == "no"), None)
        cpu = [r["proxy_cpu_s_per_1k"] for r in clean if r["proxy_cpu_s_per_1k"] == r["proxy_cpu_s_per_1k"]]
        all_clean_cpu += cpu
        total = [r["total_cpu_s_per_1k"] for r in clean if r["total_cpu_s_per_1k"] == r["total_cpu_s_per_1k"]]
        all_clean_total += total
        first_bad = f"{bad['offered_cps']} ({bad['fail_pct']} %)" if bad else "-"
        out.append(f"| {s} | {max((r['offered_cps'] for r in clean), default='none')} | "
                   f"{first_bad} | {round(statistics.median(cpu), 3) if cpu else '-'} | "
                   f"{round(statistics.median(total), 3) if total else '-'} |")
    out += ["", f"CPU-s per 1000 answered calls, median over all clean steps: "
                f"{round(statistics.median(all_clean_cpu), 3) if all_clean_cpu else '-'}"
                + (f" (with the database: {round(statistics.median(all_clean_total), 3)})"
                   if all_clean_total else ""), ""]
    out += ["## Response time INVITE -> 200 at the UAC (p50 / p99 ms), per step", "",
            "| offered cps | " + " | ".join(f"sweep {s}" for s in sorted({r['sweep'] for r in rows})) + " |",
            "|---|" + "---|" * len({r["sweep"] for r in rows})]
    sweeps = sorted({r["sweep"] for r in rows})
    for rate in sorted({r["offered_cps"] for r in rows}):
        cells = []
        for s in sweeps:
            r = next((r for r in rows if r["sweep"] == s and r["offered_cps"] == rate), None)
            cells.append(f"{r['rt_p50_ms']} / {r['rt_p99_ms']}{'' if r['clean'] == 'yes' else ' (not clean)'}"
                         if r else "-")
        out.append(f"| {rate} | " + " | ".join(cells) + " |")
    out += ["", f"clean = failed <= {CLEAN_FAIL_PCT} % of attempted, every planned call attempted, and "
                f"achieved >= {int(CLEAN_ACHIEVED * 100)} % of offered. Per-step detail: results.md / results.csv."]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ main

def parse_args(argv: list[str]) -> Config:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy", choices=["didtron", "kamailio"], required=True)
    ap.add_argument("--bin", help="didtron-switch binary (with --proxy didtron)")
    ap.add_argument("--kamailio-cfg", default=str(BENCH / "kamailio-minimal.cfg"))
    ap.add_argument("--kamailio-workers", type=int, help="override the cfg's UDP worker count (4)")
    ap.add_argument("--kamailio-maxbuf", type=int,
                    help="Kamailio's UDP receive-buffer probe limit (maxbuffer), e.g. 4194304")
    ap.add_argument("--rates", default="1000,2000,3000,3500,4000", help="offered calls/s, comma-separated")
    ap.add_argument("--step-seconds", type=int, default=15)
    ap.add_argument("--sweeps", type=int, default=3, help="each sweep starts a fresh proxy")
    ap.add_argument("--settle-seconds", type=float, default=5.0,
                    help="proxy CPU is counted until this long after the last call")
    ap.add_argument("--proxy-cpu", type=int, default=1)
    ap.add_argument("--gen-cpu", type=int, default=0)
    ap.add_argument("--buff-size", type=int, default=4194304, help="SIPp -buff_size")
    ap.add_argument("--no-fine-clock", action="store_true", help="don't preload bench/fineclock.c into SIPp")
    ap.add_argument("--baseline-rates", default="200,2000",
                    help="rates of the UAC->UAS run without proxy (SIPp's own response-time floor); '' = none")
    ap.add_argument("--stop-after-fails", type=int, default=2,
                    help="end a sweep after this many non-clean steps in a row")
    ap.add_argument("--quiet-wait", type=float, default=60, help="max s to wait for idle cores before a step")
    ap.add_argument("--quiet-pct", type=float, default=10)
    ap.add_argument("--max-attempts", type=int, default=2, help="repeat a step disturbed by other load")
    ap.add_argument("--log-level", default="info", help="didtron --log-level")
    ap.add_argument("--invite-timeout", type=int, default=32, help="didtron --invite-timeout")
    ap.add_argument("--database-url", help="didtron softswitch mode: route by this database (instead of "
                    "--next-hop); it must hold a plan that sends the bench's calls from 127.0.0.1 to "
                    "127.0.0.1:5080, e.g. etc/demo-data.sql")
    ap.add_argument("--pg-data", help="the PostgreSQL data directory (scripts/pg-local DIR/data): its "
                    "server's CPU per step is reported as db_cpu_s_per_1k")
    ap.add_argument("--pg-cpu", type=int,
                    help="pin the PostgreSQL server of --pg-data to this core for the run (the anchor "
                    "pins it beside the proxy: --pg-cpu 1); its CPU then counts as the proxy core's own")
    ap.add_argument("--kamailio-define", action="append", default=[], metavar="NAME=VALUE",
                    help="pass -A NAME=VALUE to Kamailio (repeatable), e.g. PG_URL=... for the softswitch cfg")
    ap.add_argument("--dialed", default="service",
                    help="the Request-URI user the UAC calls (SIPp -s); the anchor's softswitch cfg "
                    "translates 00493012345678")
    ap.add_argument("--softphone", action="store_true",
                    help="softswitch mode only: run every step also as a softphone user's call "
                    "(bench/scenarios/uac-auth.xml, digest via -au/-ap), alternating with the carrier's")
    ap.add_argument("--softphone-user", default="1001", help="SIP username (the demo's 1001)")
    ap.add_argument("--softphone-password", default="demo1001")
    ap.add_argument("--softphone-domain", default="demo.didtron.test",
                    help="registrar domain (the switch is started with it, MD5 challenged first)")
    ap.add_argument("--softphone-ip", default="127.0.0.2",
                    help="the phone's source address: not the demo customer's trunk (127.0.0.1)")
    ap.add_argument("--softphone-dialed", help="the number the user calls (default: --dialed)")
    ap.add_argument("--softphone-sql", default=str(BENCH / "softphone-data.sql"),
                    help="SQL applied (psql) before the run: funds the user's wallet; '' = none")
    ap.add_argument("--out", help="output dir (default bench/results/<timestamp>-<proxy>)")
    a = ap.parse_args(argv)
    if a.proxy == "didtron" and not a.bin:
        ap.error("--proxy didtron needs --bin PATH")
    if a.bin and not os.access(a.bin, os.X_OK):
        ap.error(f"--bin {a.bin} is not executable")
    if a.pg_cpu is not None and not a.pg_data:
        ap.error("--pg-cpu needs --pg-data")
    if a.softphone and not (a.proxy == "didtron" and a.database_url):
        ap.error("--softphone needs --proxy didtron and --database-url (softswitch mode)")
    rates = [int(x) for x in a.rates.split(",") if x.strip()]
    if not rates or a.step_seconds < 1 or not (1 <= a.sweeps <= 20) or len(rates) > 50:
        ap.error("need 1..50 rates, step-seconds >= 1, 1..20 sweeps")
    if a.proxy_cpu == a.gen_cpu or max(a.proxy_cpu, a.gen_cpu) >= (os.cpu_count() or 1):
        ap.error("--proxy-cpu and --gen-cpu must be two different existing cores")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Config(
        proxy=a.proxy, binary=os.path.abspath(a.bin) if a.bin else None,
        kamailio_cfg=Path(a.kamailio_cfg).resolve(), rates=rates, step_s=a.step_seconds,
        sweeps=a.sweeps, settle_s=a.settle_seconds, proxy_cpu=a.proxy_cpu, gen_cpu=a.gen_cpu,
        buff=a.buff_size, fine_clock=not a.no_fine_clock,
        baseline_rates=[int(x) for x in a.baseline_rates.split(",") if x.strip()],
        stop_after_fails=a.stop_after_fails, quiet_wait_s=a.quiet_wait, quiet_pct=a.quiet_pct,
        max_attempts=max(1, a.max_attempts), log_level=a.log_level, invite_timeout=a.invite_timeout,
        kam_workers=a.kamailio_workers, kam_maxbuf=a.kamailio_maxbuf,
        database_url=a.database_url, pg_data=Path(a.pg_data).resolve() if a.pg_data else None,
        pg_cpu=a.pg_cpu, kam_defines=a.kamailio_define, dialed=a.dialed,
        softphone=a.softphone, sp_user=a.softphone_user, sp_password=a.softphone_password,
        sp_domain=a.softphone_domain, sp_ip=a.softphone_ip, sp_dialed=a.softphone_dialed,
        sp_sql=Path(a.softphone_sql).resolve() if a.softphone and a.softphone_sql else None,
        out=Path(a.out).resolve() if a.out else BENCH / "results" / f"{stamp}-{a.proxy}")


def main(argv: list[str]) -> int:
    cfg = parse_args(argv)
    bench = Bench(cfg)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    rc = 0
    try:
        bench.run()
        print((cfg.out / "summary.md").read_text())
        log(f"results in {cfg.out}")
    except KeyboardInterrupt:
        log("interrupted: stopping everything started")
        rc = 130
    except Abort as e:
        log(f"ABORT: {e}")
        rc = 1
    finally:
        bench.reg.stop_all()
        bench.unpin_db()
        shutil.rmtree(bench.rundir, ignore_errors=True)
        if cfg.out.exists():
            (cfg.out / "env.txt").write_text("\n".join(bench.env_lines) + "\n")
            (cfg.out / "command.json").write_text(json.dumps({"argv": sys.argv}, indent=1) + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
