"""Issue 15, defect 2: the datagrams libosip2 parsed in quadratic time (a
64 KB list of `Supported` items, a Via of 32,000 parameters, 13,000 header
lines) are refused by the caps of docs/limits.md with their 400 at once, and
calls go through right after them. Their CPU cost is bench/ParseBench's to
measure, not a test's.
"""

from __future__ import annotations

import socket
import time

import pytest

import livelib as L
from conftest import ON_KAMAILIO

pytestmark = pytest.mark.skipif(ON_KAMAILIO, reason="the caps and their reason phrases are the switch's own")

# Under one IPv4 UDP datagram (65,507 bytes of payload).
BUDGET = 65_000


def costly_invite(local_port: int, name: str, line: str) -> bytes:
    head = (
        f"INVITE sip:15551234@{L.LOOPBACK} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {L.LOOPBACK}:{local_port};branch=z9hG4bK-costly-{name}\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=c1\r\nTo: <sip:15551234@127.0.0.1>\r\n"
        f"Call-ID: costly-{name}@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
    )
    tail = "Content-Length: 0\r\n\r\n"
    room = BUDGET - len(head) - len(tail) - 2
    return (head + line[:room] + "\r\n" + tail).encode()


COSTLY = {
    "supported": ("Supported: " + ",".join(["x"] * 32_000), "Too Many Header Values"),
    "via-params": ("Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-2" + ";p" * 32_000, "Too Many Parameters"),
    "header-lines": ("\r\n".join(["a:b"] * 13_000), "Too Many Headers"),
}


def final_response(sock: socket.socket, branch: bytes, timeout: float) -> bytes | None:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(65535)
        except socket.timeout:
            return None
        code = L.status_code(data)
        if code is not None and code >= 200 and L.top_via_branch(data) == branch:
            return data
    return None


def test_costly_datagrams_get_400_then_calls_complete(live):
    uas_port = live.port()
    live.uas("uas.xml", uas_port)
    proxy = live.start_proxy(uas_port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((L.LOOPBACK, 0))
    try:
        for name, (line, reason) in COSTLY.items():
            msg = costly_invite(sock.getsockname()[1], name, line)
            sock.sendto(msg, (L.LOOPBACK, proxy.port))
            # Before the caps, each of these held the event loop for 1-5 s of CPU.
            answer = final_response(sock, L.top_via_branch(msg), timeout=2.0)
            assert answer is not None, f"{name}: no final response within 2 s"
            first = answer.split(b"\r\n", 1)[0].decode(errors="replace")
            assert first == f"SIP/2.0 400 {reason}", f"{name}: {first}"
    finally:
        sock.close()
    assert proxy.alive()

    uac = live.uac("uac.xml", calls=5, rate=10, role="uac-after-costly")
    rc = uac.wait(timeout=60)
    st = uac.stats()
    assert rc == 0, uac.summary()
    assert int(st["SuccessfulCall(C)"]) == 5, uac.summary()
