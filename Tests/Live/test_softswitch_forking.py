"""Parallel forking to a user's registered devices (docs/softphones.md
"Forking", RFC 3261 §16.7): two SIPp processes register as alice's two
devices (`alice`, `alice-m`), each then listens as a UAS on the port it
registered from. bob calls alice's number on-net: both devices get the
INVITE at once; the desk answers, the mobile rings until the switch's
CANCEL and answers it 487; bob's call completes and is one `calls` row."""

from __future__ import annotations

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

DOMAIN = "example.com"


def world(ss) -> None:
    ss.db.sql("""
        INSERT INTO users (id, email, status) VALUES (1, 'alice@example.com', 'active'),
                                                     (2, 'bob@example.com', 'active');
        INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password)
        VALUES (1, 'desk', 'android', 'alice', 's3cret'), (1, 'mobile', 'ios', 'alice-m', 'm0bile'),
               (2, 'phone', 'android', 'bob', 'b0b');
        INSERT INTO phone_numbers (id, user_id, number, is_primary) VALUES (8, 1, '15550001001', true),
                                                                         (9, 2, '15550002002', true);
        """)
    ss.config.write_text(SS.SWITCH_CONFIG + f'\n[registrar]\ndomains = ["{DOMAIN}"]\n'
                         'digest_algorithms = ["MD5"]\n')
    ss.start_switch()
    assert ss.wait_log(r"sip_credentials=3 ")


def register(ss, user: str, password: str) -> int:
    """Registers `user` from a fresh port; returns that port (the binding)."""
    port = L.free_port()
    run = L.start_sipp(ss.reg, ss.workdir, ss._role("register"), "register-user.xml", port,
                       remote=ss.switch.addr, calls=1,
                       extra=["-set", "user", user, "-set", "domain", DOMAIN, "-au", user, "-ap", password,
                              "-auth_uri", DOMAIN],
                       global_timeout="20s")
    ss.sipps.append(run)
    assert run.wait(timeout=30) == 0, run.summary()
    return port


def test_both_devices_ring_one_answers_the_other_gets_cancel(ss):
    world(ss)
    desk = ss.uas("uas.xml", port=register(ss, "alice", "s3cret"), calls=1, global_timeout="30s")
    mobile = ss.uas("uas-cancel.xml", port=register(ss, "alice-m", "m0bile"), calls=1, global_timeout="30s")
    caller = ss.uac("15550001001", scenario="uac-auth.xml",
                    extra=["-set", "user", "bob", "-set", "domain", DOMAIN, "-au", "bob", "-ap", "b0b",
                           "-auth_uri", f"15550001001@{ss.switch.addr}"],
                    global_timeout="30s")
    assert caller.wait(timeout=40) == 0, caller.summary()
    # The mobile's scenario ends with the ACK of its 487: it saw the CANCEL.
    assert mobile.wait(timeout=20) == 0, mobile.summary()
    assert desk.wait(timeout=20) == 0, desk.summary()
    for uas in (desk, mobile):
        invites = [m for m in uas.messages() if m.direction == "received" and m.method == "INVITE"]
        assert len(invites) == 1, uas.summary()
    assert any(m.direction == "received" and m.method == "CANCEL" for m in mobile.messages())
    assert not any(m.direction == "received" and m.method == "CANCEL" for m in desk.messages())
    statuses = [m.status for m in caller.messages() if m.direction == "received" and m.status]
    assert 200 in statuses and 487 not in statuses, statuses
    call_id = next(m.call_id for m in caller.messages() if m.direction == "sent" and m.method == "INVITE")
    row = ss.db.wait_call(call_id)
    assert row["status"] == "completed", row
    assert row["user_id"] == 2, row
    assert ss.db.count() == 1
