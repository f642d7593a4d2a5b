"""Softswitch mode: which interconnect an INVITE comes from.

SIPp callers send from chosen loopback addresses (-i 127.0.0.X) and ports;
the supplier is a SIPp UAS whose message log shows the Request-URI it got.
"""

from __future__ import annotations

import pytest

import softswitch as SS

pytestmark = pytest.mark.softswitch

NUMBER = "15551230000"


def assert_answered(r: SS.CallResult, by: int) -> None:
    assert r.rc == 0 and r.final_status == 200, r.describe()
    assert r.answered_by == by, f"answered by port {r.answered_by}, expected {by}\n{r.describe()}"


def assert_refused(r: SS.CallResult, status: int, reason: str | None = None) -> None:
    assert r.rc == 0 and r.final_status == status, (
        f"expected {status} {reason or ''}\n{r.describe()}")
    if reason is not None:
        assert r.final_reason == reason, f"reason phrase {r.final_reason!r}, expected {reason!r}"


def test_unknown_source_gets_403_and_no_record(ss):
    t = SS.Topology()
    plan = t.plan()
    a = t.trunk(t.supplier(), SS.L.free_port())
    t.route(plan, "1", [a.service])
    known = t.customer(plan=plan, address="127.0.0.2")
    ss.apply(t)
    uas = ss.uas(port=a.port)
    ss.start_switch()

    refused = ss.call(NUMBER, expect="reject", source_ip="127.0.0.3")
    assert_refused(refused, 403, "Unknown Interconnect")
    assert ss.wait_log(r"127\.0\.0\.3", timeout=5), "no log line names the unknown source 127.0.0.3"

    # a call from the known address goes through and is recorded ...
    ok = ss.call(NUMBER, source_ip="127.0.0.2")
    assert_answered(ok, a.port)
    row = ss.db.wait_call(ok.call_id)
    assert row["ingress_interconnect_id"] == known.interconnect
    assert row["ingress_service_id"] == known.service
    assert row["egress_service_id"] == a.service
    assert row["status"] == "completed" and row["sip_status"] == 200, row
    # ... which also shows that the writer has run since the refused call
    assert ss.db.count(f"call_sid = {SS.lit(refused.call_id)}") == 0
    assert ss.db.count() == 1
    assert refused.call_id not in SS.received_invites(uas)


def test_tech_prefix_and_cidr_match_and_prefix_is_stripped(ss):
    """Customer trunk: 127.0.0.64/28 with tech prefix 777. Supplier service:
    tech prefix 55. 7771234567 from 127.0.0.70 reaches the supplier as
    551234567; without the tech prefix, or from outside the block: 403."""
    t = SS.Topology()
    plan = t.plan()
    a = t.trunk(t.supplier(), SS.L.free_port(), tech_prefix="55")
    t.route(plan, "1", [a.service])
    cust = t.customer(plan=plan, address="127.0.0.64/28", tech_prefix="777")
    ss.apply(t)
    uas = ss.uas(port=a.port)
    ss.start_switch()

    ok = ss.call("7771234567", source_ip="127.0.0.70")
    assert_answered(ok, a.port)
    got = SS.received_invites(uas)
    assert got.get(ok.call_id) == "551234567", (
        f"supplier got Request-URI user {got.get(ok.call_id)!r}, expected '551234567' "
        f"(tech prefix 777 stripped, supplier prefix 55 added)")
    row = ss.db.wait_call(ok.call_id)
    assert row["ingress_interconnect_id"] == cust.interconnect
    assert row["egress_interconnect_id"] == a.interconnect
    assert row["status"] == "completed" and row["routes_tried"] == 1, row
    assert row["original_to_number"] == "7771234567", row  # as received
    # the number routed on: the ingress tech prefix is gone (whether to_number
    # also carries the supplier's prefix 55 is the schema's call, not checked)
    assert row["to_number"] in ("1234567", "551234567"), row

    no_prefix = ss.call("1234567", expect="reject", source_ip="127.0.0.70")
    assert_refused(no_prefix, 403)
    outside = ss.call("7771234567", expect="reject", source_ip="127.0.0.80")  # .64-.79 only
    assert_refused(outside, 403)
    assert set(SS.received_invites(uas)) == {ok.call_id}


def test_most_specific_match_wins_exact_cidr_range_port(ss):
    """One supplier UAS; each ingress trunk has its own plan whose route adds
    a different supplier tech prefix, so the Request-URI the UAS gets shows
    which ingress trunk the switch picked."""
    t = SS.Topology()
    supplier = t.supplier()
    uas_port = SS.L.free_port()
    fixed_port = SS.L.free_port()
    trunks = {}
    for name, tag, where in [
        ("cidr", "901", dict(address="127.0.0.96/27")),                            # .96-.127
        ("exact", "902", dict(address="127.0.0.100")),
        ("range", "903", dict(address="127.0.0.140", range_end="127.0.0.142")),
        ("exact+port", "904", dict(address="127.0.0.100", sip_port=fixed_port)),
    ]:
        plan = t.plan()
        egress = t.trunk(supplier, uas_port, tech_prefix=tag)
        t.route(plan, "1", [egress.service])
        trunks[name] = (tag, t.customer(plan=plan, **where))
    ss.apply(t)
    uas = ss.uas(port=uas_port)
    ss.start_switch()

    cases = [
        ("cidr", dict(source_ip="127.0.0.101")),
        ("exact", dict(source_ip="127.0.0.100")),                     # any other port
        ("exact+port", dict(source_ip="127.0.0.100", source_port=fixed_port)),
        ("range", dict(source_ip="127.0.0.141")),
    ]
    for name, source in cases:
        r = ss.call(NUMBER, **source)
        assert_answered(r, uas_port)
        tag, ingress = trunks[name]
        got = SS.received_invites(uas).get(r.call_id)
        assert got == tag + NUMBER, (
            f"call from {source}: supplier got {got!r}, expected {tag + NUMBER!r} "
            f"(the {name} trunk)")
        row = ss.db.wait_call(r.call_id)
        assert row["ingress_interconnect_id"] == ingress.interconnect, (name, row)

    past_range = ss.call(NUMBER, expect="reject", source_ip="127.0.0.143")
    assert_refused(past_range, 403)


def test_inactive_interconnect_paused_carrier_wrong_transport_get_403(ss):
    t = SS.Topology()
    plan = t.plan()
    a = t.trunk(t.supplier(), SS.L.free_port())
    t.route(plan, "1", [a.service])
    t.customer(plan=plan, address="127.0.0.150", active=False)
    t.customer(plan=plan, address="127.0.0.151", carrier_status="paused")
    t.customer(plan=plan, address="127.0.0.152", transport="tcp")
    t.customer(plan=plan, address="127.0.0.153")  # the control: active, udp
    ss.apply(t)
    uas = ss.uas(port=a.port)
    ss.start_switch()

    refused = []
    for ip in ["127.0.0.150", "127.0.0.151", "127.0.0.152"]:
        r = ss.call(NUMBER, expect="reject", source_ip=ip)
        assert_refused(r, 403)
        refused.append(r.call_id)
    ok = ss.call(NUMBER, source_ip="127.0.0.153")
    assert_answered(ok, a.port)
    ss.db.wait_call(ok.call_id)
    assert ss.db.count() == 1, ss.db.calls()
    assert set(SS.received_invites(uas)) == {ok.call_id}
