"""Process and protocol helpers for the live tests (stdlib only).

Everything here runs on 127.0.0.1. Every process is started by this module,
recorded with its PID and stopped by that PID (plus the PIDs of its own
children) when the test ends. Nothing waits by sleeping: readiness is a
systemd-notify datagram (our daemon), a SIP response (Kamailio) or a listening
socket in /proc/net (SIPp), each with a deadline.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHARED = REPO.parent / "shared"
SCENARIOS = HERE / "scenarios"
TORTURE_DIR = SHARED / "conformance" / "rfc4475"
DEFAULT_KAMAILIO_CFG = SHARED / "anchors" / "kamailio" / "kamailio-minimal.cfg"

LOOPBACK = "127.0.0.1"
READY_TIMEOUT = float(os.environ.get("LIVE_READY_TIMEOUT", "30"))
SIPP_GLOBAL_TIMEOUT = "60s"


class LiveError(AssertionError):
    """A live-test precondition failed (process died, never became ready...)."""


# ---------------------------------------------------------------- ports

_handed_out: set[int] = set()


def _outside_ephemeral_range() -> tuple[int, int]:
    """Ports the kernel never picks for an outgoing connection or a bind to 0.

    A port from the ephemeral range can be taken between our check and the
    daemon's bind by any connect() on the machine (the daemon's own PostgreSQL
    connections included): CI once saw `Address already in use` that way.
    """
    lo, hi = 32768, 60999
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        pass
    if lo - 1 >= 12000:
        return 10000, lo - 1
    return hi + 1, 65535


def free_port() -> int:
    """A port that is free for both UDP and TCP on 127.0.0.1 right now.

    It is chosen outside the kernel's ephemeral range, so no outgoing
    connection can take it before it is used; ports handed out in this session
    are never handed out twice.
    """
    first, last = _outside_ephemeral_range()
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(200):
        port = rng.randint(first, last)
        if port in _handed_out:
            continue
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            try:
                u.bind((LOOPBACK, port))
                t.bind((LOOPBACK, port))
            except OSError:
                continue
            _handed_out.add(port)
            return port
        finally:
            u.close()
            t.close()
    raise LiveError("no free loopback port found in 200 attempts")


# ---------------------------------------------------------------- /proc

def _proc_stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # "pid (comm) state ppid ..." -- comm may contain spaces and parentheses
    return raw[raw.rfind(")") + 2:].split()


def descendants(root: int) -> list[int]:
    """PIDs of all live descendants of `root` (not root itself)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        f = _proc_stat_fields(int(name))
        if f is None:
            continue
        children.setdefault(int(f[1]), []).append(int(name))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _listening(port: int, tcp: bool) -> bool:
    """True if some socket is bound to 127.0.0.1:port (TCP: in LISTEN state)."""
    want = "0100007F:%04X" % port
    files = ["/proc/net/tcp"] if tcp else ["/proc/net/udp"]
    for path in files:
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    p = line.split()
                    if p[1] == want and (not tcp or p[3] == "0A"):
                        return True
        except OSError:
            pass
    return False


# ---------------------------------------------------------------- processes

@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    kill_tree: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, max_bytes: int = 20000) -> str:
        try:
            data = self.log.read_bytes()
        except OSError as e:
            return f"<no log: {e}>"
        if len(data) > max_bytes:
            data = b"[... head cut ...]\n" + data[-max_bytes:]
        return data.decode("utf-8", "replace")


class Registry:
    """Every process a test started; stop_all() ends them by PID."""

    def __init__(self) -> None:
        self.procs: list[Proc] = []
        self.scratch: list[Path] = []  # short-path runtime dirs, removed at the end

    def spawn(self, name: str, argv: list[str], log: Path, cwd: Path | None = None,
              env: dict | None = None, kill_tree: bool = False) -> Proc:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as out:
            popen = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT)
        p = Proc(name, popen, log, kill_tree)
        self.procs.append(p)
        return p

    def stop(self, p: Proc, grace: float = 10.0) -> int | None:
        """SIGTERM, wait up to `grace` s, then SIGKILL; returns the exit status."""
        if p.alive():
            tree = descendants(p.pid) if p.kill_tree else []
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.popen.wait(timeout=10)
            # children that outlived their parent (e.g. Kamailio workers)
            for c in tree:
                try:
                    os.kill(c, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        return p.popen.returncode

    def stop_all(self) -> None:
        # SIPp first, the proxy last, so the proxy log covers everything
        for p in sorted(self.procs, key=lambda p: p.name == "proxy"):
            self.stop(p, grace=10.0 if p.name == "proxy" else 3.0)
        for d in self.scratch:
            shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- proxy

@dataclass
class Proxy:
    kind: str
    proc: Proc
    port: int
    workdir: Path
    argv: list[str]

    @property
    def addr(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def alive(self) -> bool:
        return self.proc.alive()


def _fail_start(p: Proc, why: str) -> LiveError:
    return LiveError(f"{p.name} ({' '.join(p.popen.args)}) {why}\n--- log ---\n{p.log_tail()}")


def wait_notify_ready(p: Proc, sock: socket.socket, timeout: float) -> None:
    """Block in recv on the NOTIFY_SOCKET until READY=1 (or death / deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _fail_start(p, f"sent no READY=1 to NOTIFY_SOCKET within {timeout:.0f} s")
        # short recv slices only so that a crash is reported at once
        sock.settimeout(min(left, 0.25))
        try:
            data = sock.recv(4096)
        except socket.timeout:
            if not p.alive():
                raise _fail_start(p, f"exited with status {p.popen.returncode} before READY=1")
            continue
        if b"READY=1" in data.split(b"\n"):
            return


def spawn_notify_ready(reg: Registry, name: str, argv: list[str], log: Path, cwd: Path,
                       rt: Path, env: dict | None = None,
                       timeout: float = READY_TIMEOUT) -> Proc:
    """Start our daemon with NOTIFY_SOCKET=<rt>/notify and return once it sent
    READY=1 (LiveError with its log if it exits first or the deadline passes).
    `rt` must be a short path: unix socket paths are limited to 108 bytes."""
    nsock_path = str(rt / "notify")
    try:
        os.unlink(nsock_path)  # left over from an earlier start in the same dir
    except FileNotFoundError:
        pass
    nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    nsock.bind(nsock_path)
    env = dict(env if env is not None else os.environ, NOTIFY_SOCKET=nsock_path)
    try:
        p = reg.spawn(name, argv, log, cwd=cwd, env=env)
        wait_notify_ready(p, nsock, timeout)
    finally:
        nsock.close()
    return p


def sip_options(port: int, branch: str, local_port: int, max_forwards: int = 70) -> bytes:
    return (
        f"OPTIONS sip:ping@{LOOPBACK}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {LOOPBACK}:{local_port};branch={branch};rport\r\n"
        f"Max-Forwards: {max_forwards}\r\n"
        f"From: <sip:probe@{LOOPBACK}>;tag={branch[-8:]}\r\n"
        f"To: <sip:ping@{LOOPBACK}:{port}>\r\n"
        f"Call-ID: {branch}@live\r\n"
        f"CSeq: 1 OPTIONS\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


def wait_sip_ready(p: Proc, port: int, timeout: float) -> None:
    """Bounded OPTIONS probing until the proxy answers anything on UDP (each
    probe waits at most 0.2 s for its response), then one TCP connect."""
    deadline = time.monotonic() + timeout
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOOPBACK, 0))
    try:
        while True:
            if not p.alive():
                raise _fail_start(p, f"exited with status {p.popen.returncode} during startup")
            if time.monotonic() > deadline:
                raise _fail_start(p, f"did not answer OPTIONS on udp port {port} within {timeout:.0f} s")
            branch = "z9hG4bK-ready-" + uuid.uuid4().hex[:12]
            s.sendto(sip_options(port, branch, s.getsockname()[1]), (LOOPBACK, port))
            s.settimeout(0.2)
            try:
                data = s.recv(65535)
            except (socket.timeout, ConnectionRefusedError):
                continue
            if data.startswith(b"SIP/2.0 ") and branch.encode() in data:
                break
    finally:
        s.close()
    # Kamailio creates every listening socket in its main process before it forks
    # the UDP workers, so once UDP answers, the TCP listener must accept.
    try:
        socket.create_connection((LOOPBACK, port), timeout=2).close()
    except OSError as e:
        raise _fail_start(p, f"answers on UDP but TCP port {port} refuses: {e}")


def kamailio_cfg_for(port: int, src: Path, dst: Path) -> Path:
    """The stand-in's cfg with its listen= lines moved to `port` (written to dst)."""
    text = src.read_text()
    text, n = re.subn(r"(?m)^listen\s*=\s*(udp|tcp):127\.0\.0\.1:\d+",
                      lambda m: f"listen={m.group(1)}:{LOOPBACK}:{port}", text)
    if n == 0:
        raise LiveError(f"{src}: no 'listen=udp|tcp:127.0.0.1:PORT' line to retarget")
    dst.write_text(text)
    return dst


def start_proxy(reg: Registry, kind: str, workdir: Path, next_hop_port: int,
                next_hop_transport: str = "udp", invite_timeout: int = 32,
                port: int | None = None, env: dict | None = None) -> Proxy:
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "proxy.log"
    # unix socket paths are limited to 108 bytes: keep runtime files under a short /tmp dir
    rt = Path(tempfile.mkdtemp(prefix="dtlive-", dir="/tmp"))
    reg.scratch.append(rt)
    if kind == "didtron":
        binary = os.environ["DIDTRON_BIN"]
        hop = f"{LOOPBACK}:{next_hop_port}" + (";transport=tcp" if next_hop_transport == "tcp" else "")
        argv = [binary, "run",
                "--listen", f"udp:{LOOPBACK}:{port}",
                "--listen", f"tcp:{LOOPBACK}:{port}",
                "--next-hop", hop,
                "--invite-timeout", str(invite_timeout),
                "--log-level", "info"]
        p = spawn_notify_ready(reg, "proxy", argv, log, workdir, rt, env=env)
    elif kind == "kamailio":
        src = Path(os.environ.get("KAMAILIO_CFG", DEFAULT_KAMAILIO_CFG))
        cfg = kamailio_cfg_for(port, src, workdir / "kamailio.cfg")
        uas_uri = f"sip:{LOOPBACK}:{next_hop_port}" + (";transport=tcp" if next_hop_transport == "tcp" else "")
        argv = ["kamailio", "-DD", "-E", "-f", str(cfg), "-P", str(rt / "kamailio.pid"),
                "-Y", str(rt), "-m", "256", "-M", "16",
                "-A", f'UAS_URI="{uas_uri}"', "-A", f'CTL_SOCK="unix:{rt}/ctl"']
        p = reg.spawn("proxy", argv, log, cwd=workdir, kill_tree=True)
        wait_sip_ready(p, port, READY_TIMEOUT)
    else:
        raise LiveError(f"unknown proxy kind {kind!r}")
    return Proxy(kind, p, port, workdir, argv)


# ---------------------------------------------------------------- SIPp

@dataclass
class SippRun:
    proc: Proc
    workdir: Path
    role: str
    stat_file: Path
    error_file: Path
    screen_file: Path
    message_file: Path | None = None
    port: int = 0  # SIPp's local port (-p)
    started: float = field(default_factory=time.monotonic)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LiveError(f"SIPp {self.role} still running after {timeout:.0f} s")

    def stats(self) -> dict[str, str]:
        return parse_stat_csv(self.stat_file)

    def messages(self) -> list["TracedMessage"]:
        """Every message in SIPp's -trace_msg log so far (SIPp writes each one
        as it is sent or received, so this is current while SIPp runs)."""
        if self.message_file is None:
            return []
        return parse_message_log(self.message_file)

    def summary(self) -> str:
        return (f"SIPp {self.role}: rc={self.proc.popen.returncode}\n"
                f"--- stdout/stderr ---\n{self.proc.log_tail(4000)}\n"
                f"--- errors ---\n{_tail(self.error_file, 6000)}\n"
                f"--- screen ---\n{_tail(self.screen_file, 6000)}")


def _tail(path: Path, max_bytes: int) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return "<none>"
    if len(data) > max_bytes:
        data = b"[...]\n" + data[-max_bytes:]
    return data.decode("utf-8", "replace")


def parse_stat_csv(path: Path) -> dict[str, str]:
    """The last row of a SIPp -trace_stat file as {column: value}."""
    rows = [l for l in path.read_text(errors="replace").splitlines() if l.strip()]
    if len(rows) < 2:
        raise LiveError(f"{path}: no statistics row")
    hdr = rows[0].rstrip(";").split(";")
    last = rows[-1].rstrip(";").split(";")
    return dict(zip(hdr, last))


def start_sipp(reg: Registry, workdir: Path, role: str, scenario: str, local_port: int,
               transport: str = "u1", remote: str | None = None, calls: int | None = None,
               extra: list[str] | None = None, wait_bound: bool = False,
               global_timeout: str = SIPP_GLOBAL_TIMEOUT,
               local_ip: str = LOOPBACK) -> SippRun:
    """Start SIPp in the foreground (as a child). `scenario` is a file under
    scenarios/ or 'builtin:uac' / 'builtin:uas'. With wait_bound, return only
    once its socket is bound (a server role; only for local_ip 127.0.0.1).
    `local_ip` is the address SIPp binds and sends from (any 127.0.0.0/8
    address is on loopback), which is how the softswitch tests pick the
    source address a call comes from."""
    d = workdir / role
    d.mkdir(parents=True, exist_ok=True)
    stat, err, screen, msgs = d / "stat.csv", d / "errors.log", d / "screen.log", d / "messages.log"
    argv = ["sipp"]
    if remote:
        argv.append(remote)
    if scenario.startswith("builtin:"):
        argv += ["-sn", scenario.split(":", 1)[1]]
    else:
        argv += ["-sf", str(SCENARIOS / scenario)]
    argv += ["-i", local_ip, "-p", str(local_port), "-t", transport,
             "-nostdin", "-timeout", global_timeout, "-timeout_error",
             "-trace_err", "-error_file", str(err),
             "-trace_stat", "-stf", str(stat), "-fd", "1",
             "-trace_screen", "-screen_file", str(screen),
             "-trace_msg", "-message_file", str(msgs)]
    if calls is not None:
        argv += ["-m", str(calls)]
    argv += extra or []
    p = reg.spawn(f"sipp-{role}", argv, d / "sipp.out", cwd=d)
    run = SippRun(p, d, role, stat, err, screen, msgs, local_port)
    if wait_bound:
        deadline = time.monotonic() + 10
        while not _listening(local_port, tcp=transport.startswith("t")):
            if time.monotonic() > deadline:
                raise LiveError(f"SIPp {role} did not bind port {local_port} in 10 s\n{run.summary()}")
            try:
                # blocks until SIPp exits (a startup error) or 20 ms pass
                rc = p.popen.wait(timeout=0.02)
                raise LiveError(f"SIPp {role} exited with {rc} during startup\n{run.summary()}")
            except subprocess.TimeoutExpired:
                pass
    return run


# ---------------------------------------------------------------- raw SIP

_STATUS = re.compile(rb"^SIP/2\.0 (\d{3})")
_BRANCH = re.compile(rb";\s*branch\s*=\s*([^;,\s]+)", re.I)
_CSEQ = re.compile(rb"(?mi)^cseq\s*:\s*(\d+)")
_TOPVIA = re.compile(rb"(?mi)^(via|v)(\s*:\s*SIP\s*/\s*[\d.]+\s*/\s*\S+\s+)([^;,\s]+)")


def top_via_branch(msg: bytes) -> bytes | None:
    m = _TOPVIA.search(msg)
    if not m:
        return None
    line_end = msg.find(b"\r\n", m.start())
    b = _BRANCH.search(msg[m.start():line_end if line_end > 0 else None])
    return b.group(1) if b else None


def cseq_number(msg: bytes) -> bytes | None:
    m = _CSEQ.search(msg.split(b"\r\n\r\n", 1)[0])
    return m.group(1) if m else None


def retarget_top_via(msg: bytes, port: int) -> bytes:
    """Replace the sent-by of the first Via with 127.0.0.1:port (nothing else)."""
    return _TOPVIA.sub(lambda m: m.group(1) + m.group(2) + f"{LOOPBACK}:{port}".encode(), msg, count=1)


def status_code(msg: bytes) -> int | None:
    m = _STATUS.match(msg)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------- SIPp message log

@dataclass
class TracedMessage:
    """One message of a SIPp -trace_msg log."""
    direction: str  # "sent" | "received"
    text: str       # start line, headers and body

    @property
    def start_line(self) -> str:
        return self.text.split("\n", 1)[0].strip()

    def header(self, name: str) -> str | None:
        head = self.text.split("\n\n", 1)[0]
        m = re.search(rf"(?mi)^{re.escape(name)}\s*:\s*(.*?)\s*$", head)
        return m.group(1) if m else None

    @property
    def status(self) -> int | None:
        m = re.match(r"SIP/2\.0 (\d{3})", self.start_line)
        return int(m.group(1)) if m else None

    @property
    def method(self) -> str | None:
        m = re.match(r"([A-Z]+) \S+ SIP/2\.0$", self.start_line)
        return m.group(1) if m else None

    @property
    def request_user(self) -> str | None:
        """The user part of the Request-URI (None for responses and for URIs without one)."""
        m = re.match(r"[A-Z]+ sips?:([^@;>\s]+)@\S+ SIP/2\.0$", self.start_line)
        return m.group(1) if m else None

    @property
    def call_id(self) -> str | None:
        return self.header("Call-ID") or self.header("i")

    @property
    def cseq_method(self) -> str | None:
        v = self.header("CSeq")
        return v.split()[-1].upper() if v else None


_MSG_SEPARATOR = re.compile(r"(?m)^-{20,} \S+ \S+\s*\n(?:UDP|TCP|TLS|SCTP)? ?message (sent|received)[^\n]*\n\n")


def parse_message_log(path: Path) -> list[TracedMessage]:
    try:
        raw = path.read_text(errors="replace")
    except OSError:
        return []
    raw = raw.replace("\r\n", "\n")
    parts = _MSG_SEPARATOR.split(raw)
    # parts: [preamble, dir1, text1, dir2, text2, ...]
    return [TracedMessage(parts[i], parts[i + 1].strip("\n") + "\n")
            for i in range(1, len(parts) - 1, 2)]
