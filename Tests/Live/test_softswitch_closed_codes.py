"""Softswitch mode: closed codes and least cost by a reference call
(issue 17, rules 6 and 7), with the real daemon, PostgreSQL and SIPp.

One setup: the customer sells 44 but its 4420 code ended yesterday; three
suppliers in one `lcr` group carry 44. C is the cheapest but closed 4430 an
hour ago; A has the lowest rate per minute (0.009) but a 0.005 connection
fee, so a 60 s call costs 0.014 through it and 0.012 through B (0.012/min,
no fee): B is first.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch


def supplier(t: SS.Topology, rate: str, *, fee: str = "0") -> tuple[SS.Egress, str]:
    costs = t.rating_plan()
    t.rate(costs, "44", rate, connection_fee=fee)
    return t.trunk(t.supplier(), L.free_port(), rating_plan=costs), costs


def test_closed_codes_and_the_least_cost_reference_call(ss):
    t = SS.Topology()
    plan = t.plan(route_order="lcr")
    prices = t.rating_plan()
    t.rate(prices, "44", "0.050")
    t.stmts.append(
        "insert into rating_plan_rates (rating_plan_id, prefix, rate_per_minute, effective_to) "
        f"values ({SS.lit(prices)}, '4420', 0.5, now() - interval '1 day');")
    t.customer(plan=plan, rating_plan=prices)
    c, c_costs = supplier(t, "0.001")
    t.stmts.append(
        "insert into rating_plan_rates (rating_plan_id, prefix, rate_per_minute, effective_to) "
        f"values ({SS.lit(c_costs)}, '4430', 0.001, now() - interval '1 hour');")
    a, _ = supplier(t, "0.009", fee="0.005")
    b, _ = supplier(t, "0.012")
    t.route(plan, "44", [(c.service, 1), (a.service, 1), (b.service, 1)])
    ss.apply(t)
    uas = {trunk.port: ss.uas(port=trunk.port) for trunk in (a, b, c)}
    ss.start_switch()

    refused = ss.call("4420555000", expect="reject")
    assert refused.final_status == 403, refused.describe()
    assert refused.final_reason == "Closed Code", refused.describe()

    r = ss.call("4430555000")
    assert r.rc == 0 and r.final_status == 200, r.describe()
    assert r.answered_by == b.port, f"answered by {r.answered_by}, expected B {b.port}\n{r.describe()}"
    assert SS.received_invites(uas[c.port]) == {}, "the supplier that closed 4430 got an INVITE"
    assert SS.received_invites(uas[a.port]) == {}, "A (dearer at 60 s) was tried first"
    row = ss.db.wait_call(r.call_id)
    assert row["egress_service_id"] == b.service and row["routes_tried"] == 1, row
    assert Decimal(row["supplier_rate_per_minute"]) == Decimal("0.012"), row
    assert row["rate_prefix"] == "44", row
