"""Hostile peers at the transport (issue 15, defects 1 and 6), against the
running daemon in proxy mode:

- datagrams whose answer or forward goes to a destination that cannot be a
  peer (Via sent-by port 0 in its spellings, a Route to port 0, broadcast, a
  non-loopback address from the loopback listener) must not silence UDP: the
  sends are refused and counted, and calls still complete;
- a TCP message must be complete within sip.tcp_message_timeout_ms of its
  first byte (slowloris, a declared body never sent), and connections over
  the per-source cap are closed at once, while a normal TCP call completes.
"""

from __future__ import annotations

import os
import re
import socket
import time
import urllib.error
import urllib.request
import uuid

import pytest

import livelib as L
from conftest import ON_KAMAILIO

pytestmark = pytest.mark.skipif(ON_KAMAILIO, reason="our daemon's counters and keys")

_SAMPLE = re.compile(r'^([a-z_]+)(?:\{([^}]*)\})? (-?\d+)$')


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://{L.LOOPBACK}:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(port: int) -> dict[str, int]:
    status, body = get(port, "/metrics")
    assert status == 200, body
    values = {}
    for line in body.splitlines():
        m = _SAMPLE.match(line)
        if m:
            values[m.group(1) + (f"{{{m.group(2)}}}" if m.group(2) else "")] = int(m.group(3))
    return values


def start(live, uas_port: int, transport: str = "udp", **keys) -> tuple[L.Proxy, int]:
    metrics = live.port()
    env = dict(os.environ, DIDTRON_METRICS_LISTEN=f"{L.LOOPBACK}:{metrics}")
    env.update({f"DIDTRON_SIP_{k.upper()}": str(v) for k, v in keys.items()})
    return live.start_proxy(uas_port, next_hop_transport=transport, env=env), metrics


def request(method: str, proxy_port: int, sent_by: str, rport: bool = False,
            route: str | None = None) -> tuple[bytes, str]:
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    lines = [
        f"{method} sip:ping@{L.LOOPBACK}:{proxy_port} SIP/2.0",
        f"Via: SIP/2.0/UDP {sent_by};branch={branch}" + (";rport" if rport else ""),
        "Max-Forwards: 70",
        f"From: <sip:probe@{L.LOOPBACK}>;tag={branch[-8:]}",
        f"To: <sip:ping@{L.LOOPBACK}>" + (";tag=t1" if method == "BYE" else ""),
        f"Call-ID: {branch}@hostile",
        f"CSeq: 1 {method}",
    ]
    if route:
        lines.append(f"Route: {route}")
    return ("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode(), branch


def wait_until(what: str, check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# Answers (to the Via) or forwards (to the Route) that would go to a destination
# the kernel refuses: each one closed the UDP listener before the fix. (A Via
# host other than the source gets `received`, so hosts are tried as Routes.)
ZERO_PORT_VIAS = ["127.0.0.1:0", "127.0.0.1:+0", "127.0.0.1:-0", "127.0.0.1:00000", "127.0.0.1: 0"]
UNUSABLE_ROUTES = ["127.0.0.1:0", "255.255.255.255:5060", "192.0.2.1:5060", "0.0.0.0:5060",
                   "224.0.0.1:5060"]


def final_answer(tx: socket.socket, branch: str) -> int:
    while True:
        data = tx.recv(65535)
        code = L.status_code(data)
        if branch.encode() in data and code is not None and code >= 200:
            return code


def test_unusable_destinations_do_not_silence_udp(live):
    uas_port = live.port()
    live.uas("uas.xml", uas_port, calls=10)
    proxy, metrics = start(live, uas_port)

    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind((L.LOOPBACK, 0))
    tx.settimeout(3)
    try:
        for sent_by in ZERO_PORT_VIAS:
            tx.sendto(request("OPTIONS", proxy.port, sent_by)[0], (L.LOOPBACK, proxy.port))
        # Out-of-dialog BYEs routed to each unusable destination, answered through
        # rport: the caller gets a final answer at once (the send failure), no hang.
        for route in UNUSABLE_ROUTES:
            bye, branch = request("BYE", proxy.port, f"{L.LOOPBACK}:{tx.getsockname()[1]}", rport=True,
                                  route=f"<sip:{route};lr>")
            tx.sendto(bye, (L.LOOPBACK, proxy.port))
            code = final_answer(tx, branch)
            assert code >= 400, f"BYE routed to {route} answered {code}"
    finally:
        tx.close()

    # UDP still works: calls complete.
    uac = live.uac("uac.xml", calls=10, rate=20)
    rc = uac.wait(timeout=60)
    assert rc == 0, uac.summary()
    assert int(uac.stats()["SuccessfulCall(C)"]) == 10, uac.summary()
    assert proxy.alive()

    values = scrape(metrics)
    # every answer to port 0 and every routed BYE was refused before any socket
    assert values["didtron_transport_destinations_refused_total"] >= len(ZERO_PORT_VIAS) + len(UNUSABLE_ROUTES), values
    assert values["didtron_transport_listeners_closed_total"] == 0, values
    assert get(metrics, "/health") == (200, "ok\n")


def connect(port: int, source: str) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.connect((L.LOOPBACK, port))
    return s


def closed_by_peer(s: socket.socket, timeout: float) -> bool:
    """True once the peer closed (EOF or reset) within `timeout`."""
    s.settimeout(timeout)
    try:
        while True:
            if s.recv(4096) == b"":
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


PER_SOURCE = 6
HOSTILE = "127.0.0.3"


def test_tcp_deadline_and_per_source_cap(live):
    uas_port = live.port()
    live.uas("uas.xml", uas_port, "t1", calls=5)
    proxy, metrics = start(live, uas_port, "tcp", tcp_message_timeout_ms=1000,
                           tcp_max_connections_per_source=PER_SOURCE)
    held: list[socket.socket] = []
    try:
        # Slowloris: a header trickled a byte at a time, each well inside any idle timeout.
        slow = connect(proxy.port, HOSTILE)
        held.append(slow)
        header = b"OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.3:5060;branch=z9hG4bKs\r\n"
        closed = False
        for i in range(len(header)):
            try:
                slow.sendall(header[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if closed_by_peer(slow, 0.2):
                closed = True
                break
        assert closed, "a trickled header kept its connection open"

        # A declared body never sent.
        body = connect(proxy.port, HOSTILE)
        held.append(body)
        msg, _ = request("OPTIONS", proxy.port, "127.0.0.3:5060")
        body.sendall(msg.replace(b"Content-Length: 0", b"Content-Length: 65000") + b"v=0\r\n")
        assert closed_by_peer(body, 10), "a declared but unsent body kept its connection open"

        # Up to the per-source cap connections are kept; more are closed at once.
        for _ in range(PER_SOURCE):
            held.append(connect(proxy.port, HOSTILE))
        over = [connect(proxy.port, HOSTILE) for _ in range(3)]
        held += over
        for s in over:
            assert closed_by_peer(s, 5), "a connection over the per-source cap was kept"
        for s in held[2:2 + PER_SOURCE]:
            assert not closed_by_peer(s, 0.05), "a connection within the cap was closed"

        # Another source still places calls over TCP meanwhile.
        uac = live.uac("uac.xml", calls=5, rate=10, transport="t1")
        rc = uac.wait(timeout=60)
        assert rc == 0, uac.summary()
        assert int(uac.stats()["SuccessfulCall(C)"]) == 5, uac.summary()
    finally:
        for s in held:
            s.close()

    values = scrape(metrics)
    assert values["didtron_transport_tcp_message_timeouts_total"] >= 2, values
    assert values['didtron_transport_tcp_connections_refused_total{cap="per_source"}'] >= 3, values
    # one log line for the source, not one per refused connection
    log = (proxy.workdir / "proxy.log").read_text(errors="replace")
    assert log.count("over the connection cap") == 1, log[-3000:]
    assert proxy.alive()
