"""Wallet debits are exactly once through a PostgreSQL outage and kill -9
(issue 18 item 4): softphone calls (SIPp -au/-ap as alice) paid from her
wallet. Every call SIPp saw completed has one `calls` row and one
`transactions` debit, no call is debited twice, each debit equals its call's
cost, the debits' balance_after values follow one another, and the opening
balance minus the sum of the debits is the closing balance, exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

import softswitch as SS
from test_softswitch_wallet import USER, start, wallet_balance, wallet_world

pytestmark = pytest.mark.softswitch

D = Decimal
OPENING = D("1000")
NUMBER = "15551234"
CALLS = 300


def auth(ss) -> list[str]:
    return USER + ["-au", "alice", "-ap", "s3cret", "-auth_uri", f"{NUMBER}@{ss.switch.addr}"]


def assert_debited_once(ss, completed: set[str]) -> None:
    """One row and one debit per completed call, and the wallet's money adds up."""
    assert ss.db.wait_count(len(completed), timeout=60) == len(completed)
    rows = {r["call_sid"]: r for r in ss.db.calls()}
    assert set(rows) == completed, (len(rows), len(completed))
    assert all(r["user_id"] == 1 and r["status"] == "completed" for r in rows.values())
    debits = lambda: ss.db.rows(  # noqa: E731
        "select c.call_sid, t.amount, t.balance_after, c.cost from transactions t "
        "join calls c on c.uuid = t.uuid where t.type = 'debit' order by t.id")
    SS.wait_for("a debit per call", lambda: len(debits()) >= len(completed), timeout=30)
    found = debits()
    assert len(found) == len(completed) and {d[0] for d in found} == completed, len(found)
    running = OPENING
    for call_sid, amount, after, cost in found:
        running -= D(amount)
        assert D(amount) == D(cost) and D(amount) > 0, (call_sid, amount, cost)
        assert D(after) == running, (call_sid, after, running)
    assert wallet_balance(ss) == OPENING - sum(D(d[1]) for d in found) == running


def test_wallet_debits_through_a_postgres_outage(ss, pg):
    """PostgreSQL stops once debits are flowing and starts again after 200
    more calls (20 s at 10 calls a second) have completed on the journal alone."""
    _, egress = wallet_world(ss, rate="0.60", wallet=str(OPENING))
    uas = ss.uas(port=egress.port, calls=CALLS)
    start(ss)
    uac = ss.uac(NUMBER, calls=CALLS, rate=10, hold_ms=300, scenario="uac-auth.xml",
                 global_timeout="90s", extra=auth(ss))
    try:
        SS.wait_for("the first 30 debits", lambda: ss.db.count() >= 30, timeout=30)
        pg.stop()
        at_stop = len(SS.completed_call_ids(uac))
        SS.wait_for("200 more calls completing while PostgreSQL is down",
                    lambda: len(SS.completed_call_ids(uac)) >= at_stop + 200 or not uac.proc.alive(),
                    timeout=40, interval=0.2)
        down_for = len(SS.completed_call_ids(uac)) - at_stop
    finally:
        if not pg.running():
            pg.start()
    assert uac.wait(timeout=120) == 0, uac.summary()
    assert uas.wait(timeout=30) == 0, uas.summary()
    assert down_for >= 200, f"only {down_for} calls completed while PostgreSQL was down"
    completed = SS.completed_call_ids(uac)
    assert len(completed) == CALLS
    assert_debited_once(ss, completed)
    assert ss.stop_switch() == 0


def test_wallet_debits_through_kill_9_with_postgres_down(ss, pg):
    """PostgreSQL is down for 300 wallet-paid calls (every debit exists only
    in the journal), then kill -9; the switch is started again on the same
    journal with PostgreSQL back: every call debited once."""
    _, egress = wallet_world(ss, rate="0.60", wallet=str(OPENING))
    uas = ss.uas(port=egress.port, calls=CALLS)
    start(ss)
    try:
        pg.stop()
        uac = ss.uac(NUMBER, calls=CALLS, rate=30, hold_ms=300, scenario="uac-auth.xml",
                     global_timeout="60s", extra=auth(ss))
        assert uac.wait(timeout=90) == 0, uac.summary()
        ss.kill_switch()
    finally:
        if not pg.running():
            pg.start()
    assert uas.wait(timeout=30) == 0, uas.summary()
    completed = SS.completed_call_ids(uac)
    assert len(completed) == CALLS
    assert ss.db.count() == 0
    ss.start_switch()
    assert_debited_once(ss, completed)
    assert ss.stop_switch() == 0


def test_wallet_calls_up_when_the_switch_is_killed_are_debited_once_when_they_end(ss):
    """Five wallet-paid calls held 6 s; kill -9 once all five are answered, a
    new switch on the same journal takes them over from their checkpoints,
    the callers' BYEs end them through it, and each has one record (its whole
    duration, ended by the caller) and one wallet debit of its price, with
    the balance_after values chained."""
    _, egress = wallet_world(ss, rate="0.60", wallet=str(OPENING))
    uas = ss.uas(port=egress.port, calls=5)
    start(ss)
    uac = ss.uac(NUMBER, calls=5, rate=10, hold_ms=6000, scenario="uac-auth.xml",
                 global_timeout="60s", extra=auth(ss))
    SS.wait_for("five answers", lambda: sum(
        1 for m in uac.messages() if m.direction == "received" and m.status == 200
        and "INVITE" in (m.header("CSeq") or "")) >= 5, timeout=20)
    ss.kill_switch()
    ss.start_switch()
    assert ss.wait_log(r"calls=5 .*calls taken over from the last run", timeout=10), ss.switch_log()[-2000:]
    assert uac.wait(timeout=60) == 0, uac.summary()
    assert uas.wait(timeout=30) == 0, uas.summary()
    completed = SS.completed_call_ids(uac)
    assert len(completed) == 5
    assert_debited_once(ss, completed)
    for r in ss.db.calls():
        assert r["metadata"].get("ended_by") == "caller", r
        assert 5 <= r["duration_seconds"] <= 7, r
        assert D(r["cost"]) == D("0.01") * r["billable_seconds"], r
    assert ss.stop_switch() == 0


def test_wallet_debits_through_kill_9_in_the_middle_of_300_calls(ss):
    """300 wallet-paid calls at 30/s; kill -9 half way, while calls are being
    set up, answered and ended, and a new switch on the same journal: every
    call SIPp saw end has one record and one debit, no call is debited twice,
    and the wallet's money adds up over every row written."""
    _, egress = wallet_world(ss, rate="0.60", wallet=str(OPENING))
    uas = ss.uas(port=egress.port, calls=CALLS)
    start(ss)
    uac = ss.uac(NUMBER, calls=CALLS, rate=30, hold_ms=300, scenario="uac-auth.xml",
                 global_timeout="60s", extra=auth(ss))
    SS.wait_for("150 calls done", lambda: len(SS.completed_call_ids(uac)) >= 150 or not uac.proc.alive(),
                timeout=30, interval=0.1)
    ss.kill_switch()
    ss.start_switch()
    uac.wait(timeout=90)
    uas.wait(timeout=30)
    ended = SS.completed_call_ids(uac)
    assert 150 <= len(ended) <= CALLS, len(ended)
    SS.wait_for("a record for every ended call",
                lambda: ended <= {r[0] for r in ss.db.rows("select call_sid from calls")}, timeout=60)
    debits = lambda: ss.db.rows(  # noqa: E731
        "select c.call_sid, t.amount, t.balance_after, c.cost from transactions t "
        "join calls c on c.uuid = t.uuid where t.type = 'debit' order by t.id")
    priced = lambda: int(ss.db.scalar("select count(*) from calls where cost > 0"))  # noqa: E731
    SS.wait_for("a debit per priced record", lambda: len(debits()) == priced(), timeout=30)
    assert ss.stop_switch() == 0
    found = debits()
    assert len({d[0] for d in found}) == len(found) == priced(), "a call debited twice or not at all"
    assert ended <= {d[0] for d in found}, "an ended call without its debit"
    running = OPENING
    for call_sid, amount, after, cost in found:
        running -= D(amount)
        assert D(amount) == D(cost) and D(amount) > 0, (call_sid, amount, cost)
        assert D(after) == running, (call_sid, after, running)
    assert wallet_balance(ss) == running
