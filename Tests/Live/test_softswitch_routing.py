"""Softswitch mode: routing plans, route priority, failover, 404.

The caller is a SIPp UAC on 127.0.0.1 (one customer trunk, any port); the
suppliers are SIPp UAS processes on their own ports. Who answered a call is
read from the Contact of the 200 the caller got (sip:uas@127.0.0.1:PORT),
which the supplier's message log and the call record confirm.
"""

from __future__ import annotations

import socket
import time

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch


def customer_plan(t: SS.Topology, failover_codes=()) -> tuple[str, SS.Ingress]:
    """A routing plan and a customer on 127.0.0.1 (any port) that uses it."""
    plan = t.plan(failover_codes=list(failover_codes))
    return plan, t.customer(plan=plan)


def assert_answered(r: SS.CallResult, by: SS.Egress) -> None:
    assert r.rc == 0 and r.final_status == 200, r.describe()
    assert r.answered_by == by.port, (
        f"answered by port {r.answered_by}, expected {by.port}\n{r.describe()}")


def test_longest_prefix_picks_the_supplier(ss):
    t = SS.Topology()
    plan, _ = customer_plan(t)
    sup = t.supplier()
    a, b = t.trunk(sup, L.free_port()), t.trunk(sup, L.free_port())
    t.route(plan, "1", [a.service])
    t.route(plan, "12", [b.service])
    t.route(plan, "123", [a.service])
    ss.apply(t)
    uas_a, uas_b = ss.uas(port=a.port), ss.uas(port=b.port)
    ss.start_switch()

    for number, want in [("12995550000", b), ("13995550000", a), ("12395550000", a),
                         ("12005550000", b)]:
        r = ss.call(number)
        assert_answered(r, want)
        row = ss.db.wait_call(r.call_id)
        assert row["egress_service_id"] == want.service, (number, row)
        assert row["routes_tried"] == 1 and row["status"] == "completed", row
        assert SS.received_invites(uas_a if want is a else uas_b).get(r.call_id) == number


def test_routes_are_tried_in_priority_order(ss):
    """The entry rows are inserted with the worse route first: the switch must
    go by `priority`, not by row order."""
    t = SS.Topology()
    plan, _ = customer_plan(t)
    sup = t.supplier()
    a, b = t.trunk(sup, L.free_port()), t.trunk(sup, L.free_port())
    t.route(plan, "4", [(b.service, 2), (a.service, 1)])
    t.route(plan, "5", [(a.service, 20), (b.service, 10)])
    ss.apply(t)
    ss.uas(port=a.port)
    ss.uas(port=b.port)
    ss.start_switch()

    assert_answered(ss.call("4005550000"), a)
    assert_answered(ss.call("5005550000"), b)


@pytest.mark.parametrize("dead", ["closed-port", "silent-listener"])
def test_failover_from_a_dead_first_route_to_the_second(ss, dead):
    """First route: a port nobody listens on (ICMP port unreachable: a
    transport error, or timer B/C) or a socket that swallows everything
    (timer C, invite_timeout_seconds = 4). The call must end up answered by
    the second route."""
    t = SS.Topology()
    plan, _ = customer_plan(t)
    sup = t.supplier()
    dead_port = L.free_port()
    d, a = t.trunk(sup, dead_port), t.trunk(sup, L.free_port())
    t.route(plan, "1", [d.service, a.service])
    ss.apply(t)
    silent = None
    if dead == "silent-listener":
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind((L.LOOPBACK, dead_port))
    try:
        uas = ss.uas(port=a.port)
        ss.start_switch()
        t0 = time.monotonic()
        r = ss.call("15550001111", timeout=SS.INVITE_TIMEOUT + 20)
        took = time.monotonic() - t0
    finally:
        if silent is not None:
            silent.close()
    assert_answered(r, a)
    # timer B is 64*T1 = 6.4 s, timer C 4 s: either way well under 15 s
    assert took < SS.INVITE_TIMEOUT + 11, f"failover took {took:.1f} s"
    assert r.call_id in SS.received_invites(uas)
    row = ss.db.wait_call(r.call_id)
    assert row["routes_tried"] == 2, row
    assert row["egress_service_id"] == a.service and row["status"] == "completed", row


def test_no_failover_on_486(ss):
    t = SS.Topology()
    plan, _ = customer_plan(t)
    sup = t.supplier()
    busy, a = t.trunk(sup, L.free_port()), t.trunk(sup, L.free_port())
    t.route(plan, "1", [busy.service, a.service])
    ss.apply(t)
    uas_busy = ss.uas("uas-486.xml", port=busy.port)
    uas_a = ss.uas(port=a.port)
    ss.start_switch()

    r = ss.call("15550002222", expect="reject")
    assert r.rc == 0 and r.final_status == 486, r.describe()
    assert r.call_id in SS.received_invites(uas_busy)
    row = ss.db.wait_call(r.call_id)
    assert row["status"] == "busy" and row["sip_status"] == 486, row
    assert row["routes_tried"] == 1, row
    assert row["egress_service_id"] == busy.service, row
    assert r.call_id not in SS.received_invites(uas_a), "the 486 failed over to the second route"


def test_plan_failover_codes_make_486_fail_over(ss):
    """routing_plans.failover_codes = {486}: now a 486 moves to the next route."""
    t = SS.Topology()
    plan, _ = customer_plan(t, failover_codes=[486])
    sup = t.supplier()
    busy, a = t.trunk(sup, L.free_port()), t.trunk(sup, L.free_port())
    t.route(plan, "1", [busy.service, a.service])
    ss.apply(t)
    uas_busy = ss.uas("uas-486.xml", port=busy.port)
    ss.uas(port=a.port)
    ss.start_switch()

    r = ss.call("15550003333")
    assert_answered(r, a)
    assert r.call_id in SS.received_invites(uas_busy)
    row = ss.db.wait_call(r.call_id)
    assert row["routes_tried"] == 2 and row["status"] == "completed", row


def test_no_matching_prefix_gets_404(ss):
    t = SS.Topology()
    plan, _ = customer_plan(t)
    a = t.trunk(t.supplier(), L.free_port())
    t.route(plan, "1", [a.service])
    t.route(plan, "44", [a.service])
    ss.apply(t)
    uas = ss.uas(port=a.port)
    ss.start_switch()

    r = ss.call("4915550000", expect="reject")
    assert r.rc == 0 and r.final_status == 404, r.describe()
    assert r.final_reason == "No Route", f"reason phrase {r.final_reason!r}, expected 'No Route'"
    ok = ss.call("4415550000")
    assert_answered(ok, a)
    assert set(SS.received_invites(uas)) == {ok.call_id}
