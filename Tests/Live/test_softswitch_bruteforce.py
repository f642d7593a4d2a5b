"""Brute force against the registrar (issue 15, defect 5): SIPVicious
`svcrack` (from PyPI, scripts/install-deps) guesses a 4-digit password with
MD5 digest. Without the throttle it finds it in seconds; with it (the
default: 5 failures in 60 s block the source) it must not: the switch goes
silent for the attacker, svcrack gives up, the metrics count the failures
and the block, one log line names the source and the user it tried, and the
user's phone (registered before, from another address) and another user
(from a third address) still register during the attack."""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

import livelib as L
import softswitch as SS
from test_softswitch_metrics import scrape

SVCRACK = shutil.which("sipvicious_svcrack")
pytestmark = [
    pytest.mark.softswitch,
    pytest.mark.skipif(SVCRACK is None, reason="sipvicious_svcrack is not installed (pip install sipvicious)"),
]

DOMAIN = "example.com"
# In svcrack's range below, far enough in to need ~420 guesses: at ~180
# guesses a second it is found within seconds when nothing stops it.
PASSWORD = "0420"
ATTACKER = L.LOOPBACK          # 127.0.0.1
PHONE = "127.0.0.2"            # alice's phone, registered before the attack
OTHER = "127.0.0.3"            # bob, never seen before the attack


def start(ss, *, limit: int | None = None) -> int:
    """The switch with the registrar (MD5 only, as svcrack speaks) and metrics; returns the metrics port."""
    ss.db.sql(f"""
        INSERT INTO users (id, email, status) VALUES (1, 'alice@example.com', 'active'),
                                                     (2, 'bob@example.com', 'active');
        INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password)
        VALUES (1, 'phone', 'android', 'alice', '{PASSWORD}'), (2, 'phone', 'ios', 'bob', 'b0b');
        """)
    port = L.free_port()
    throttle = "" if limit is None else f"auth_failure_limit = {limit}\n"
    ss.config.write_text(SS.SWITCH_CONFIG + f'\n[registrar]\ndomains = ["{DOMAIN}"]\n'
                         f'digest_algorithms = ["MD5"]\n{throttle}'
                         f'\n[metrics]\nlisten = "{L.LOOPBACK}:{port}"\n')
    ss.start_switch()
    assert ss.wait_log(r"sip_credentials=2 ")
    return port


def svcrack(ss) -> subprocess.Popen:
    """svcrack against alice, passwords 0001..9999, from 127.0.0.1."""
    out = open(ss.workdir / "svcrack.out", "wb")
    return subprocess.Popen(
        [SVCRACK, "-u", "alice", "-r", "1-9999", "-z", "4", "--domain", DOMAIN,
         "-p", str(ss.port), "-b", ATTACKER, "-x", ATTACKER, ATTACKER],
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ss.workdir)


def finish(ss, proc: subprocess.Popen, timeout: float) -> str:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    return (ss.workdir / "svcrack.out").read_text(errors="replace")


def cracked(out: str) -> bool:
    """Whether svcrack reports the password (its result table, or its log line)."""
    return re.search(rf"alice\s*\|\s*{PASSWORD}\b|password for alice is {PASSWORD}", out) is not None


def register(ss, user: str, password: str, source: str) -> L.SippRun:
    """SIPp registers `user` from `source` (register-digest.xml, answering the 401)."""
    scenario = L.SCENARIOS / "register-digest.xml"
    if user != "alice":
        copy = ss.workdir / f"register-{user}.xml"
        copy.write_text(scenario.read_text().replace("alice", user))
        scenario = copy
    run = L.start_sipp(ss.reg, ss.workdir, ss._role(f"register-{user}"), str(scenario), L.free_port(),
                       remote=ss.switch.addr, calls=1, extra=["-au", user, "-ap", password, "-auth_uri", DOMAIN],
                       global_timeout="10s", local_ip=source)
    ss.sipps.append(run)
    return run


def test_svcrack_finds_the_password_when_the_throttle_is_off(ss):
    """The control: the same attack with auth_failure_limit = 0 (the code
    before the throttle) finds the password, so the test below means something."""
    start(ss, limit=0)
    began = time.monotonic()
    out = finish(ss, svcrack(ss), timeout=60)
    assert cracked(out), out[-2000:]
    print(f"unthrottled svcrack found {PASSWORD} in {time.monotonic() - began:.1f} s")


def test_svcrack_does_not_find_a_4_digit_password(ss):
    metrics = start(ss)
    phone = register(ss, "alice", PASSWORD, PHONE)
    assert phone.wait(timeout=15) == 0, phone.summary()

    since = ss.log_size()
    began = time.monotonic()
    attack = svcrack(ss)
    line = ss.wait_log(r"(?m)^.*authentication failures: source blocked.*$", since=since, timeout=15)
    assert line, ss.switch_log()[-3000:]
    assert f"source={ATTACKER}" in line.group(0) and "users=alice" in line.group(0), line.group(0)

    # During the attack: alice's phone refreshes from its address, bob registers from a new one.
    refresh = register(ss, "alice", PASSWORD, PHONE)
    other = register(ss, "bob", "b0b", OTHER)
    assert refresh.wait(timeout=15) == 0, refresh.summary()
    assert other.wait(timeout=15) == 0, other.summary()

    # svcrack gives up after 10 s without an answer; it must not have found it within 60 s.
    out = finish(ss, attack, timeout=max(1.0, 60 - (time.monotonic() - began)))
    took = time.monotonic() - began
    assert not cracked(out) and "found nothing" in out, out[-2000:]
    print(f"svcrack stopped after {took:.1f} s without the password")

    values = scrape(metrics)
    assert values["didtron_auth_failures_total"] == 5, values
    assert values['didtron_auth_blocks_total{scope="source"}'] == 1, values
    assert values['didtron_auth_blocked_total{scope="source"}'] >= 1, values
    # One line per source per interval, never one per dropped request.
    assert len(re.findall(r"source blocked", ss.switch_log())) == 1, ss.switch_log()[-3000:]
    assert ss.stop_switch() == 0
