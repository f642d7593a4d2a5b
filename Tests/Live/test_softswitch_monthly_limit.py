"""Monthly call limits (seed 003, migration 0020, docs/softphones.md
"Monthly call limits"): alice's plan allows one answered call a month.
SIPp places it (407, -au/-ap); the second is refused with 403 Monthly Call
Limit Reached, by this switch and by a second switch on the same database;
after a restart the count read back from usage_tracking still refuses it."""

from __future__ import annotations

import time

import pytest

import livelib as L
import softswitch as SS
from test_softswitch_softphone import USER, retail_world, start

pytestmark = pytest.mark.softswitch


def call(ss, number: str = "15551234", switch: str | None = None) -> list[int]:
    switch = switch or ss.switch.addr
    run = ss.uac(number, scenario="uac-auth.xml", remote=switch,
                 extra=USER + ["-au", "alice", "-ap", "s3cret", "-auth_uri", f"{number}@{switch}"],
                 global_timeout="15s")
    run.wait(timeout=30)
    return [m.status for m in run.messages() if m.direction == "received" and m.status]


def test_the_call_past_the_plans_limit_is_refused_and_the_count_survives_a_restart(ss):
    egress = retail_world(ss)
    ss.db.sql("""
        INSERT INTO subscription_plans (id, name, phone_calls_limit) VALUES ('free', 'Free', 1);
        UPDATE users SET subscription_plan_id = 'free' WHERE id = 1;
        """)
    ss.uas(port=egress.port)
    start(ss)
    # A second switch on the database, reading the counts every 100 ms.
    second = ss.start_second_switch(f'[registrar]\ndomains = ["example.com"]\ndigest_algorithms = ["MD5"]\n'
                                    '[credit]\nsync_interval_ms = 100\n')
    assert 200 in call(ss)
    assert ss.db.wait_count(1, "user_id = 1 AND answered_at IS NOT NULL") == 1
    assert ss.db.scalar("SELECT calls_used FROM usage_tracking WHERE user_id = 1") == "1"
    statuses = call(ss)
    assert 403 in statuses and 200 not in statuses, statuses
    assert "Monthly Call Limit Reached" in ss.switch_log()
    time.sleep(0.5)  # five of the second switch's count reads
    statuses = call(ss, switch=second)
    assert 403 in statuses and 200 not in statuses, statuses
    ss.stop_switch()
    ss.start_switch()
    statuses = call(ss)
    assert 403 in statuses and 200 not in statuses, statuses
    assert ss.db.count("user_id = 1 AND answered_at IS NOT NULL") == 1
