"""RFC 4475 torture messages against the running proxy, over UDP.

The corpus lives outside the repository: <repo>/../shared/conformance/rfc4475
(each *.dat is sent unchanged as one datagram).
"""

from __future__ import annotations

import os
import socket
import time

import pytest

import livelib as L
from conftest import ON_KAMAILIO

DATS = sorted(L.TORTURE_DIR.glob("*.dat"))

needs_corpus = pytest.mark.skipif(not DATS, reason=f"no RFC 4475 corpus at {L.TORTURE_DIR}")


@needs_corpus
def test_corpus_is_complete():
    assert len(DATS) == 49, f"{len(DATS)} .dat files in {L.TORTURE_DIR}"


@needs_corpus
def test_torture_flood_then_calls(live):
    uas_port = live.port()
    # no -m on this UAS: torture INVITEs that the proxy forwards arrive here too
    # and would count as (never completed) calls; only the UAC's calls are judged
    live.uas("uas.xml", uas_port)
    proxy = live.start_proxy(uas_port)

    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind((L.LOOPBACK, 0))
    try:
        for dat in DATS:
            tx.sendto(dat.read_bytes(), (L.LOOPBACK, proxy.port))
    finally:
        tx.close()
    assert proxy.alive(), f"proxy died during the torture flood (status {proxy.proc.popen.returncode})"

    uac = live.uac("uac.xml", calls=20, rate=20, role="uac-after-torture")
    rc = uac.wait(timeout=90)
    st = uac.stats()
    assert proxy.alive(), f"proxy died after the torture flood (status {proxy.proc.popen.returncode})"
    assert rc == 0, uac.summary()
    assert int(st["FailedCall(C)"]) == 0, uac.summary()
    assert int(st["SuccessfulCall(C)"]) == 20, uac.summary()


# name -> acceptable final status codes for a proxy (manifest "expected" column)
EXPECTED = {
    "zeromf.dat": {483},   # Max-Forwards 0: a proxy must not forward, 483
    "badvers.dat": {505},  # SIP/7.0
    "insuf.dat": {400},    # no Call-ID, From, To
    "bext01.dat": {420},   # unknown Proxy-Require option tag (RFC 3261 16.3 step 5)
}
# what the Kamailio minimal cfg does not do (it is only the harness's stand-in)
KAMAILIO_GAPS = {
    "badvers.dat": "Kamailio drops SIP/7.0 without a response",
    "insuf.dat": "Kamailio drops a request without From/To/Call-ID without a response",
    "bext01.dat": "the minimal cfg does not check Proxy-Require",
}


def _bind_response_socket():
    """Torture messages name no Via port, so a proxy answers to 5060 at the
    source address; bind there if possible, else rewrite the top Via."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((L.LOOPBACK, 5060))
        return s, False
    except OSError:
        s.bind((L.LOOPBACK, 0))
        return s, True


def final_response(sock: socket.socket, request: bytes, timeout: float) -> tuple[int | None, list[bytes]]:
    """First final (>= 200) response to `request`, matched by top-Via branch and
    CSeq number; stray datagrams (other transactions) are ignored."""
    branch, cseq = L.top_via_branch(request), L.cseq_number(request)
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, seen
        sock.settimeout(left)
        try:
            data = sock.recv(65535)
        except socket.timeout:
            return None, seen
        seen.append(data)
        code = L.status_code(data)
        if code is None or code < 200:
            continue
        if branch is not None and L.top_via_branch(data) != branch:
            continue
        if cseq is not None and L.cseq_number(data) != cseq:
            continue
        return code, seen


@needs_corpus
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_torture_response_code(live, request, name):
    if ON_KAMAILIO and name in KAMAILIO_GAPS:
        request.applymarker(pytest.mark.xfail(reason=KAMAILIO_GAPS[name], strict=False))
    # next hop: a port nobody listens on (none of these may be forwarded)
    proxy = live.start_proxy(live.port())
    sock, rewrite = _bind_response_socket()
    try:
        msg = (L.TORTURE_DIR / name).read_bytes()
        if rewrite:
            msg = L.retarget_top_via(msg, sock.getsockname()[1])
        sock.sendto(msg, (L.LOOPBACK, proxy.port))
        code, seen = final_response(sock, msg, timeout=3.0)
    finally:
        sock.close()
    assert proxy.alive()
    first_lines = [d.split(b"\r\n", 1)[0] for d in seen]
    assert code in EXPECTED[name], (
        f"{name}: final response {code}, expected one of {sorted(EXPECTED[name])}; "
        f"datagrams received: {first_lines}")


# The REGISTER messages of the corpus, to a switch that is the registrar of
# example.com (registrar.domains): name -> (status, Contact values of the 200)
REGISTER_EXPECTED = {
    "cparam01.dat": (200, ["<sip:+19725552222@gw1.example.net>;expires=3600"]),
    "cparam02.dat": (200, ["<sip:+19725552222@gw1.example.net;unknownparam>;expires=3600"]),
    "regescrt.dat": (200, ["<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=3600"]),
    "escnull.dat": (200, ["<sip:%00@host5.example.com>;expires=3600",
                          "<sip:%00%00@host5.example.com>;expires=3600"]),
    "dblreq.dat": (200, ["<sip:j.user@host.example.com>;expires=3600"]),
    "regaut01.dat": (200, None),
    "unksm2.dat": (400, None),
}


def _contacts(response: bytes) -> list[str]:
    head = response.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace").split("\r\n")
    return [line.split(":", 1)[1].strip() for line in head[1:]
            if line.split(":", 1)[0].strip().lower() in ("contact", "m")]


@needs_corpus
@pytest.mark.skipif(ON_KAMAILIO, reason="the Kamailio stand-in has no registrar")
def test_torture_register_messages_to_the_registrar(live):
    """Each REGISTER of the corpus gets its manifest outcome from a switch
    whose registrar serves example.com without authentication ("REGISTER
    succeeds"); the bindings are stored as written."""
    proxy = live.start_proxy(live.port(), env=dict(os.environ, DIDTRON_REGISTRAR_DOMAINS="example.com",
                                                      DIDTRON_REGISTRAR_AUTHENTICATION="none"))
    sock, rewrite = _bind_response_socket()
    try:
        for name, (status, contacts) in sorted(REGISTER_EXPECTED.items()):
            msg = (L.TORTURE_DIR / name).read_bytes()
            # Several of these share a branch and sent-by: sent one after the
            # other they would be one transaction (RFC 3261 17.2.3), and the
            # later ones retransmissions of the first. Each gets its own branch.
            msg = msg.replace(b"branch=z9hG4bK", b"branch=z9hG4bK" + name.encode()[:-4] + b"-", 1)
            if rewrite:
                msg = L.retarget_top_via(msg, sock.getsockname()[1])
            sock.sendto(msg, (L.LOOPBACK, proxy.port))
            code, seen = final_response(sock, msg, timeout=3.0)
            assert code == status, f"{name}: {code}, expected {status}; got {[d[:40] for d in seen]}"
            if contacts is not None:
                # cparam01 and cparam02 register one address of record: the
                # 200 lists every binding it has, this message's among them.
                assert set(contacts) <= set(_contacts(seen[-1])), (name, seen[-1])
    finally:
        sock.close()
    assert proxy.alive()
