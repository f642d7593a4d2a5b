"""`didtron-switch rate` against the daemon's own records (issue 17, rule 10).

A few rated calls go through the switch (SIPp caller, two SIPp suppliers, a
priced customer with a margin rule); then the command prices a CSV of the
same inputs (the number as routed, the start, the answered duration, the
ingress service, all read back from `calls`) plus generated lines up to
100,000, and its prices for the live calls must equal the records'.
"""

from __future__ import annotations

import csv
import io
import os
import random
import subprocess
from datetime import datetime
from decimal import Decimal

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

TOTAL_LINES = 100_000


def rate(ss, stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([os.environ["DIDTRON_BIN"], "rate", "--database-url", ss.db.url, *args],
                          input=stdin, capture_output=True, text=True, timeout=120)


def duration_ms(row: dict) -> int:
    answered = datetime.fromisoformat(row["answered_at"])
    ended = datetime.fromisoformat(row["ended_at"])
    return round((ended - answered).total_seconds() * 1000)


def test_the_rate_command_prices_live_calls_as_the_daemon_recorded_them(ss):
    t = SS.Topology()
    plan = t.plan(route_order="lcr")
    prices = t.rating_plan(initial=6, recurring=6, margin="absolute", min_margin="0.001")
    t.rate(prices, "44", "0.020", connection_fee="0.010")
    t.rate(prices, "4420", "0.100")
    t.rate(prices, "", "0.300")
    customer = t.customer(plan=plan, rating_plan=prices)
    # A: dearer, and above the customer's price for 4415 (below the margin);
    # B: the cheapest, on 30/6.
    costs_a = t.rating_plan()
    t.rate(costs_a, "4", "0.019")
    t.rate(costs_a, "4415", "0.030")
    a = t.trunk(t.supplier(), L.free_port(), rating_plan=costs_a)
    costs_b = t.rating_plan(initial=30, recurring=6)
    t.rate(costs_b, "4", "0.008")
    t.rate(costs_b, "", "0.010")
    b = t.trunk(t.supplier(), L.free_port(), rating_plan=costs_b)
    t.route(plan, "44", [(a.service, 1), (b.service, 1)])
    t.route(plan, "", [b.service])
    ss.apply(t)
    ss.uas(port=a.port)
    ss.uas(port=b.port)
    ss.start_switch()

    # Held 1.5 s: billed 6 s (customer) and 30 s (B) whatever the machine adds.
    numbers = ["4420555000", "4415555000", "33155500000"]
    runs = {n: ss.uac(n, hold_ms=1500) for n in numbers}
    rows = []
    for number, run in runs.items():
        result = SS.call_result(run, run.wait(timeout=30))
        assert result.rc == 0 and result.final_status == 200, result.describe()
        rows.append(ss.db.wait_call(result.call_id))
    for row in rows:
        assert row["cost"] is not None and row["supplier_cost"] is not None, row

    lines = ["id,service,plan,number,start,duration_ms"]
    for row in rows:
        lines.append(f"{row['uuid']},{row['ingress_service_id']},,{row['to_number']},"
                     f"{row['started_at']},{duration_ms(row)}")
    generator = random.Random(17)
    while len(lines) <= TOTAL_LINES:
        number = generator.choice(["44", "4420", "33", "1", "4412"]) + str(generator.randrange(10**8))
        start = f"2026-{generator.randrange(1, 13):02d}-{generator.randrange(1, 29):02d}T" \
                f"{generator.randrange(24):02d}:{generator.randrange(60):02d}:00Z"
        duration = "" if generator.random() < 0.1 else str(generator.randrange(0, 3_600_000))
        pricing = f"{customer.service}," if generator.random() < 0.8 else f",{prices}"
        lines.append(f"g{len(lines)},{pricing},{number},{start},{duration}")

    out = rate(ss, "\n".join(lines) + "\n")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stderr == ""
    priced = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len([p for p in priced if p["row"] in ("customer", "refused")]) == TOTAL_LINES
    by_id: dict[str, list[dict]] = {}
    for p in priced:
        by_id.setdefault(p["id"], []).append(p)

    for row in rows:
        got = by_id[row["uuid"]]
        mine = next(p for p in got if p["row"] == "customer")
        assert Decimal(mine["amount"]) == Decimal(row["cost"]), (mine, row)
        assert int(mine["billable_seconds"]) == row["billable_seconds"], (mine, row)
        assert mine["prefix"] == row["rate_prefix"] and mine["currency"] == row["currency"], (mine, row)
        assert Decimal(mine["rate_per_minute"]) == Decimal(row["rate_per_minute"]), (mine, row)
        first = next(p for p in got if p["row"] == "supplier" and p["rank"] == "1")
        assert first["service"] == row["egress_service_id"], (first, row)
        assert Decimal(first["amount"]) == Decimal(row["supplier_cost"]), (first, row)
        assert int(first["billable_seconds"]) == row["supplier_billable_seconds"], (first, row)
        assert Decimal(first["margin"]) == Decimal(row["margin"]), (first, row)

    # 4420 at 0.100 on 6/6 keeps the margin over A too: B first (least cost), then A.
    ranks = [(p["rank"], p["service"]) for p in by_id[rows[0]["uuid"]] if p["row"] == "supplier"]
    assert ranks == [("1", b.service), ("2", a.service)]
    # 4415: A costs more than the customer pays and is skipped, as the switch did.
    kept = [(p["row"], p["service"], p["note"]) for p in by_id[rows[1]["uuid"]] if p["row"] != "customer"]
    assert kept == [("supplier", b.service, ""), ("skipped", a.service, "below_margin")]

    # Re-rating the period: nothing changed, nothing printed; a new price shows.
    since, until = "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"
    same = rate(ss, "", "--rerate", "--from", since, "--to", until)
    assert same.returncode == 0 and same.stdout.splitlines() == [
        "call_uuid,side,rating_plan,stored_prefix,new_prefix,stored_amount,new_amount,currency,note"], same
    ss.db.sql(f"update rating_plan_rates set rate_per_minute = 0.200 where rating_plan_id = "
              f"{SS.lit(prices)} and prefix = '4420';")
    changed = rate(ss, "", "--rerate", "--from", since, "--to", until)
    assert changed.returncode == 0, changed.stderr
    diff = list(csv.DictReader(io.StringIO(changed.stdout)))
    assert [(d["call_uuid"], d["side"]) for d in diff] == [(rows[0]["uuid"], "customer")], diff
    assert Decimal(diff[0]["new_amount"]) == 2 * Decimal(rows[0]["cost"]), diff


def test_bad_lines_are_named_and_the_others_priced(ss):
    t = SS.Topology()
    prices = t.rating_plan()
    t.rate(prices, "44", "0.060")
    ss.apply(t)
    out = rate(ss, "plan,number,start,duration_ms\n"
                   f"{prices},44123,2026-12-07T08:00:00Z,30000\n"
                   f"{prices},44123,noon,30000\n"
                   f"{prices},33,2026-12-07T08:00:00Z,30000\n")
    assert out.returncode == 1
    assert "line 3: start: not an ISO-8601 instant with a zone (\"noon\")" in out.stderr
    priced = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(p["line"], p["row"], p["amount"], p["note"]) for p in priced] == [
        ("2", "customer", "0.030000", ""), ("4", "refused", "", "403 No Customer Rate")]
    one = rate(ss, "", "--plan", prices, "--number", "+4420", "--start", "2026-12-07T08:00:00Z",
               "--duration-ms", "1")
    assert one.returncode == 0, one.stderr
    assert list(csv.DictReader(io.StringIO(one.stdout)))[0]["amount"] == "0.001000"
