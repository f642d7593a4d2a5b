"""Softswitch mode: least-cost routing, margin enforcement and the charges in
the call record (issue 5).

Suppliers are SIPp UAS processes, each its own supplier carrier with a
rating plan (its cost list); the customer's ingress service has a rating
plan too (its price list). Who answered is read from the Contact of the 200
the caller got, and confirmed by the record's egress service.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch


def supplier(t: SS.Topology, rate: str, *, currency: str = "USD", prefix: str = "44",
             initial: int = 1, recurring: int = 1) -> SS.Egress:
    """A supplier carrier with one trunk whose cost for `prefix` is `rate`/min."""
    costs = t.rating_plan(currency=currency, initial=initial, recurring=recurring)
    t.rate(costs, prefix, rate)
    return t.trunk(t.supplier(), L.free_port(), rating_plan=costs)


def test_least_cost_routing_sends_the_call_to_the_cheapest_supplier(ss):
    """Three suppliers in one priority group of an `lcr` plan, listed most
    expensive first. B's rate is the smallest number but it is in EUR at 0.5
    EUR per USD (0.012 USD): C at 0.010 USD is the cheapest."""
    t = SS.Topology()
    plan = t.plan(route_order="lcr")
    prices = t.rating_plan()
    t.rate(prices, "44", "0.020")
    t.customer(plan=plan, rating_plan=prices)
    a = supplier(t, "0.012")
    b = supplier(t, "0.006", currency="EUR")
    c = supplier(t, "0.010")
    t.route(plan, "44", [(a.service, 1), (b.service, 1), (c.service, 1)])
    t.stmts.append("update currencies set exchange_rate = 0.5 where code = 'EUR';")
    ss.apply(t)
    for trunk in (a, b, c):
        ss.uas(port=trunk.port)
    ss.start_switch()

    r = ss.call("4420555000")
    assert r.rc == 0 and r.final_status == 200, r.describe()
    assert r.answered_by == c.port, f"answered by {r.answered_by}, expected C {c.port}\n{r.describe()}"
    row = ss.db.wait_call(r.call_id)
    assert row["egress_service_id"] == c.service, row
    assert row["routes_tried"] == 1, row
    assert Decimal(row["supplier_rate_per_minute"]) == Decimal("0.010"), row
    assert row["supplier_currency"] == "USD" and row["supplier_rate_prefix"] == "44", row
    assert Decimal(row["rate_per_minute"]) == Decimal("0.020") and row["currency"] == "USD", row


def test_a_supplier_that_breaks_the_margin_is_skipped(ss):
    """Customer price 0.010/min with an absolute margin of 0.003: supplier A
    (priority 1, cost 0.008) would leave 0.002 and is skipped; B (priority 2,
    cost 0.007) keeps exactly 0.003 and gets the call. Prefix 45 has only A:
    the call is refused with 503 No Route Within Margin."""
    t = SS.Topology()
    plan = t.plan()
    prices = t.rating_plan(margin="absolute", min_margin="0.003")
    t.rate(prices, "44", "0.010")
    t.rate(prices, "45", "0.010")
    t.customer(plan=plan, rating_plan=prices)
    a = supplier(t, "0.008", prefix="4")
    b = supplier(t, "0.007", prefix="4")
    t.route(plan, "44", [a.service, b.service])
    t.route(plan, "45", [a.service])
    ss.apply(t)
    uas_a = ss.uas(port=a.port)
    ss.uas(port=b.port)
    ss.start_switch()

    r = ss.call("4420555000")
    assert r.rc == 0 and r.final_status == 200, r.describe()
    assert r.answered_by == b.port, r.describe()
    assert SS.received_invites(uas_a) == {}, "the supplier below the margin got an INVITE"
    row = ss.db.wait_call(r.call_id)
    assert row["egress_service_id"] == b.service and row["routes_tried"] == 1, row
    assert Decimal(row["margin"]) >= 0, row

    refused = ss.call("4520555000", expect="reject")
    assert refused.final_status == 503, refused.describe()
    assert refused.final_reason == "No Route Within Margin", refused.describe()
    assert SS.received_invites(uas_a) == {}


def test_65_second_calls_are_billed_by_their_increments(ss):
    """Two 65-second calls at once: prefix 4460 is billed 60/60 (120 s), 4406
    6/6 (66 s), both at 0.060/min; the supplier costs 0.030/min on 30/6 (66 s
    whether the switch measures 65.0 or 65.9 s)."""
    t = SS.Topology()
    plan = t.plan()
    prices = t.rating_plan(initial=60, recurring=60)
    t.rate(prices, "4460", "0.060")
    t.rate(prices, "4406", "0.060", initial=6, recurring=6)
    t.customer(plan=plan, rating_plan=prices)
    sup = supplier(t, "0.030", prefix="44", initial=30, recurring=6)
    t.route(plan, "44", [sup.service])
    ss.apply(t)
    ss.uas(port=sup.port, global_timeout="120s")
    ss.start_switch()

    runs = {number: ss.uac(number, hold_ms=65_000, global_timeout="100s")
            for number in ("4460555000", "4406555000")}
    rows = {}
    for number, run in runs.items():
        rc = run.wait(timeout=110)
        result = SS.call_result(run, rc)
        assert rc == 0 and result.final_status == 200, result.describe()
        rows[number] = ss.db.wait_call(result.call_id)

    expected = {
        # number: (billable s, price, supplier billable s, supplier cost)
        "4460555000": (120, "0.120000", 66, "0.033000"),
        "4406555000": (66, "0.066000", 66, "0.033000"),
    }
    for number, (billable, price, supplier_billable, cost) in expected.items():
        row = rows[number]
        # measured on the switch's monotonic clock from the 200 it relayed to
        # the BYE it got: 65 s and a little, give or take the test machine
        assert 64 <= row["duration_seconds"] <= 66, row
        assert row["billable_seconds"] == billable, row
        assert Decimal(row["cost"]) == Decimal(price), row
        assert row["supplier_billable_seconds"] == supplier_billable, row
        assert Decimal(row["supplier_cost"]) == Decimal(cost), row
        assert Decimal(row["margin"]) == Decimal(price) - Decimal(cost), row
        assert row["rate_prefix"] == number[:4] and row["rating_plan_id"] == prices, row
        assert row["supplier_rating_plan_id"] is not None and row["supplier_rate_prefix"] == "44", row


def test_an_unanswered_call_costs_nothing(ss):
    """A busy supplier (486): the record is rated, at zero on both sides."""
    t = SS.Topology()
    plan = t.plan()
    prices = t.rating_plan()
    t.rate(prices, "44", "0.020", connection_fee="0.050")
    t.customer(plan=plan, rating_plan=prices)
    sup = supplier(t, "0.010")
    t.route(plan, "44", [sup.service])
    ss.apply(t)
    ss.uas("uas-486.xml", port=sup.port)
    ss.start_switch()

    r = ss.call("4420555000", expect="reject")
    assert r.final_status == 486, r.describe()
    row = ss.db.wait_call(r.call_id)
    assert row["status"] == "busy", row
    assert Decimal(row["cost"]) == 0 and row["billable_seconds"] == 0, row
    assert Decimal(row["supplier_cost"]) == 0 and Decimal(row["margin"]) == 0, row
