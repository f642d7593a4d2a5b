"""Calls that do not get answered: busy, cancelled, next hop silent."""

from __future__ import annotations

import socket
import time

import pytest

import livelib as L
from conftest import ON_KAMAILIO


def test_486_reaches_caller(live):
    uas_port = live.port()
    uas = live.uas("uas-486.xml", uas_port, calls=1)
    live.start_proxy(uas_port)
    uac = live.uac("uac-486.xml", calls=1, rate=1)
    rc = uac.wait(timeout=90)
    assert rc == 0, uac.summary()
    st = uac.stats()
    assert int(st["SuccessfulCall(C)"]) == 1, uac.summary()
    # the proxy ACKed the 486 towards the callee itself (hop-by-hop ACK)
    assert uas.wait(timeout=30) == 0, uas.summary()


def test_cancel_before_answer(live):
    uas_port = live.port()
    uas = live.uas("uas-cancel.xml", uas_port, calls=1)
    live.start_proxy(uas_port)
    uac = live.uac("uac-cancel.xml", calls=1, rate=1)
    rc = uac.wait(timeout=90)
    assert rc == 0, uac.summary()
    assert int(uac.stats()["SuccessfulCall(C)"]) == 1, uac.summary()
    assert uas.wait(timeout=30) == 0, uas.summary()
    assert int(uas.stats()["SuccessfulCall(C)"]) == 1, uas.summary()


INVITE_TIMEOUT = 3
# Kamailio's minimal cfg has its own fixed timer (fr_timer 5 s without a provisional)
EFFECTIVE_TIMEOUT = 5 if ON_KAMAILIO else INVITE_TIMEOUT


@pytest.mark.parametrize("next_hop", ["closed-port", "silent-listener"])
def test_next_hop_not_answering(live, next_hop):
    hop_port = live.port()
    silent = None
    if next_hop == "silent-listener":
        # bound but never read: INVITEs are swallowed, nothing comes back
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind((L.LOOPBACK, hop_port))
    try:
        live.start_proxy(hop_port, invite_timeout=INVITE_TIMEOUT)
        bound = EFFECTIVE_TIMEOUT + 15
        t0 = time.monotonic()
        uac = live.uac("uac-noanswer.xml", calls=1, rate=1, global_timeout=f"{bound}s")
        rc = uac.wait(timeout=bound + 15)
        took = time.monotonic() - t0
    finally:
        if silent is not None:
            silent.close()
    assert rc == 0, f"no 408/503 within {bound} s (rc {rc})\n{uac.summary()}"
    assert int(uac.stats()["SuccessfulCall(C)"]) == 1, uac.summary()
    assert took < EFFECTIVE_TIMEOUT + 10, f"final response took {took:.1f} s"
    assert live.proxy.alive()
