"""Overload control and unknown sources (docs/overload.md, issue 15 defects 4
and 8): new INVITEs past a configured rate get 503 with Retry-After before any
routing work while the admitted calls complete; an unknown source's INVITE
gets one 403 and no 100 Trying, and its refusals make one log line."""

from __future__ import annotations

import os
import re
import socket
import time

import pytest

import livelib as L
import softswitch as SS
from conftest import ON_KAMAILIO
from test_hostile_transport import scrape
from test_softswitch_policy import outcomes, simple

pytestmark = pytest.mark.skipif(ON_KAMAILIO, reason="didtron's overload control")


def test_invites_past_the_global_rate_get_503_and_admitted_calls_complete(live):
    """20 INVITEs a second allowed, 100 a second offered for 3 s: about 80
    are admitted (the bucket's 20 plus 20 a second), the rest get 503 with
    Retry-After and no 100 Trying; every admitted call is answered and ends."""
    uas_port = live.port()
    uas = live.uas("uas.xml", uas_port)
    live.start_proxy(uas_port, env={"DIDTRON_OVERLOAD_MAX_INVITES_PER_SECOND": "20",
                                    "DIDTRON_OVERLOAD_RETRY_AFTER_SECONDS": "9"})
    started = time.monotonic()
    uac = live.uac("uac-any.xml", calls=300, rate=100, global_timeout="40s")
    rc = uac.wait(timeout=60)
    offered_for = time.monotonic() - started
    got = outcomes(uac)
    assert rc == 0 and len(got) == 300, uac.summary()
    answered = [c for c, (s, _) in got.items() if s == 200]
    shed = [c for c, (s, _) in got.items() if s == 503]
    print(f"overload: {len(answered)} answered, {len(shed)} shed over {offered_for:.1f} s")
    assert len(answered) + len(shed) == 300, sorted({s for s, _ in got.values()})
    assert {r for s, r in got.values() if s == 503} == {"Service Unavailable"}
    assert 20 <= len(answered) <= 20 + 20 * offered_for + 5, (len(answered), offered_for)
    received = [m for m in uac.messages() if m.direction == "received"]
    first_shed = next(m for m in received if m.status == 503)
    assert first_shed.header("Retry-After") == "9", first_shed.text
    # Shed before any work: no 100 Trying for a shed call; admitted ones got theirs.
    trying = {m.call_id for m in received if m.status == 100}
    assert not trying & set(shed)
    # Every admitted call completed: the UAS saw each one's BYE.
    byes = {m.call_id for m in uas.messages() if m.direction == "received" and m.method == "BYE"}
    assert len(byes) == len(answered), (len(byes), len(answered))
    assert live.proxy.alive()


def test_one_source_past_its_rate_gets_503_while_another_is_served(live):
    """`overload.max_invites_per_source_per_second` = 10: 127.0.0.1 offers 60
    calls a second for 2 s while 127.0.0.2 offers 4 a second at the same
    time. The first source's calls past its budget get 503 with no 100
    Trying; every call of the second source is answered (the limit is per
    source, not global)."""
    uas_port = live.port()
    uas = live.uas("uas.xml", uas_port)
    live.start_proxy(uas_port, env={"DIDTRON_OVERLOAD_MAX_INVITES_PER_SOURCE_PER_SECOND": "10"})
    started = time.monotonic()
    loud = live.uac("uac-any.xml", calls=120, rate=60, global_timeout="30s", role="uac-loud")
    quiet = L.start_sipp(live.reg, live.workdir, "uac-quiet", "uac-any.xml", live.port(),
                         remote=live.proxy.addr, calls=8,
                         extra=["-r", "4", "-rp", "1000", "-d", "0"], global_timeout="30s",
                         local_ip="127.0.0.2")
    live.sipps.append(quiet)
    loud.wait(timeout=45)
    offered_for = time.monotonic() - started
    assert quiet.wait(timeout=45) == 0, quiet.summary()
    got_quiet = outcomes(quiet)
    assert len(got_quiet) == 8 and {s for s, _ in got_quiet.values()} == {200}, got_quiet
    got = outcomes(loud)
    answered = [c for c, (s, _) in got.items() if s == 200]
    shed = [c for c, (s, _) in got.items() if s == 503]
    print(f"per source: loud {len(answered)} answered, {len(shed)} shed over {offered_for:.1f} s")
    assert len(answered) + len(shed) == 120, sorted({s for s, _ in got.values()})
    assert shed and len(answered) <= 10 + 10 * offered_for + 5, (len(answered), offered_for)
    trying = {m.call_id for m in loud.messages() if m.direction == "received" and m.status == 100}
    assert not trying & set(shed)
    byes = {m.call_id for m in uas.messages() if m.direction == "received" and m.method == "BYE"}
    assert len(byes) == len(answered) + 8, (len(byes), len(answered))
    assert live.proxy.alive()


@pytest.mark.softswitch
def test_unknown_source_gets_one_403_no_100_and_one_log_line(ss):
    t, ing, egress = simple(ss)
    ss.apply(t)
    ss.uas(port=egress.port)
    ss.start_switch()
    since = ss.log_size()

    run = ss.uac("15550001", scenario="uac-any.xml", calls=5, rate=10, source_ip="127.0.0.3")
    assert run.wait(timeout=30) == 0, run.summary()
    got = outcomes(run)
    assert sorted(got.values()) == [(403, "Unknown Interconnect")] * 5, run.summary()
    received = [m for m in run.messages() if m.direction == "received"]
    assert [m.status for m in received] == [403] * 5, [m.start_line for m in received]
    assert all(m.header("Server") is None for m in received)

    # An OPTIONS from the same unknown source gets no answer at all.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.3", 0))
        s.settimeout(1.0)
        s.sendto(L.sip_options(ss.switch.port, "z9hG4bK-scan-1", s.getsockname()[1]),
                 ("127.0.0.1", ss.switch.port))
        with pytest.raises(socket.timeout):
            s.recvfrom(65536)

    # Five refusals, one log line (the rest are counted, not logged).
    text = ss.switch.proc.log.read_bytes()[since:].decode("utf-8", "replace")
    lines = [line for line in text.splitlines() if "call refused" in line and "127.0.0.3" in line]
    assert len(lines) == 1, lines

    # A known customer still gets through.
    ok = ss.uac("15550002", scenario="uac-any.xml")
    assert ok.wait(timeout=30) == 0 and [s for s, _ in outcomes(ok).values()] == [200], ok.summary()


def test_a_flood_several_times_the_capacity_is_shed_and_admitted_calls_complete(live):
    """10,000 calls/s for 1.5 s, several times what the switch handles (about
    3,500 a second for a release build on one core; a debug build far less):
    the queue of datagrams grows, new INVITEs get 503 (queue_delay), and the
    calls it admits are answered and ended; almost none fail outright. The
    503s of the flood are stateless (their ACKs absorbed, no transaction
    kept), so after it no transaction is left but those of admitted calls."""
    uas_port = live.port()
    uas = live.uas("uas.xml", uas_port)
    metrics = live.port()
    live.start_proxy(uas_port, env=dict(os.environ, DIDTRON_METRICS_LISTEN=f"{L.LOOPBACK}:{metrics}"))
    calls = 15000
    uac = live.uac("uac-any.xml", calls=calls, rate=10000, global_timeout="15s",
                   extra=["-l", "40000"])
    uac.wait(timeout=40)
    got = outcomes(uac)
    answered = {c for c, (s, _) in got.items() if s == 200}
    shed = [c for c, (s, _) in got.items() if s == 503]
    print(f"flood: {len(answered)} answered, {len(shed)} shed, {calls - len(got)} without a final answer")
    assert shed, uac.summary()
    assert answered, uac.summary()
    # Without shedding most calls time out (issue 15: 41 % failed, no 503).
    assert len(got) >= 0.95 * calls, (len(got), uac.summary())
    byes = {m.call_id for m in uas.messages() if m.direction == "received" and m.method == "BYE"}
    assert len(byes & answered) >= 0.95 * len(answered), (len(byes & answered), len(answered))
    values = scrape(metrics)
    stateless = values["didtron_overload_stateless_replies_total"]
    absorbed = values["didtron_overload_stateless_acks_absorbed_total"]
    print(f"stateless 503s: {stateless}, their ACKs absorbed: {absorbed}")
    # SIPp's Vias are plain: its shed INVITEs get stateless 503s, and it
    # acknowledges each 503 that ends a call. A retransmitted INVITE gets
    # another 503 (no transaction remembers the first), or is admitted.
    assert absorbed >= 0.95 * len(shed), (absorbed, len(shed))
    assert stateless >= absorbed, (stateless, absorbed)
    assert live.proxy.alive()
