"""Calls to DIDs (docs/dids.md, issue 19): a customer trunk's call to one of
the switch's numbers rings the owner's registered device (a SIPp UAS whose
port registered as `alice`) and is recorded `inbound` with the user and the
number; a number whose owner has no registered device and a
`forward_unavailable` rule is forwarded at once to a supplier UAS as the
owner's call, rated by the owner's retail service and debited to its wallet
in a second row linked to the first; a `do_not_disturb` number is refused
486; carol's two devices ring at once past her `forward_no_answer` rule's
1 s, both get CANCEL, and the call goes to the supplier on her wallet (the
rule rides on the parallel fork's end); and a real softphone (Debian's
baresip, auto-answer) registered as one of alice's devices beside a SIPp
one answers while the SIPp one gets CANCEL. One switch serves all five.
A forwarded call up when the switch is killed ends, through the next run,
with both rows and one wallet debit (its own test)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from decimal import Decimal

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

DOMAIN = "example.com"


def did_world(ss) -> tuple[SS.Ingress, SS.Egress]:
    """A customer trunk on 127.0.0.1 (its service unrated: the inbound leg is
    free); a retail carrier whose ingress service prices 1... at 6.00/min
    (0.10 a second, 1/1) and routes it to one supplier trunk; alice (user 1,
    device `alice`) owns 15550001001 (no rules) and 15550003003 (do not
    disturb); bob (user 2, no device) owns 15550002002, forwarded to 15551234
    when no device of his is registered; carol (user 3, device `carol`) owns
    15550004004, forwarded to 15551234 after 1 s of ringing; they pay with
    wallets 5, 6 and 7."""
    t = SS.Topology()
    plan = t.plan()
    prices = t.rating_plan(initial=1, recurring=1)
    t.rate(prices, "1", "6.00")
    retail = t.carrier(partner_type="customer")
    trunk = t.interconnect(retail, "ingress")
    t.service(retail, trunk, "ingress", plan=plan, rating_plan=prices)
    egress = t.trunk(t.supplier(), L.free_port())
    t.route(plan, "1", [egress.service])
    customer = t.customer(plan=plan)
    ss.apply(t)
    ss.db.sql(f"""
        INSERT INTO users (id, email, status, carrier_id) VALUES
          (1, 'alice@example.com', 'active', '{retail}'), (2, 'bob@example.com', 'active', '{retail}'),
          (3, 'carol@example.com', 'active', '{retail}');
        INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password)
        VALUES (1, 'phone', 'android', 'alice', 's3cret'), (3, 'phone', 'ios', 'carol', 'c4rol');
        INSERT INTO phone_numbers (id, user_id, number, is_primary) VALUES
          (8, 1, '15550001001', true), (9, 2, '+15550002002', true), (10, 1, '15550003003', false),
          (11, 3, '15550004004', true);
        INSERT INTO call_rules (phone_number_id, rule_type, forward_to, timeout_seconds) VALUES
          (9, 'forward_unavailable', '15551234', NULL), (10, 'do_not_disturb', NULL, NULL),
          (11, 'forward_no_answer', '15551234', 1);
        INSERT INTO wallets (id, user_id, balance, currency) VALUES
          (5, 1, 10, 'USD'), (6, 2, 10, 'USD'), (7, 3, 10, 'USD');
        """)
    return customer, egress


def register_from(ss, port: int, user: str) -> None:
    """REGISTERs `user` from 127.0.0.1:port (the registrar answers to the
    source, and later INVITEs go there), then frees the port for the UAS."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((L.LOOPBACK, port))
    sock.settimeout(5)
    try:
        register = "\r\n".join([
            f"REGISTER sip:{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/UDP {L.LOOPBACK}:{port};branch=z9hG4bK-didreg-{port}",
            "Max-Forwards: 70", f"From: <sip:{user}@{DOMAIN}>;tag=r1", f"To: <sip:{user}@{DOMAIN}>",
            f"Call-ID: didreg-{port}", "CSeq: 1 REGISTER", f"Contact: <sip:{user}@{L.LOOPBACK}:{port}>",
            "Expires: 300", "Content-Length: 0", "", ""])
        sock.sendto(register.encode(), (L.LOOPBACK, ss.port))
        text = sock.recv(65535).decode()
        assert text.startswith("SIP/2.0 200"), text
    finally:
        sock.close()


def statuses(run: L.SippRun) -> list[int]:
    return [m.status for m in run.messages() if m.direction == "received" and m.status]


def first_invite_call_id(run: L.SippRun) -> str:
    return next(m.call_id for m in run.messages() if m.direction == "sent" and m.method == "INVITE")


def forwarded_rows(ss, call_id: str) -> tuple[dict, dict]:
    """The inbound row and the forwarded leg's row of one call."""
    assert ss.db.wait_count(2, f"call_sid = '{call_id}'") == 2
    rows = ss.db.calls(f"call_sid = '{call_id}'")
    inbound = next(r for r in rows if r["parent_call_uuid"] is None)
    leg = next(r for r in rows if r["parent_call_uuid"] is not None)
    assert leg["parent_call_uuid"] == inbound["uuid"], (leg, inbound)
    return inbound, leg


def test_dids_ring_their_owner_forward_when_unavailable_and_refuse_when_do_not_disturb(ss, tmp_path):
    customer, egress = did_world(ss)
    ss.config.write_text(SS.SWITCH_CONFIG + f'\n[registrar]\ndomains = ["{DOMAIN}"]\n'
                         'authentication = "none"\n')
    ss.start_switch()
    assert ss.wait_log(r"sip_credentials=2 ")
    device_port = L.free_port()
    register_from(ss, device_port, "alice")
    device = ss.uas(port=device_port, calls=1)
    supplier = ss.uas(port=egress.port, calls=1)

    # 1. The DID rings alice's device; the row is inbound, hers, for her number.
    run = ss.uac("15550001001", hold_ms=500)
    assert run.wait(timeout=30) == 0, run.summary()
    invite = next(m for m in device.messages() if m.direction == "received" and m.method == "INVITE")
    assert invite.start_line.startswith(f"INVITE sip:alice@{L.LOOPBACK}:{device_port}"), invite.start_line
    row = ss.db.wait_call(first_invite_call_id(run))
    assert row["direction"] == "inbound" and row["status"] == "completed", row
    assert row["user_id"] == 1 and row["phone_number_id"] == 8, row
    assert row["ingress_carrier_id"] == customer.carrier and row["egress_carrier_id"] is None, row
    assert row["parent_call_uuid"] is None and row["cost"] is None, row

    # 2. bob has no device: forwarded at once to the supplier as his call, on his wallet.
    run = ss.uac("15550002002", hold_ms=2000)
    assert run.wait(timeout=30) == 0, run.summary()
    assert supplier.wait(timeout=20) == 0, supplier.summary()
    inbound, leg = forwarded_rows(ss, first_invite_call_id(run))
    assert inbound["direction"] == "inbound" and inbound["user_id"] == 2 and inbound["phone_number_id"] == 9
    assert leg["direction"] == "outbound" and leg["user_id"] == 2 and leg["to_number"] == "15551234", leg
    assert leg["egress_service_id"] == egress.service and leg["status"] == "completed", leg
    cost = Decimal(str(leg["cost"]))
    assert Decimal("0.20") <= cost <= Decimal("0.40"), leg
    assert Decimal(ss.db.scalar("select balance from wallets where id = 6")) == Decimal("10") - cost
    assert ss.db.scalar(
        f"select count(*) from transactions where wallet_id = 6 and reference_id = {int(leg['id'])}") == "1"
    assert Decimal(ss.db.scalar("select balance from wallets where id = 5")) == Decimal("10")

    # 3. Do not disturb: 486, nothing rings, nothing is recorded.
    run = ss.uac("15550003003", scenario="uac-rejected.xml")
    assert run.wait(timeout=30) == 0, run.summary()
    assert 486 in statuses(run), statuses(run)
    assert ss.db.count(f"call_sid = '{first_invite_call_id(run)}'") == 0

    # 4. carol's two devices ring at once past her rule's 1 s: both get CANCEL
    #    (rung in turn, the second would never ring), then the supplier, on her wallet.
    carols = []
    for _ in range(2):
        carol_port = L.free_port()
        register_from(ss, carol_port, "carol")
        carols.append(ss.uas(scenario="uas-cancel.xml", port=carol_port, calls=1))
    supplier = ss.uas(port=egress.port, calls=1)
    run = ss.uac("15550004004", hold_ms=1000)
    assert run.wait(timeout=30) == 0, run.summary()
    for carol in carols:
        assert carol.wait(timeout=20) == 0, carol.summary()
        assert any(m.method == "CANCEL" for m in carol.messages() if m.direction == "received")
    assert supplier.wait(timeout=20) == 0, supplier.summary()
    inbound, leg = forwarded_rows(ss, first_invite_call_id(run))
    assert inbound["user_id"] == 3 and inbound["phone_number_id"] == 11 and inbound["status"] == "completed"
    assert leg["user_id"] == 3 and leg["status"] == "completed" and leg["to_number"] == "15551234", leg
    cost = Decimal(str(leg["cost"]))
    assert cost > 0 and Decimal(ss.db.scalar("select balance from wallets where id = 7")) == Decimal("10") - cost
    assert ss.db.scalar("select count(*) from transactions where wallet_id = 7") == "1"

    # 5. A real softphone as one of alice's devices beside the SIPp one:
    #    both ring, baresip answers by itself, the SIPp device gets CANCEL.
    if shutil.which("baresip") is None:
        return
    ring_port = L.free_port()
    register_from(ss, ring_port, "alice")
    sipp_device = ss.uas(scenario="uas-cancel.xml", port=ring_port, calls=1)
    baresip = start_baresip(ss, tmp_path, "alice")
    try:
        run = ss.uac("15550001001", hold_ms=1000)
        assert run.wait(timeout=30) == 0, run.summary() + baresip_output(tmp_path)
        assert sipp_device.wait(timeout=20) == 0, sipp_device.summary()
        assert any(m.method == "CANCEL" for m in sipp_device.messages() if m.direction == "received")
        call_id = first_invite_call_id(run)
        row = ss.db.wait_call(call_id)
        assert ss.db.count(f"call_sid = '{call_id}'") == 1
        assert row["direction"] == "inbound" and row["status"] == "completed", row
        assert row["user_id"] == 1 and row["phone_number_id"] == 8, row
        assert "Call established" in baresip_output(tmp_path), baresip_output(tmp_path)
    finally:
        baresip.terminate()
        try:
            baresip.wait(timeout=5)
        except subprocess.TimeoutExpired:
            baresip.kill()
            baresip.wait(timeout=5)



def test_a_forwarded_did_call_up_when_the_switch_is_killed_ends_with_both_rows_and_one_debit(ss):
    """bob's number, forwarded at once to the supplier UAS, answered and held
    6 s; kill -9 once answered, a new switch on the same journal takes it over
    from its checkpoint (which carries the forwarded leg), and the caller's BYE
    ends it: the inbound row and the leg's row linked to it, and one debit of
    bob's wallet equal to the leg's cost."""
    _, egress = did_world(ss)
    ss.config.write_text(SS.SWITCH_CONFIG + f'\n[registrar]\ndomains = ["{DOMAIN}"]\n'
                         'authentication = "none"\n')
    ss.start_switch()
    supplier = ss.uas(port=egress.port, calls=1)
    run = ss.uac("15550002002", hold_ms=6000)
    SS.wait_for("the answer", lambda: any(
        m.direction == "received" and m.status == 200 and "INVITE" in (m.header("CSeq") or "")
        for m in run.messages()), timeout=10)
    ss.kill_switch()
    ss.start_switch()
    assert ss.wait_log(r"calls=1 .*calls taken over from the last run", timeout=10), ss.switch_log()[-2000:]
    assert run.wait(timeout=30) == 0, run.summary()
    assert supplier.wait(timeout=20) == 0, supplier.summary()
    inbound, leg = forwarded_rows(ss, first_invite_call_id(run))
    assert inbound["direction"] == "inbound" and inbound["user_id"] == 2 and inbound["phone_number_id"] == 9
    assert inbound["egress_carrier_id"] is None and inbound["cost"] is None, inbound
    assert inbound["metadata"].get("ended_by") == "caller", inbound
    assert leg["direction"] == "outbound" and leg["user_id"] == 2 and leg["to_number"] == "15551234", leg
    assert leg["egress_service_id"] == egress.service and leg["status"] == "completed", leg
    assert 5 <= leg["duration_seconds"] <= 7, leg
    cost = Decimal(str(leg["cost"]))
    assert cost == Decimal("0.10") * leg["billable_seconds"], leg
    SS.wait_for("the leg's debit", lambda: ss.db.scalar(
        "select count(*) from transactions where wallet_id = 6") != "0", timeout=10)
    debits = ss.db.rows("select reference_id, amount, type from transactions where wallet_id = 6")
    assert len(debits) == 1 and debits[0][2] == "debit", debits
    assert int(debits[0][0]) == int(leg["id"]) and Decimal(debits[0][1]) == cost, (debits, leg)
    assert Decimal(ss.db.scalar("select balance from wallets where id = 6")) == Decimal("10") - cost
    assert ss.stop_switch() == 0


def baresip_output(tmp_path) -> str:
    try:
        return (tmp_path / "baresip.out").read_text(errors="replace")[-3000:]
    except OSError:
        return "<no baresip output>"


def start_baresip(ss, tmp_path, user: str) -> subprocess.Popen:
    """Debian's headless baresip (a sine tone as microphone, a file as
    speaker, 48 kHz stereo as ausine needs) registered as `user`'s device,
    answering every call by itself (`;answermode=auto`); returns once the
    switch has its binding."""
    port = L.free_port()
    (tmp_path / "config").write_text(
        f"poll_method epoll\nsip_listen {L.LOOPBACK}:{port}\nsip_transports udp\n"
        f"audio_player aufile,{tmp_path}/rx.wav\naudio_source ausine,440\naudio_alert aufile,/dev/null\n"
        "ausrc_srate 48000\nauplay_srate 48000\nausrc_channels 2\nauplay_channels 2\n"
        "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule ausine.so\nmodule aufile.so\n"
        "module_app account.so\nmodule_app menu.so\n")
    (tmp_path / "accounts").write_text(
        f'<sip:{user}@{DOMAIN}>;outbound="sip:{ss.switch.addr}";regint=300;'
        "answermode=auto;audio_codecs=PCMU\n")
    out = open(tmp_path / "baresip.out", "w")
    proc = subprocess.Popen(["baresip", "-f", str(tmp_path)], stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT)
    out.close()
    try:
        SS.wait_for("baresip's registration",
                    lambda: "200 OK" in baresip_output(tmp_path) or proc.poll() is not None, timeout=15)
        assert proc.poll() is None, baresip_output(tmp_path)
    except BaseException:
        proc.kill()
        proc.wait(timeout=5)
        raise
    return proc
