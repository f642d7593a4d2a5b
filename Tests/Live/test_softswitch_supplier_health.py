"""Supplier health (issue 21 item 4, docs/operations.md): an egress
interconnect with options_probe gets OPTIONS every second; stopped, it is
marked down within health.failures_to_down probes and calls go to the next
route without trying it (no failover wait); back, it is marked up within
health.successes_to_up probes and takes calls again. The suppliers are SIPp
UAS processes with -aa (they answer OPTIONS 200); "stopped" is a UDP socket
on the supplier's port that swallows everything, which without health checks
would cost every call proxy.failover_timeout_ms (3 s)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

_SAMPLE = re.compile(r'^([a-z_]+)(?:\{([^}]*)\})? (-?\d+)$')


def scrape(port: int) -> dict[str, int]:
    import urllib.request
    with urllib.request.urlopen(f"http://{L.LOOPBACK}:{port}/metrics", timeout=5) as r:
        body = r.read().decode()
    out = {}
    for line in body.splitlines():
        m = _SAMPLE.match(line)
        if m:
            out[m.group(1) + (f"{{{m.group(2)}}}" if m.group(2) else "")] = int(m.group(3))
    return out


def supplier(ss, port: int) -> L.SippRun:
    run = L.start_sipp(ss.reg, ss.workdir, ss._role(f"uas-{port}"), "uas.xml", port, "u1",
                       wait_bound=True, extra=["-aa"])
    ss.sipps.append(run)
    return run


def up_value(port: int, interconnect: str) -> int | None:
    m = scrape(port)
    for key, value in m.items():
        if key.startswith("didtron_interconnect_up{") and f'interconnect_id="{interconnect}"' in key:
            return value
    return None


def trunk_health(ss, admin_port: int, token_file) -> dict[str, tuple[str, str | None]]:
    """interconnect id -> (health, last_probe) as `didtron-switch ctl trunks --json` shows them."""
    env = dict(os.environ, DIDTRON_ADMIN_URL=f"http://{L.LOOPBACK}:{admin_port}",
               DIDTRON_ADMIN_TOKEN_FILE=str(token_file))
    r = subprocess.run([os.environ["DIDTRON_BIN"], "ctl", "trunks", "--json"], capture_output=True,
                       text=True, timeout=20, env=env)
    assert r.returncode == 0, r.stderr
    return {i["id"]: (i["health"], i["last_probe"]) for i in json.loads(r.stdout)["interconnects"]}


def test_a_silent_supplier_is_marked_down_skipped_at_once_and_back_up(ss):
    t = SS.Topology()
    plan = t.plan()
    customer = t.customer(plan=plan)
    sup = t.supplier()
    a, b = t.trunk(sup, L.free_port()), t.trunk(sup, L.free_port())
    t.route(plan, "1", [a.service, b.service])
    ss.apply(t)
    ss.db.sql("update carrier_interconnects set options_probe = true, "
              f"options_probe_interval_seconds = 1 where id = {SS.lit(a.interconnect)};")
    metrics, admin = L.free_port(), L.free_port()
    token_file = ss.workdir / "admin-token"
    token_file.write_text("live:health-test-token-0123456789\n")
    os.chmod(token_file, 0o600)
    ss.config.write_text(
        SS.SWITCH_CONFIG + f'\n[metrics]\nlisten = "{L.LOOPBACK}:{metrics}"\n'
        f'\n[admin]\nlisten = "{L.LOOPBACK}:{admin}"\ntoken_file = "{token_file}"\n'
        "\n[health]\nprobe_timeout_ms = 500\nfailures_to_down = 2\nsuccesses_to_up = 2\n")
    uas_a = supplier(ss, a.port)
    ss.uas(port=b.port)
    ss.start_switch()

    # Probed and answered: up, and calls go to the first route.
    SS.wait_for("a probe of trunk a answered", lambda: scrape(metrics).get(
        f'didtron_interconnect_probes_total{{interconnect_id="{a.interconnect}",carrier_id="{sup}",'
        'result="ok"}', 0) >= 1, timeout=10)
    assert up_value(metrics, a.interconnect) == 1
    assert up_value(metrics, b.interconnect) is None, "trunk b has no options_probe: not probed"
    seen = trunk_health(ss, admin, token_file)
    assert seen[a.interconnect] == ("up", "200") and seen[b.interconnect] == ("not_probed", None), seen
    r = ss.call("15550001111")
    assert r.rc == 0 and r.answered_by == a.port, r.describe()

    # Trunk a goes silent: down within 2 probes (1 s apart, 0.5 s timeout).
    ss.reg.stop(uas_a.proc, grace=3.0)
    since = ss.log_size()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind((L.LOOPBACK, a.port))
        silent.setblocking(False)
        m = ss.wait_log("interconnect_id=" + a.interconnect + r" .*supplier interconnect down", timeout=8,
                        since=since)
        assert m, ss.switch_log()[-3000:]
        assert up_value(metrics, a.interconnect) == 0
        assert trunk_health(ss, admin, token_file)[a.interconnect] == ("down", "timeout")
        # A call now goes straight to trunk b: trunk a gets no INVITE.
        r = ss.call("15550002222")
        assert r.rc == 0 and r.answered_by == b.port, r.describe()
        row = ss.db.wait_call(r.call_id)
        assert row["routes_tried"] == 1 and row["egress_service_id"] == b.service, row
        got = b""
        while True:
            try:
                got += silent.recv(65535) + b"\n--\n"
            except BlockingIOError:
                break
        assert b"OPTIONS sip:" in got, got[:500]
        assert b"INVITE sip:" not in got, "the down trunk was tried"
    # Back: up within 2 answered probes; calls go to it again.
    since = ss.log_size()
    supplier(ss, a.port)
    m = ss.wait_log("interconnect_id=" + a.interconnect + r" .*supplier interconnect up again", timeout=8,
                    since=since)
    assert m, ss.switch_log()[-3000:]
    assert up_value(metrics, a.interconnect) == 1
    assert trunk_health(ss, admin, token_file)[a.interconnect] == ("up", "200")
    r = ss.call("15550003333")
    assert r.rc == 0 and r.answered_by == a.port, r.describe()
    # Quality per carrier (docs/operations.md): three calls in, two answered
    # by trunk a and one by trunk b, all of them rang (PDD observed).
    m = SS.wait_for("the third call in the quality series", lambda: (v := scrape(metrics)).get(
        f'didtron_carrier_answered_total{{side="ingress",carrier_id="{customer.carrier}",'
        f'interconnect_id="{customer.interconnect}"}}') == 3 and v, timeout=10)
    for trunk, answered in [(a, 2), (b, 1)]:
        leg = f'side="egress",carrier_id="{sup}",interconnect_id="{trunk.interconnect}"'
        assert m[f"didtron_carrier_attempts_total{{{leg}}}"] == answered, m
        assert m[f"didtron_carrier_answered_total{{{leg}}}"] == answered, m
        assert m[f"didtron_carrier_asr_percent{{{leg}}}"] == 100
        assert m[f"didtron_carrier_pdd_milliseconds_count{{{leg}}}"] == answered
        assert m[f'didtron_carrier_pdd_milliseconds_bucket{{{leg},le="+Inf"}}'] == answered
    changes = scrape(metrics)[
        f'didtron_interconnect_state_changes_total{{interconnect_id="{a.interconnect}",carrier_id="{sup}"}}']
    assert changes == 2
    assert ss.stop_switch() == 0
