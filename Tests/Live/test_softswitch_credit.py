"""Softswitch mode: live credit control, 24-hour spend limits, credit alerts
and exactly-once debits (issue 6).

Callers that must be cut use uac-wait-bye.xml (they never hang up; the
switch's BYE ends the call, and uas.xml answers the BYE it gets too).
Money is compared as Decimal, to the minor unit (numeric(20,6)).
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

D = Decimal


def credit_config(ss, **keys) -> None:
    """Adds a [credit] section to the switch's configuration file."""
    lines = ["", "[credit]"] + [f"{k} = {v}" for k, v in keys.items()]
    ss.config.write_text(ss.config.read_text() + "\n".join(lines) + "\n")


def rated_customer(t: SS.Topology, rate: str, *, initial: int = 1, recurring: int = 1,
                   **credit) -> tuple[SS.Ingress, SS.Egress]:
    """A customer priced `rate`/min on prefix 1 with the carrier columns in
    `credit` (balance, credit type, limits), routed to one postpaid supplier."""
    plan = t.plan()
    prices = t.rating_plan(initial=initial, recurring=recurring)
    t.rate(prices, "1", rate)
    ing = t.customer(plan=plan, rating_plan=prices, credit=credit)
    a = t.trunk(t.supplier(), L.free_port())
    t.route(plan, "1", [a.service])
    return ing, a


def balance(ss, carrier: str, column: str = "customer_balance") -> Decimal:
    return D(ss.db.scalar(f"select {column} from carriers where id = {SS.lit(carrier)}"))


def wait_bye_calls(ss, number: str, calls: int, *, timeout: float = 60) -> L.SippRun:
    run = ss.uac(number, calls=calls, rate=calls * 10, scenario="uac-wait-bye.xml",
                 global_timeout=f"{int(timeout)}s")
    return run


def customer_debits(ss, carrier: str) -> list[list[str]]:
    return ss.db.rows(
        "select call_uuid, amount, balance_after from carrier_transactions "
        f"where carrier_id = {SS.lit(carrier)} and side = 'customer' order by id")


def test_prepaid_money_for_90_seconds_shared_by_three_concurrent_calls(ss):
    """0.60/min per second (0.01 a second) and a balance of 0.90: three calls
    placed at once are cut (BYE to both sides) so that what they are billed
    together is the balance to within one billing interval, and the balance
    ends at zero or above. Steps of 30 s: the calls hold 30 + 30 + 30."""
    t = SS.Topology()
    ing, a = rated_customer(t, "0.60", customer_balance="0.90")
    ss.apply(t)
    credit_config(ss, reservation_step_seconds=30, extend_lead_ms=2000)
    uas = ss.uas(port=a.port, calls=3)
    ss.start_switch()

    started = time.monotonic()
    uac = wait_bye_calls(ss, "15550001", 3)
    rc = uac.wait(timeout=90)
    elapsed = time.monotonic() - started
    assert rc == 0, uac.summary()
    assert uas.wait(timeout=20) == 0, uas.summary()
    assert elapsed < 60, f"the calls lasted {elapsed:.0f} s for 90 s of money shared by three"
    ss.db.wait_count(3)
    rows = ss.db.calls()
    assert all(r["metadata"].get("ended_by") == "credit" for r in rows), rows
    billed = sum(D(r["cost"]) for r in rows)
    assert D("0.89") <= billed <= D("0.90"), f"billed {billed} for a balance of 0.90: {rows}"
    SS.wait_for("three debits", lambda: len(customer_debits(ss, ing.carrier)) == 3, timeout=15)
    final = balance(ss, ing.carrier)
    assert final >= 0, final
    assert final == D("0.90") - billed, (final, billed)
    # The next call cannot pay its first second.
    r = ss.call("15550001", expect="reject")
    assert r.final_status == 402, r.describe()
    assert r.final_reason == "Insufficient Credit", r.describe()


def test_postpaid_account_stops_at_minus_its_credit_limit(ss):
    """Postpaid, balance 0, credit limit 0.30 at 3.60/min (0.06 a second):
    the first call is cut after 5 s, the balance is -0.30, and the next call
    is refused with 402."""
    t = SS.Topology()
    ing, a = rated_customer(t, "3.60", customer_balance="0", customer_credit_type="postpaid",
                            customer_credit_limit="0.30")
    ss.apply(t)
    credit_config(ss, reservation_step_seconds=2, extend_lead_ms=500)
    uas = ss.uas(port=a.port, calls=1)
    ss.start_switch()

    uac = wait_bye_calls(ss, "15550002", 1)
    assert uac.wait(timeout=40) == 0, uac.summary()
    assert uas.wait(timeout=20) == 0, uas.summary()
    [row] = ss.db.calls() or [ss.db.wait_call(next(iter(SS.sent_invite_call_ids(uac))))]
    assert row["metadata"].get("ended_by") == "credit", row
    assert row["billable_seconds"] == 5 and D(row["cost"]) == D("0.30"), row
    SS.wait_for("the debit", lambda: balance(ss, ing.carrier) == D("-0.30"), timeout=15)
    r = ss.call("15550002", expect="reject")
    assert (r.final_status, r.final_reason) == (402, "Insufficient Credit"), r.describe()


def test_24_hour_spend_limit_blocks_the_next_call_and_raises_one_alert(ss):
    """A limit of 0.30 at 3.60/min: the first call is cut when the 24-hour
    spend reaches the limit (5 s), the next is refused with 402 naming the
    limit, customer_24hr_spend shows 0.30, and the 24hr_spend_breach alert
    fires once, with its recipients and template."""
    t = SS.Topology()
    ing, a = rated_customer(t, "3.60", customer_balance="100", customer_24hr_spend_limit="0.30")
    t.stmts.append(
        "insert into carrier_credit_alerts (carrier_id, alert_type, threshold, direction, "
        f"template_id, recipients) values ({SS.lit(ing.carrier)}, '24hr_spend_breach', 0.30, "
        "'customer', 'tpl-24h', '[\"noc@example.net\"]');")
    ss.apply(t)
    credit_config(ss, reservation_step_seconds=2, extend_lead_ms=500, sync_interval_ms=200)
    uas = ss.uas(port=a.port, calls=1)
    ss.start_switch()

    uac = wait_bye_calls(ss, "15550003", 1)
    assert uac.wait(timeout=40) == 0, uac.summary()
    assert uas.wait(timeout=20) == 0, uas.summary()
    byes = [m for m in uac.messages() if m.direction == "received" and m.method == "BYE"]
    assert byes and "24 Hour Spend Limit" in (byes[0].header("Reason") or ""), byes
    for _ in range(2):
        r = ss.call("15550003", expect="reject")
        assert (r.final_status, r.final_reason) == (402, "24 Hour Spend Limit Reached"), r.describe()
    SS.wait_for("customer_24hr_spend = 0.30",
                lambda: balance(ss, ing.carrier, "customer_24hr_spend") == D("0.30"), timeout=15)
    events = SS.wait_for(
        "the alert event",
        lambda: ss.db.rows("select alert_type, direction, threshold, value, template_id, "
                           "recipients::text from credit_alert_events"), timeout=15)
    assert len(events) == 1, events
    kind, direction, threshold, value, template, recipients = events[0]
    assert (kind, direction, template) == ("24hr_spend_breach", "customer", "tpl-24h"), events
    assert D(threshold) == D("0.30") and D(value) == D("0.30"), events
    assert "noc@example.net" in recipients, events


def assert_money_adds_up(ss, ing: SS.Ingress, opening: Decimal, expect_ids: set[str]) -> None:
    """Every expected call has exactly one record and (with a price) exactly
    one debit of that price; the balance is the opening balance minus the
    debits, to the minor unit."""
    rows = ss.db.rows(
        "select c.call_sid, c.cost, count(t.id), coalesce(sum(t.amount), 0) from calls c "
        "left join carrier_transactions t on t.call_uuid = c.uuid and t.side = 'customer' "
        "group by c.uuid, c.call_sid, c.cost")
    by_call = {}
    for call_sid, cost, debits, debited in rows:
        assert call_sid not in by_call, f"two records for {call_sid}"
        by_call[call_sid] = (D(cost), int(debits), D(debited))
    missing = expect_ids - set(by_call)
    assert not missing, f"{len(missing)} ended calls without a record, e.g. {sorted(missing)[:3]}"
    wrong = {c: v for c, v in by_call.items()
             if (v[0] > 0 and (v[1] != 1 or v[2] != v[0])) or (v[0] == 0 and v[1] != 0)}
    assert not wrong, f"calls without exactly one debit of their price: {list(wrong.items())[:5]}"
    orphans = ss.db.scalar(
        "select count(*) from carrier_transactions t where not exists "
        "(select 1 from calls c where c.uuid = t.call_uuid)")
    assert orphans == "0", f"{orphans} debits without a call record"
    debited = D(ss.db.scalar(
        "select coalesce(sum(amount), 0) from carrier_transactions "
        f"where carrier_id = {SS.lit(ing.carrier)} and side = 'customer'"))
    assert balance(ss, ing.carrier) == opening - debited, (balance(ss, ing.carrier), opening, debited)
    assert debited == sum(v[0] for v in by_call.values())


def test_postgres_stopped_20_seconds_during_500_calls(ss, pg):
    """500 short calls at 25/s; PostgreSQL stops for 20 s once records flow.
    Calls go on, charged against what the switch knows; afterwards every call
    has one record and one debit and the balance adds up."""
    t = SS.Topology()
    opening = D("1000")
    ing, a = rated_customer(t, "0.60", customer_balance=str(opening))
    ss.apply(t)
    uas = ss.uas(port=a.port, calls=500)
    ss.start_switch()
    uac = ss.uac("15550004", calls=500, rate=25, hold_ms=0)
    try:
        SS.wait_for("the first 20 call records", lambda: ss.db.count() >= 20, timeout=30)
        pg.stop()
        stopped = time.monotonic()
        SS.wait_for("20 s of outage", lambda: time.monotonic() - stopped >= 20 or not uac.proc.alive(),
                    timeout=40, interval=0.2)
    finally:
        if not pg.running():
            pg.start()
    assert ss.switch.alive(), "the switch died during the outage"
    rc = uac.wait(timeout=120)
    assert rc == 0, uac.summary()
    assert uas.wait(timeout=30) == 0, uas.summary()
    ids = SS.completed_call_ids(uac)
    assert len(ids) == 500
    ss.db.wait_count(500, timeout=60)
    SS.wait_for("500 debits", lambda: len(customer_debits(ss, ing.carrier)) == 500, timeout=30)
    assert_money_adds_up(ss, ing, opening, ids)


def test_kill_9_during_500_calls_then_restart(ss):
    """500 calls at 50/s; kill -9 of the switch half way, then a new switch
    on the same journal: every call that ended has one record and one debit
    (none twice, none skipped) and the balance adds up."""
    t = SS.Topology()
    opening = D("1000")
    ing, a = rated_customer(t, "0.60", customer_balance=str(opening))
    ss.apply(t)
    uas = ss.uas(port=a.port, calls=500)
    ss.start_switch()
    uac = ss.uac("15550005", calls=500, rate=50, hold_ms=0, global_timeout="60s")
    SS.wait_for("250 calls done", lambda: len(SS.completed_call_ids(uac)) >= 250 or not uac.proc.alive(),
                timeout=30, interval=0.1)
    ss.kill_switch()
    ss.start_switch()
    uac.wait(timeout=90)
    ended = SS.completed_call_ids(uac)
    assert 250 <= len(ended) <= 500, len(ended)
    SS.wait_for("a record for every ended call",
                lambda: ended <= {r[0] for r in ss.db.rows("select call_sid from calls")}, timeout=60)
    # The writer is idle once the journal is empty: let the last batch commit.
    SS.wait_for("debits for every priced record", lambda: ss.db.scalar(
        "select count(*) from calls c where cost > 0 and not exists (select 1 from carrier_transactions t "
        "where t.call_uuid = c.uuid)") == "0", timeout=30)
    assert_money_adds_up(ss, ing, opening, ended)
    assert ss.stop_switch() == 0
    assert_money_adds_up(ss, ing, opening, ended)


def test_calls_up_when_the_switch_is_killed_are_recorded_and_debited_when_they_end(ss):
    """Five calls held 6 s; kill -9 once all five are answered, a new switch
    on the same journal: it takes the calls over from their checkpoints, the
    callers' BYEs end them through it, and each has one record (its whole
    duration, ended by the caller) and one debit of its price."""
    t = SS.Topology()
    opening = D("100")
    ing, a = rated_customer(t, "0.60", customer_balance=str(opening))
    ss.apply(t)
    uas = ss.uas(port=a.port, calls=5)
    ss.start_switch()
    uac = ss.uac("15550010", calls=5, rate=10, hold_ms=6000, global_timeout="60s")
    SS.wait_for("five answers", lambda: sum(
        1 for m in uac.messages() if m.direction == "received" and m.status == 200
        and "INVITE" in (m.header("CSeq") or "")) >= 5, timeout=20)
    ss.kill_switch()
    ss.start_switch()
    assert ss.wait_log(r"calls=5 .*calls taken over from the last run", timeout=10), ss.switch_log()[-2000:]
    assert uac.wait(timeout=60) == 0, uac.summary()
    assert uas.wait(timeout=30) == 0, uas.summary()
    ended = SS.completed_call_ids(uac)
    assert len(ended) == 5
    ss.db.wait_count(5, timeout=30)
    SS.wait_for("five debits", lambda: len(customer_debits(ss, ing.carrier)) == 5, timeout=15)
    rows = ss.db.calls()
    assert {r["call_sid"] for r in rows} == ended
    for r in rows:
        assert r["status"] == "completed" and r["metadata"].get("ended_by") == "caller", r
        assert 5 <= r["duration_seconds"] <= 7, r
        assert D(r["cost"]) == D("0.01") * r["billable_seconds"], r
    assert_money_adds_up(ss, ing, opening, ended)


def test_a_supplier_without_credit_is_skipped(ss):
    """Two suppliers: A (first) is prepaid with no money, B is postpaid. The
    call goes to B; A never sees an INVITE."""
    t = SS.Topology()
    plan = t.plan()
    prices = t.rating_plan()
    t.rate(prices, "1", "0.60")
    t.customer(plan=plan, rating_plan=prices)
    costs = t.rating_plan()
    t.rate(costs, "1", "0.30")
    supplier_a = t.carrier(partner_type="supplier", credit={"supplier_credit_type": "prepaid",
                                                            "supplier_balance": "0"})
    a = t.trunk(supplier_a, L.free_port(), rating_plan=costs)
    b = t.trunk(t.supplier(), L.free_port(), rating_plan=costs)
    t.route(plan, "1", [a.service, b.service])
    ss.apply(t)
    uas_a = ss.uas(port=a.port)
    ss.uas(port=b.port)
    ss.start_switch()
    r = ss.call("15550006")
    assert r.rc == 0 and r.final_status == 200, r.describe()
    assert r.answered_by == b.port, r.describe()
    assert SS.received_invites(uas_a) == {}
    row = ss.db.wait_call(r.call_id)
    assert row["egress_service_id"] == b.service, row


def test_two_switches_share_one_account_without_overspending(ss, switch_db):
    """Two switches (node ids A and B) on one database and one prepaid
    account with money for 60 s at 0.60/min; steps of 10 s. A places two
    calls, B two more once A's holds are published. Together they are billed
    at most the balance plus one step (0.10) per switch."""
    t = SS.Topology()
    ing, a = rated_customer(t, "0.60", customer_balance="0.60")
    ss.apply(t)
    credit_config(ss, reservation_step_seconds=10, extend_lead_ms=2000, sync_interval_ms=200,
                  node_id='"switch-a"')
    uas = ss.uas(port=a.port, calls=4)
    ss.start_switch()
    other = ss.start_second_switch(extra_config='[credit]\nreservation_step_seconds = 10\n'
                                   'extend_lead_ms = 2000\nsync_interval_ms = 200\nnode_id = "switch-b"\n')
    first = wait_bye_calls(ss, "15550007", 2)
    SS.wait_for("switch A's holds in credit_holds", lambda: ss.db.scalar(
        "select count(*) from credit_holds where node_id = 'switch-a' and held > 0") == "1", timeout=15)
    second = ss.uac("15550007", calls=2, rate=20, scenario="uac-wait-bye.xml", global_timeout="60s",
                    remote=other)
    first.wait(timeout=90)
    second.wait(timeout=90)
    uas.wait(timeout=30)
    SS.wait_for("all records", lambda: ss.db.count() >= 1, timeout=15)
    SS.wait_for("records written", lambda: ss.db.scalar(
        "select count(*) from calls c where cost > 0 and not exists (select 1 from carrier_transactions t "
        "where t.call_uuid = c.uuid)") == "0", timeout=30)
    billed = D(ss.db.scalar("select coalesce(sum(cost), 0) from calls"))
    final = balance(ss, ing.carrier)
    assert billed <= D("0.60") + 2 * D("0.10"), f"billed {billed} for 0.60 of money"
    assert final >= -2 * D("0.10"), final
    assert final == D("0.60") - billed
