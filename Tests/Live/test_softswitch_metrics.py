"""Metrics: GET /metrics reports what the switch did (calls, refusals,
malformed messages, call records, reloads), GET /health turns to 503 while
the switch drains, and a metrics port that cannot be bound stops the start
with a message that names it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import urllib.error
import urllib.request

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

NUMBER = "15556660000"
_SAMPLE = re.compile(r'^([a-z_]+)(?:\{([^}]*)\})? (-?\d+)$')


def get(port: int, path: str) -> tuple[int, str, str]:
    """(status, content type, body) of GET http://127.0.0.1:port/path."""
    try:
        with urllib.request.urlopen(f"http://{L.LOOPBACK}:{port}{path}", timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def scrape(port: int) -> dict[str, int]:
    """name or name{labels} -> value; also checks every sample line parses
    and has a # TYPE before it."""
    status, ctype, body = get(port, "/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), (status, ctype)
    values: dict[str, int] = {}
    typed: set[str] = set()
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        family = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert m.group(1) in typed or family in typed, f"{m.group(1)} has no # TYPE line"
        key = m.group(1) + (f"{{{m.group(2)}}}" if m.group(2) else "")
        values[key] = int(m.group(3))
    return values


def start_with_metrics(ss, grace: int = 1) -> int:
    port = L.free_port()
    ss.config.write_text(
        SS.SWITCH_CONFIG.replace("shutdown_grace_seconds = 1", f"shutdown_grace_seconds = {grace}")
        + f'\n[metrics]\nlisten = "{L.LOOPBACK}:{port}"\n')
    ss.start_switch()
    return port


def route(ss) -> SS.Egress:
    t = SS.Topology()
    plan = t.plan()
    a = t.trunk(t.supplier(), L.free_port())
    t.route(plan, "1", [a.service])
    t.customer(plan=plan)
    ss.apply(t)
    return a


def test_metrics_count_calls_refusals_records_and_reloads(ss):
    a = route(ss)
    uas = ss.uas(port=a.port, calls=20)
    port = start_with_metrics(ss)
    assert ss.wait_log(r"address=http://127\.0\.0\.1:%d/metrics .*metrics listening" % port)

    before = scrape(port)
    assert before['didtron_info{mode="softswitch"}'] == 1
    assert before["didtron_calls_answered_total"] == 0
    assert before['didtron_snapshot_rows{kind="interconnects"}'] >= 2
    assert before['didtron_snapshot_reloads_total{result="ok"}'] == 0

    uac = ss.uac(NUMBER, calls=20, rate=20)
    rc = uac.wait(timeout=60)
    assert rc == 0, uac.summary()
    assert uas.wait(timeout=30) == 0, uas.summary()
    # From an address no interconnect has: 403, counted as refused for "other".
    refused = ss.call(NUMBER, expect="reject", source_ip="127.0.0.2")
    assert refused.final_status == 403, refused.describe()
    # A datagram that is not SIP.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"INVITE nonsense\r\n\r\n", (L.LOOPBACK, ss.port))
    ss.db.wait_count(20)

    m = SS.wait_for(
        "the metrics to show 20 records inserted",
        lambda: (v := scrape(port))["didtron_call_records_inserted_total"] >= 20 and v, timeout=15)
    assert m["didtron_calls_answered_total"] == 20
    assert m["didtron_calls_ended_total"] == 20
    assert m["didtron_invites_forwarded_total"] == 20
    assert m["didtron_calls_active"] == 0
    assert m['didtron_calls_refused_total{reason="other"}'] == 1
    assert m['didtron_calls_refused_total{reason="credit"}'] == 0
    assert m["didtron_sip_malformed_total"] + m["didtron_sip_dropped_total"] == 1
    assert m["didtron_call_records_journalled_total"] == 20  # an unknown source leaves no record
    assert m["didtron_call_records_inserted_total"] == 20
    assert m["didtron_call_records_pending"] == 0
    assert m["didtron_sip_requests_received_total"] >= 20 * 3 + 1  # INVITE, ACK, BYE per call
    assert m["didtron_transport_datagrams_received_total"] >= m["didtron_sip_requests_received_total"]

    # A reload (SIGHUP) shows up as one, and the snapshot's load time moves.
    since = ss.log_size()
    ss.hup_switch()
    assert ss.wait_log(r"snapshot reloaded", since=since)
    after = scrape(port)
    assert after['didtron_snapshot_reloads_total{result="ok"}'] == 1
    assert after['didtron_snapshot_reloads_total{result="failed"}'] == 0

    status, _, body = get(port, "/health")
    assert (status, body) == (200, "ok\n")
    assert get(port, "/nothing")[0] == 404
    assert ss.stop_switch() == 0


def test_health_is_503_while_the_switch_drains(ss):
    a = route(ss)
    ss.uas(port=a.port, calls=1)
    port = start_with_metrics(ss, grace=20)
    uac = ss.uac(NUMBER, calls=1, hold_ms=15000)
    SS.wait_for("the call to be answered",
                lambda: scrape(port)["didtron_calls_active"] == 1, timeout=15)
    os.kill(ss.switch.proc.pid, signal.SIGTERM)
    SS.wait_for("/health to say draining",
                lambda: get(port, "/health") == (503, "text/plain; charset=utf-8", "draining\n"),
                timeout=10)
    assert scrape(port)["didtron_draining"] == 1
    uac.wait(timeout=40)
    assert ss.switch.proc.popen.wait(timeout=30) == 0


def test_a_metrics_port_in_use_stops_the_start(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind((L.LOOPBACK, 0))
        held.listen(1)
        port = held.getsockname()[1]
        sip = L.free_port()
        r = subprocess.run(
            [os.environ["DIDTRON_BIN"], "run", "--listen", f"udp:{L.LOOPBACK}:{sip}",
             "--next-hop", f"{L.LOOPBACK}:5080", "--metrics-listen", f"{L.LOOPBACK}:{port}"],
            capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert f"cannot listen for metrics on {L.LOOPBACK}:{port}" in r.stdout + r.stderr, r.stdout
