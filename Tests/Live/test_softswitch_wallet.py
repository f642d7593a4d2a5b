"""Wallets pay for their users' calls (docs/softphones.md "Wallets pay",
issue 18 items 3 and 4): SIPp calls as the softphone user alice (-au/-ap,
MD5), rated by the retail carrier's ingress service; alice's wallet is
admitted, reserved in steps and cut like a carrier's account, and each
answered call writes one `transactions` debit with its balance_after, in the
transaction of its `calls` row. The retail carrier's account is not charged.

Money is compared as Decimal, to the minor unit (numeric(20,6))."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

D = Decimal
DOMAIN = "example.com"
USER = ["-set", "user", "alice", "-set", "domain", DOMAIN]
RETAIL_BALANCE = D("1000000")


def wallet_world(ss, *, rate: str, wallet: str) -> tuple[str, SS.Egress]:
    """alice (user 1) of a retail carrier whose ingress service prices 1...
    at `rate`/min in 1/1 increments; her wallet (id 5, USD) holds `wallet`."""
    t = SS.Topology()
    plan = t.plan()
    prices = t.rating_plan(initial=1, recurring=1)
    t.rate(prices, "1", rate)
    retail = t.carrier(partner_type="customer")
    trunk = t.interconnect(retail, "ingress")
    t.service(retail, trunk, "ingress", plan=plan, rating_plan=prices)
    egress = t.trunk(t.supplier(), L.free_port())
    t.route(plan, "1", [egress.service])
    ss.apply(t)
    ss.db.sql(f"""
        INSERT INTO users (id, email, status, carrier_id) VALUES (1, 'alice@example.com', 'active', '{retail}');
        INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password)
        VALUES (1, 'phone', 'android', 'alice', 's3cret');
        INSERT INTO phone_numbers (id, user_id, number, is_primary) VALUES (8, 1, '15550001001', true);
        INSERT INTO wallets (id, user_id, balance, currency) VALUES (5, 1, {wallet}, 'USD');
        """)
    return retail, egress


def start(ss, **credit) -> None:
    lines = [f"{k} = {v}" for k, v in credit.items()]
    ss.config.write_text(SS.SWITCH_CONFIG + f'\n[registrar]\ndomains = ["{DOMAIN}"]\n'
                         'digest_algorithms = ["MD5"]\n\n[credit]\n' + "\n".join(lines) + "\n")
    ss.start_switch()
    assert ss.wait_log(r"sip_credentials=1 ")


def wallet_balance(ss) -> Decimal:
    return D(ss.db.scalar("select balance from wallets where id = 5"))


def test_a_wallet_shared_by_three_concurrent_calls_pays_exactly_its_balance(ss):
    """3.60/min (0.06 a second) and a wallet of 0.54 (9 s of talk): three
    calls placed at once are cut with BYE to both sides; together they are
    billed the balance to within one interval (0.06), the wallet ends at zero
    or above, and each call has one debit whose balance_after follows."""
    retail, egress = wallet_world(ss, rate="3.60", wallet="0.54")
    uas = ss.uas(port=egress.port, calls=3)
    start(ss, reservation_step_seconds=2, extend_lead_ms=500)
    number = "15551234"
    uac = ss.uac(number, calls=3, rate=30, scenario="uac-auth-wait-bye.xml", global_timeout="40s",
                 extra=USER + ["-au", "alice", "-ap", "s3cret", "-auth_uri", f"{number}@{ss.switch.addr}"])
    assert uac.wait(timeout=50) == 0, uac.summary()
    assert uas.wait(timeout=20) == 0, uas.summary()
    assert ss.db.wait_count(3) == 3
    rows = ss.db.calls()
    assert all(r["metadata"].get("ended_by") == "credit" for r in rows), rows
    assert all(r["user_id"] == 1 and r["direction"] == "outbound" for r in rows), rows
    billed = sum(D(r["cost"]) for r in rows)
    assert D("0.54") - D("0.06") < billed <= D("0.54"), f"billed {billed} for a wallet of 0.54: {rows}"

    debits = lambda: ss.db.rows(  # noqa: E731
        "select c.uuid, t.type, t.category, t.amount, t.balance_after, t.reference_type, "
        "(t.reference_id = c.id)::text, t.user_id, t.wallet_id, c.cost "
        "from transactions t join calls c on c.uuid = t.uuid order by t.id")
    SS.wait_for("three debits", lambda: len(debits()) == 3, timeout=15)
    running = D("0.54")
    for uuid, kind, category, amount, after, ref_type, ref_ok, user, wallet, cost in debits():
        running -= D(amount)
        assert (kind, category, ref_type, ref_ok, user, wallet) == \
            ("debit", "call", "call", "true", "1", "5"), (uuid, kind, category, ref_type, ref_ok)
        assert D(amount) == D(cost) and D(after) == running, (uuid, amount, cost, after, running)
    final = wallet_balance(ss)
    assert final >= 0 and final == D("0.54") - billed, (final, billed)
    # One debit per call, and the retail carrier is not charged for its user's calls.
    assert int(ss.db.scalar("select count(distinct uuid) from transactions")) == 3
    assert D(ss.db.scalar(f"select customer_balance from carriers where id = {SS.lit(retail)}")) \
        == RETAIL_BALANCE
    assert ss.db.scalar(f"select count(*) from carrier_transactions where carrier_id = {SS.lit(retail)}") \
        == "0"


def test_an_empty_wallet_is_refused_402_and_a_top_up_reaches_the_switch(ss):
    """A wallet of 0.005 cannot pay the first second at 0.60/min: 402
    Insufficient Wallet Balance. The portal tops it up (a credit row and a
    new balance): the credit sync reads it within its interval and the next
    call goes through and is debited."""
    _, egress = wallet_world(ss, rate="0.60", wallet="0.005")
    ss.uas(port=egress.port, calls=1)
    start(ss, sync_interval_ms=200)
    number = "15551234"
    auth = USER + ["-au", "alice", "-ap", "s3cret", "-auth_uri", f"{number}@{ss.switch.addr}"]
    refused = ss.uac(number, scenario="uac-auth.xml", global_timeout="10s", extra=auth)
    refused.wait(timeout=20)
    finals = [m.start_line for m in refused.messages()
              if m.direction == "received" and (m.status or 0) >= 300 and m.status != 407]
    assert finals and finals[0] == "SIP/2.0 402 Insufficient Wallet Balance", finals
    assert ss.db.scalar("select count(*) from transactions") == "0"

    ss.db.sql("""
        BEGIN;
        UPDATE wallets SET balance = balance + 1 WHERE id = 5;
        INSERT INTO transactions (user_id, wallet_id, type, category, amount, balance_after)
        VALUES (1, 5, 'credit', 'recharge', 1, 1.005);
        COMMIT;
        """)
    # The documented lag: one credit sync interval (200 ms here).
    time.sleep(1)
    ok = ss.uac(number, scenario="uac-auth.xml", global_timeout="15s", hold_ms=1000, extra=auth)
    assert ok.wait(timeout=25) == 0, ok.summary()
    SS.wait_for("the debit", lambda: ss.db.scalar(
        "select count(*) from transactions where type = 'debit'") == "1", timeout=15)
    amount, after = ss.db.rows("select amount, balance_after from transactions where type = 'debit'")[0]
    assert D(after) == D("1.005") - D(amount) and wallet_balance(ss) == D(after), (amount, after)


def test_a_call_that_takes_the_wallet_below_its_threshold_asks_for_a_recharge_once(ss):
    """Item 6: auto_recharge below 0.95 on a wallet of 1.00; a call of about
    6 s at 0.60/min takes it below: one wallet_events row (auto_recharge,
    with its amount; its NOTIFY is checked by WalletDatabaseTests); a second
    call below the threshold writes no second one."""
    _, egress = wallet_world(ss, rate="0.60", wallet="1.00")
    ss.db.sql("UPDATE wallets SET auto_recharge = true, auto_recharge_amount = 20, "
              "auto_recharge_threshold = 0.95 WHERE id = 5")
    ss.uas(port=egress.port, calls=2)
    start(ss, sync_interval_ms=200)
    number = "15551234"
    auth = USER + ["-au", "alice", "-ap", "s3cret", "-auth_uri", f"{number}@{ss.switch.addr}"]
    for n in (1, 2):
        run = ss.uac(number, scenario="uac-auth.xml", global_timeout="20s", hold_ms=6000, extra=auth)
        assert run.wait(timeout=30) == 0, run.summary()
        SS.wait_for(f"debit {n}", lambda: ss.db.scalar(
            "select count(*) from transactions where type = 'debit'") == str(n), timeout=15)
    SS.wait_for("the recharge request", lambda: ss.db.scalar("select count(*) from wallet_events") == "1",
                timeout=10)
    time.sleep(1)  # five sync intervals: no second event for the same crossing
    rows = ss.db.rows("select event_type, threshold, auto_recharge_amount, balance < threshold from wallet_events")
    assert rows == [["auto_recharge", "0.950000", "20.000000", "t"]], rows
    assert ss.db.scalar("select auto_recharge_requested_at is not null from wallets where id = 5") == "t"
