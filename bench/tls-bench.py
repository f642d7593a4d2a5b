#!/usr/bin/env python3
"""TLS calls per second and proxy CPU per call (issue 20): didtron-switch and
Kamailio's tls module side by side, in the same run.

    TLS UAC (this script) --TLS--> proxy --UDP--> SIPp UAS (bench/scenarios/uas.xml)

The UAC is Python (stdlib ssl + asyncio, several processes): each call is
INVITE -> 100/180/200 -> ACK, BYE -> 200 along the 200's Record-Route, zero
hold. Two modes per rate step:

  new     a new TCP+TLS connection per call (full handshake, no resumption:
          asyncio's ssl has no session reuse), closed (close_notify) after the BYE
  reused  --connections TLS connections opened before the step, every call of
          the step multiplexed over them (demultiplexed by Call-ID)

TLS 1.3 only (the client pins the version); both proxies serve the same
ECDSA P-256 certificate made here with the openssl CLI; the negotiated suite
is recorded. Both proxies run at once, pinned to --proxy-cpu; the UAC and
SIPp are pinned to --gen-cpu. Each step (rate, mode) runs on the switch and
then on Kamailio, which goes first alternating, so load from elsewhere falls
on both. Per step: calls attempted/completed, p50/p99 setup time (call start,
i.e. the TCP connect in `new` mode, to the 200), the proxy's CPU seconds per
1000 completed calls from /proc/PID/stat (Kamailio: all its processes; the
UAC's and SIPp's CPU are not counted), the 1-minute load average and the CPU
other processes took on the proxy core.

    bench/tls-bench.py --bin .build/release/didtron-switch              # 100,200,400 cps, 10 s steps
    bench/tls-bench.py --bin ... --rates 50 --step-seconds 3 --modes new # a quick check

Every process started is stopped by PID; every wait has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import multiprocessing as mp
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("run_bench", BENCH / "run-bench.py")
rb = importlib.util.module_from_spec(_spec)
sys.modules["run_bench"] = rb
_spec.loader.exec_module(rb)

LOOP = "127.0.0.1"
HZ = os.sysconf("SC_CLK_TCK")
SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
CALL_TIMEOUT = 10.0


# ------------------------------------------------------------------ the TLS UAC

def client_context(ca: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def header(text: str, name: str) -> str:
    m = re.search(rf"(?im)^{name}\s*:\s*(.+?)\r$", text)
    return m.group(1) if m else ""


class Conn:
    """One TLS connection; a reader task hands each message to its call by Call-ID."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.local = writer.get_extra_info("sockname")
        self.cipher = (writer.get_extra_info("ssl_object").version(), writer.get_extra_info("cipher")[0])
        self.calls: dict[str, asyncio.Queue] = {}
        self.task = asyncio.ensure_future(self.read_loop())

    @classmethod
    async def open(cls, port: int, ctx: ssl.SSLContext) -> "Conn":
        r, w = await asyncio.open_connection(LOOP, port, ssl=ctx, server_hostname=LOOP)
        return cls(r, w)

    async def read_loop(self) -> None:
        try:
            while True:
                head = await self.reader.readuntil(b"\r\n\r\n")
                m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
                body = await self.reader.readexactly(int(m.group(1))) if m and int(m.group(1)) else b""
                text = (head + body).decode(errors="replace")
                q = self.calls.get(header(text, "(?:call-id|i)"))
                if q is not None:
                    q.put_nowait(text)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, asyncio.LimitOverrunError):
            for q in self.calls.values():
                q.put_nowait(None)

    async def close(self) -> None:
        self.task.cancel()
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
            pass


def invite(port: int, local, call_id: str) -> bytes:
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    return (f"INVITE sip:1234@{LOOP}:{port};transport=tls SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS {local[0]}:{local[1]};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:bench@{LOOP}>;tag=uac1\r\n"
            f"To: <sip:1234@{LOOP}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:bench@{local[0]}:{local[1]};transport=tls>\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(SDP)}\r\n\r\n{SDP}").encode()


def in_dialog(method: str, cseq: int, ok: str, local, call_id: str) -> bytes:
    """ACK or BYE along the route set of the 200 (its Record-Route reversed)."""
    routes = re.findall(r"(?im)^record-route\s*:\s*(.+?)\r$", ok)
    route_set = [r.strip() for line in routes for r in line.split(",")][::-1]
    contact = re.search(r"(?im)^(?:contact|m)\s*:\s*<([^>]+)>", ok).group(1)
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    lines = [f"{method} {contact} SIP/2.0",
             f"Via: SIP/2.0/TLS {local[0]}:{local[1]};branch={branch};rport",
             "Max-Forwards: 70", f"From: <sip:bench@{LOOP}>;tag=uac1", f"To: {header(ok, '(?:to|t)')}",
             f"Call-ID: {call_id}", f"CSeq: {cseq} {method}"]
    lines += [f"Route: {r}" for r in route_set]
    return ("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode()


async def final(q: asyncio.Queue, method: str) -> tuple[int, str]:
    """The first final response to `method` on this call's queue: (status, message); 0 if the connection closed."""
    while True:
        text = await q.get()
        if text is None:
            return 0, ""
        m = re.match(r"SIP/2\.0 (\d{3})", text)
        if m and int(m.group(1)) >= 200 and re.search(rf"(?im)^cseq\s*:\s*\d+\s+{method}\r$", text):
            return int(m.group(1)), text


async def one_call(port: int, ctx: ssl.SSLContext, shared: Conn | None) -> float | None:
    """Setup time in seconds (start to 200), or None if the call failed."""
    t0 = time.monotonic()
    conn = shared or await Conn.open(port, ctx)
    call_id = uuid.uuid4().hex + "@tlsbench"
    q: asyncio.Queue = asyncio.Queue()
    conn.calls[call_id] = q
    try:
        conn.writer.write(invite(port, conn.local, call_id))
        code, ok = await final(q, "INVITE")
        if code != 200:
            return None
        setup = time.monotonic() - t0
        conn.writer.write(in_dialog("ACK", 1, ok, conn.local, call_id) + in_dialog("BYE", 2, ok, conn.local, call_id))
        return setup if (await final(q, "BYE"))[0] == 200 else None
    finally:
        conn.calls.pop(call_id, None)
        if shared is None:
            await conn.close()


async def worker_main(port, ca, rate, calls, k, nproc, conns, start_at) -> dict:
    ctx = client_context(ca)
    shared = [await Conn.open(port, ctx) for _ in range(conns)]
    cipher = shared[0].cipher if shared else None
    setups, lateness, failed = [], [], 0

    async def run(i: int) -> None:
        nonlocal failed, cipher
        try:
            s = await asyncio.wait_for(one_call(port, ctx, shared[i % len(shared)] if shared else None), CALL_TIMEOUT)
        except (OSError, ssl.SSLError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            s = None
        if s is None:
            failed += 1
        else:
            setups.append(s)

    tasks = []
    for i in range(k, calls, nproc):
        due = start_at + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lateness.append(max(0.0, time.monotonic() - due))
        tasks.append(asyncio.ensure_future(run(i)))
    last_dispatch = time.monotonic()
    await asyncio.gather(*tasks)
    if cipher is None:  # new mode: one more connection, only to read the suite
        try:
            c = await Conn.open(port, ctx)
            cipher = c.cipher
            await c.close()
        except (OSError, ssl.SSLError):
            pass
    for c in shared:
        await c.close()
    return {"setups": setups, "failed": failed, "lateness": lateness, "cipher": cipher,
            "last_dispatch": last_dispatch}


def worker(args, out) -> None:
    try:
        out.put(asyncio.run(worker_main(*args)))
    except Exception as e:  # reported, counted as a failed step
        out.put({"error": repr(e)})


# ------------------------------------------------------------------ the driver

def core_busy_ticks(cpu: int) -> int:
    with open("/proc/stat") as f:
        for line in f:
            p = line.split()
            if p[0] == f"cpu{cpu}":
                return sum(int(x) for x in p[1:4]) + sum(int(x) for x in p[6:9])
    return 0


def tcp_ext(*names: str) -> list[int]:
    """Kernel-wide TcpExt counters (/proc/net/netstat), e.g. ListenOverflows."""
    with open("/proc/net/netstat") as f:
        lines = [l.split() for l in f if l.startswith("TcpExt:")]
    row = dict(zip(lines[0][1:], lines[1][1:]))
    return [int(row.get(n, 0)) for n in names]


def make_certs(d: Path) -> None:
    def ossl(*a):
        subprocess.run(["openssl", *a], cwd=d, check=True, capture_output=True, timeout=30)
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "ca.key", "-out", "ca.pem", "-days", "365", "-subj", "/CN=tls-bench CA")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "proxy.key", "-out", "proxy.csr", "-subj", "/CN=tls-bench")
    ossl("x509", "-req", "-in", "proxy.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "proxy.pem", "-days", "365", "-extfile", "ext.cnf")


def wait_tls_ready(child, port: int, ca: str, timeout: float = 30.0) -> None:
    """Until an OPTIONS over TLS gets any response."""
    deadline = time.monotonic() + timeout
    ctx = client_context(ca)
    while True:
        if not child.alive() or time.monotonic() > deadline:
            raise rb.Abort(f"{child.name} not answering over TLS; see {child.log}")
        try:
            with ctx.wrap_socket(socket.create_connection((LOOP, port), timeout=1), server_hostname=LOOP) as s:
                local = s.getsockname()
                s.sendall((f"OPTIONS sip:{LOOP}:{port};transport=tls SIP/2.0\r\n"
                           f"Via: SIP/2.0/TLS {local[0]}:{local[1]};branch=z9hG4bK-ready{time.monotonic_ns()};rport\r\n"
                           f"Max-Forwards: 70\r\nFrom: <sip:probe@{LOOP}>;tag=p\r\nTo: <sip:{LOOP}>\r\n"
                           f"Call-ID: ready-{time.monotonic_ns()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode())
                if s.recv(65535).startswith(b"SIP/2.0 "):
                    return
        except OSError:
            pass
        time.sleep(0.2)


def pct(vals: list[float], q: float) -> float:
    return rb.pct(sorted(vals), q / 100) if vals else float("nan")


def run_step(cfg, name: str, child, pids_of, port: int, ca: str, rate: int, mode: str) -> dict | None:
    """One step on one proxy; None if that proxy is no longer running."""
    calls = rate * cfg.step_seconds
    if not child.alive():
        return None
    nproc = cfg.processes
    conns = max(1, cfg.connections // nproc) if mode == "reused" else 0
    out: mp.Queue = mp.Queue()
    start_at = time.monotonic() + 1.0 + 0.05 * conns * nproc
    procs = [mp.Process(target=worker, args=((port, ca, rate, calls, k, nproc, conns, start_at), out))
             for k in range(nproc)]
    for p in procs:
        p.start()
        os.sched_setaffinity(p.pid, {cfg.gen_cpu})
    while time.monotonic() < start_at - 0.2:
        time.sleep(0.05)
    pids = pids_of()
    t0, c0, busy0 = time.monotonic(), rb.cpu_ticks(pids), core_busy_ticks(cfg.proxy_cpu)
    net0 = tcp_ext("ListenOverflows", "TCPSynRetrans")
    results = [out.get(timeout=cfg.step_seconds + CALL_TIMEOUT + 60) for _ in procs]
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
    time.sleep(0.3)  # the proxy's last writes and closes
    pids = pids_of()
    proxy_ticks = rb.cpu_ticks(pids) - c0
    overflows, syn_retrans = (b - a for a, b in zip(net0, tcp_ext("ListenOverflows", "TCPSynRetrans")))
    other = core_busy_ticks(cfg.proxy_cpu) - busy0 - proxy_ticks
    wall = time.monotonic() - t0
    errors = [r["error"] for r in results if "error" in r]
    if not child.alive():
        errors.append(f"{name} exited during the step (status {child.popen.poll()}): see its log")
        proxy_ticks = float("nan")
    setups = [s for r in results if "setups" in r for s in r["setups"]]
    late = [x for r in results if "lateness" in r for x in r["lateness"]]
    cipher = next((r["cipher"] for r in results if r.get("cipher")), None)
    done = len(setups)
    span = max((r["last_dispatch"] for r in results if "last_dispatch" in r), default=start_at) - start_at
    offered = (calls - 1) / span if span > 0 else float("nan")
    row = {"proxy": name, "mode": mode, "rate": rate, "offered_cps": offered, "calls": calls, "completed": done,
           "failed": calls - done, "cpu_s": proxy_ticks / HZ,
           "cpu_s_per_1000": (proxy_ticks / HZ) / done * 1000 if done else float("nan"),
           "proxy_core_pct": 100 * proxy_ticks / HZ / wall,
           "others_on_proxy_core_pct": 100 * max(0, other) / HZ / wall,
           "p50_ms": 1000 * pct(setups, 50), "p99_ms": 1000 * pct(setups, 99),
           "uac_late_p99_ms": 1000 * pct(late, 99), "listen_overflows": overflows,
           "syn_retrans": syn_retrans, "threads": sum(len(os.listdir(f"/proc/{p}/task")) for p in pids
                                                      if os.path.isdir(f"/proc/{p}/task")), "load1": os.getloadavg()[0],
           "tls": "/".join(cipher) if cipher else "", "errors": "; ".join(errors)}
    rb.log(f"{name:8} {mode:6} {rate:4} cps: {done}/{calls} ok, {row['cpu_s_per_1000']:.2f} CPU-s/1000, "
           f"p50 {row['p50_ms']:.1f} ms p99 {row['p99_ms']:.1f} ms, load {row['load1']:.2f} {row['errors']}")
    return row


def table(rows: list[dict]) -> str:
    cols = ["proxy", "mode", "rate", "offered_cps", "calls", "completed", "cpu_s_per_1000", "proxy_core_pct", "p50_ms",
            "p99_ms", "uac_late_p99_ms", "listen_overflows", "syn_retrans", "threads", "others_on_proxy_core_pct", "load1", "tls"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        if r["errors"]:
            r = dict(r, tls=(r["tls"] + " " + r["errors"]).strip())
        lines.append("| " + " | ".join(f"{r[c]:.2f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def ratios(rows: list[dict]) -> str:
    lines = ["| mode | rate | didtron CPU-s/1000 | kamailio CPU-s/1000 | didtron / kamailio |", "|---|---|---|---|---|"]
    for r in rows:
        if r["proxy"] != "didtron":
            continue
        k = next((x for x in rows if x["proxy"] == "kamailio" and x["mode"] == r["mode"] and x["rate"] == r["rate"]), None)
        if k and k["completed"] and r["completed"]:
            lines.append(f"| {r['mode']} | {r['rate']} | {r['cpu_s_per_1000']:.2f} | {k['cpu_s_per_1000']:.2f} | "
                         f"{r['cpu_s_per_1000'] / k['cpu_s_per_1000']:.2f} |")
    return "\n".join(lines)


def parse(argv):
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--bin", required=True, help="didtron-switch (a release build)")
    a.add_argument("--rates", default="100,200,400")
    a.add_argument("--modes", default="new,reused")
    a.add_argument("--proxies", default="didtron,kamailio")
    a.add_argument("--step-seconds", type=int, default=10)
    a.add_argument("--connections", type=int, default=4, help="reused mode: TLS connections in all")
    a.add_argument("--processes", type=int, default=2, help="UAC processes")
    a.add_argument("--kamailio-workers", type=int, default=4)
    a.add_argument("--proxy-cpu", type=int, default=1)
    a.add_argument("--gen-cpu", type=int, default=0)
    a.add_argument("--base-port", type=int, default=5170, help="didtron tls/udp +0/+1, kamailio +2/+3, UAS +4")
    a.add_argument("--out", default="")
    return a.parse_args(argv)


def main(argv) -> int:
    cfg = parse(argv)
    cfg.processes = max(1, min(cfg.processes, cfg.connections))
    cfg.bin = str(Path(cfg.bin).resolve())
    out = Path(cfg.out or BENCH / "results" / (time.strftime("%Y%m%d-%H%M%S") + "-tls")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    certs = out / "certs"
    certs.mkdir(exist_ok=True)
    make_certs(certs)
    ca = str(certs / "ca.pem")
    bp = cfg.base_port
    ports = {"didtron": bp, "kamailio": bp + 2}
    uas_port = bp + 4
    reg = rb.Registry()
    rows: list[dict] = []
    env_lines = [f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}", f"kernel: {os.uname().release}",
                 "cpu: " + next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
                 "kamailio: " + (subprocess.run(["kamailio", "-v"], capture_output=True, text=True).stdout.strip()
                                 .splitlines() or ["?"])[0] if "kamailio" in cfg.proxies else "kamailio: not run",
                 f"cpus: {os.cpu_count()}, load at start: {os.getloadavg()}", f"ssl: {ssl.OPENSSL_VERSION}"]
    try:
        pin = ["taskset", "-c", str(cfg.proxy_cpu)]
        uas = reg.spawn("uas", ["taskset", "-c", str(cfg.gen_cpu), "sipp", "-sf", str(BENCH / "scenarios" / "uas.xml"),
                                "-i", LOOP, "-p", str(uas_port), "-t", "u1", "-nostdin", "-l", "20000",
                                "-buff_size", "4194304", "-timeout", "900s"],
                        out / "uas.out", cwd=out)
        pids_of = {}
        procs = {}
        if "didtron" in cfg.proxies:
            argv_d = pin + [cfg.bin, "run", "--listen", f"tls:{LOOP}:{bp}", "--listen", f"udp:{LOOP}:{bp + 1}",
                            "--next-hop", f"{LOOP}:{uas_port}", "--invite-timeout", "32", "--log-level", "warning",
                            "--tls-certificate", str(certs / "proxy.pem"), "--tls-private-key", str(certs / "proxy.key")]
            env = dict(os.environ, DIDTRON_SIP_TCP_MAX_CONNECTIONS="16384",
                       DIDTRON_SIP_TCP_MAX_CONNECTIONS_PER_SOURCE="16384")
            procs["didtron"] = reg.spawn("proxy", argv_d, out / "didtron.log", cwd=out, env=env)
            env_lines.append("didtron: " + " ".join(argv_d))
        if "kamailio" in cfg.proxies:
            (out / "tls.cfg").write_text(f"[server:default]\nmethod = TLSv1.2+\ncertificate = {certs}/proxy.pem\n"
                                         f"private_key = {certs}/proxy.key\n")
            argv_k = pin + ["kamailio", "-DD", "-E", "-f", str(BENCH / "kamailio-tls.cfg"), "-P", str(out / "kamailio.pid"),
                            "-Y", str(out), "-m", "1024", "-M", "16",
                            "-A", f"TLS_PORT={bp + 2}", "-A", f"UDP_PORT={bp + 3}", "-A", f"NEXT_HOP_PORT=\"{uas_port}\"",
                            "-A", f"WORKERS={cfg.kamailio_workers}", "-A", f"TLS_CFG=\"{out / 'tls.cfg'}\""]
            procs["kamailio"] = reg.spawn("kamailio", argv_k, out / "kamailio.log", cwd=out, whole_tree=True)
            env_lines.append("kamailio: " + " ".join(argv_k))
        for name, child in procs.items():
            wait_tls_ready(child, ports[name], ca)
            pids_of[name] = (lambda c=child: rb.tree(c.pid)) if name == "kamailio" else (lambda c=child: [c.pid])
            env_lines.append(f"{name}: pid {child.pid}, {len(pids_of[name]())} processes")
        order = [p for p in ("didtron", "kamailio") if p in procs]
        n = 0
        for rate in [int(x) for x in cfg.rates.split(",") if x]:
            for mode in [m for m in cfg.modes.split(",") if m]:
                for name in (order if n % 2 == 0 else order[::-1]):
                    row = run_step(cfg, name, procs[name], pids_of[name], ports[name], ca, rate, mode)
                    if row is not None:
                        rows.append(row)
                n += 1
        env_lines.append(f"load at end: {os.getloadavg()}")
    finally:
        reg.stop_all()
    (out / "env.txt").write_text("\n".join(env_lines) + "\n")
    with open(out / "results.csv", "w") as f:
        if rows:
            f.write(",".join(rows[0]) + "\n")
            for r in rows:
                f.write(",".join(str(v) for v in r.values()) + "\n")
    summary = f"{chr(10).join(env_lines)}\n\n{table(rows)}\n\nSame-run ratio (CPU per call):\n\n{ratios(rows)}\n"
    (out / "summary.md").write_text(summary)
    print(summary)
    rb.log(f"results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
