"""Softswitch mode: the snapshot follows the database (NOTIFY didtron_reload
from the schema's triggers, or SIGHUP), and a reload that fails keeps the
previous snapshot.

A reload is asynchronous, so "the next call follows the new plan" is checked
by placing single calls until one reaches the new supplier (each one must be
answered by the old or the new supplier), for at most RELOAD_WAIT seconds.
"""

from __future__ import annotations

import time

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

NUMBER = "15558880000"
RELOAD_WAIT = 5.0


def two_suppliers(ss) -> tuple[str, SS.Ingress, SS.Egress, SS.Egress]:
    """Plan with prefix 1 -> A; B exists but no route uses it yet."""
    t = SS.Topology()
    plan = t.plan()
    sup = t.supplier()
    a, b = t.trunk(sup, L.free_port()), t.trunk(sup, L.free_port())
    t.route(plan, "1", [a.service])
    ing = t.customer(plan=plan)
    ss.apply(t)
    ss.uas(port=a.port)
    ss.uas(port=b.port)
    return plan, ing, a, b


def answered_by(ss, allowed: set[int]) -> int:
    r = ss.call(NUMBER)
    assert r.rc == 0 and r.final_status == 200 and r.answered_by in allowed, (
        f"expected an answer from one of ports {sorted(allowed)}\n{r.describe()}")
    return r.answered_by


def wait_until_routed_to(ss, new: SS.Egress, old: SS.Egress, what: str) -> int:
    """Places calls until one is answered by `new`; returns how many it took."""
    deadline = time.monotonic() + RELOAD_WAIT
    n = 0
    while True:
        n += 1
        if answered_by(ss, {old.port, new.port}) == new.port:
            return n
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: after {RELOAD_WAIT:.0f} s and {n} calls, "
                                 f"calls still go to the old supplier (port {old.port})")


def test_database_change_notifies_and_the_next_call_follows(ss):
    plan, _, a, b = two_suppliers(ss)
    ss.start_switch()
    assert answered_by(ss, {a.port}) == a.port

    # a plain UPDATE-like change: the statement triggers send NOTIFY didtron_reload
    ss.db.sql("begin;\n" + SS.set_routes_sql(plan, "1", [b.service]) + "commit;\n")
    wait_until_routed_to(ss, b, a, "NOTIFY after a routing plan change")
    for _ in range(2):
        assert answered_by(ss, {a.port, b.port}) == b.port, "a later call went back to the old route"


def test_sighup_reloads(ss):
    """A change made with didtron.reload_notify = off sends no NOTIFY; SIGHUP
    makes the switch pick it up."""
    plan, _, a, b = two_suppliers(ss)
    ss.start_switch()
    assert answered_by(ss, {a.port}) == a.port

    ss.db.sql("begin;\nset local didtron.reload_notify = 'off';\n"
              + SS.set_routes_sql(plan, "1", [b.service]) + "commit;\n")
    ss.hup_switch()
    wait_until_routed_to(ss, b, a, "SIGHUP after a routing plan change")
    assert ss.switch.alive()


def test_reload_against_a_broken_row_keeps_the_previous_snapshot(ss):
    """One transaction adds an unparsable interconnect address and moves prefix
    1 to B: the reload fails (and says so in the log), calls keep going to A.
    Deleting the bad row reloads again, and then calls go to B."""
    plan, ing, a, b = two_suppliers(ss)
    ss.start_switch()
    assert answered_by(ss, {a.port}) == a.port

    bad = SS.new_id()
    log_from = ss.log_size()
    ss.db.sql(
        "begin;\n"
        "insert into interconnect_ip_addresses (id, interconnect_id, ip_address, address_type) "
        f"values ({SS.lit(bad)}, {SS.lit(ing.interconnect)}, 'not-an-ip', 'transport');\n"
        + SS.set_routes_sql(plan, "1", [b.service]) + "commit;\n")
    m = ss.wait_log(rf"not-an-ip|{bad}", timeout=10, since=log_from)
    assert m, ("no log line about the failed reload (naming 'not-an-ip' or the row id "
               f"{bad}) within 10 s")
    assert ss.switch.alive(), "the switch died on a bad row"
    for _ in range(3):
        assert answered_by(ss, {a.port, b.port}) == a.port, (
            "a call followed the new plan although its reload should have failed")

    ss.db.sql(f"delete from interconnect_ip_addresses where id = {SS.lit(bad)};")
    wait_until_routed_to(ss, b, a, "NOTIFY after the bad row was removed")
