"""Softphone users placing calls (docs/softphones.md): SIPp registers as
`alice` (MD5, as Debian's SIPp answers only MD5), then calls a supplier UAS
through the switch; the INVITE is challenged with 407, answered with
-au/-ap, routed through the retail carrier's ingress service, and recorded
with the user's id and primary number. An unauthenticated INVITE for the
registered phone from an unknown address rings nothing."""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
import subprocess

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

DOMAIN = "example.com"
# The scenarios' [$user] and [$domain].
USER = ["-set", "user", "alice", "-set", "domain", DOMAIN]


def retail_world(ss) -> SS.Egress:
    """A retail carrier whose ingress service (no address: never identified
    by source) routes 1... to one supplier trunk; alice (user 1) belongs to
    it, has the primary number 15550001001 and a wallet (a user without one
    is refused 402 No Wallet; the service has no rating plan, so nothing is
    charged)."""
    t = SS.Topology()
    plan = t.plan()
    retail = t.carrier(partner_type="customer")
    trunk = t.interconnect(retail, "ingress")
    t.service(retail, trunk, "ingress", plan=plan)
    sup = t.supplier()
    egress = t.trunk(sup, L.free_port())
    t.route(plan, "1", [egress.service])
    ss.apply(t)
    ss.db.sql(f"""
        INSERT INTO users (id, email, status, carrier_id) VALUES (1, 'alice@example.com', 'active', '{retail}');
        INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password)
        VALUES (1, 'phone', 'android', 'alice', 's3cret');
        INSERT INTO phone_numbers (id, user_id, number, is_primary) VALUES (7, 1, '15550009999', false),
                                                                         (8, 1, '15550001001', true);
        INSERT INTO wallets (user_id, balance) VALUES (1, 10);
        """)
    return egress


def start(ss, algorithms: str = '"MD5"') -> None:
    ss.config.write_text(SS.SWITCH_CONFIG + f'\n[registrar]\ndomains = ["{DOMAIN}"]\n'
                         f'digest_algorithms = [{algorithms}]\n')
    ss.start_switch()
    assert ss.wait_log(r"sip_credentials=1 ")


def register(ss) -> None:
    run = L.start_sipp(ss.reg, ss.workdir, ss._role("register"), "register-user.xml", L.free_port(),
                       remote=ss.switch.addr, calls=1,
                       extra=USER + ["-au", "alice", "-ap", "s3cret", "-auth_uri", DOMAIN],
                       global_timeout="20s")
    ss.sipps.append(run)
    assert run.wait(timeout=30) == 0, run.summary()


def test_a_registered_user_is_challenged_and_its_call_is_recorded_with_its_user(ss):
    egress = retail_world(ss)
    uas = ss.uas(port=egress.port)
    start(ss)
    register(ss)
    # The digest's uri must be the Request-URI (RFC 3261 §22.4); SIPp's default is sip:<remote address>.
    run = ss.uac("15551234", scenario="uac-auth.xml",
                 extra=USER + ["-au", "alice", "-ap", "s3cret", "-auth_uri", f"15551234@{ss.switch.addr}"],
                 global_timeout="20s")
    rc = run.wait(timeout=35)
    assert rc == 0, run.summary()
    statuses = [m.status for m in run.messages() if m.direction == "received" and m.status]
    assert 407 in statuses and 200 in statuses, statuses
    call_id = next(m.call_id for m in run.messages() if m.direction == "sent" and m.method == "INVITE")
    row = ss.db.wait_call(call_id)
    assert row["user_id"] == 1 and row["phone_number_id"] == 8, row
    assert row["from_number"] == "15550001001" and row["status"] == "completed", row
    assert row["egress_service_id"] == egress.service, row
    invite = next(m for m in uas.messages() if m.direction == "received" and m.method == "INVITE")
    assert "15550001001@" in (invite.header("From") or ""), invite.header("From")
    assert "alice" not in (invite.header("From") or "")
    assert invite.header("Proxy-Authorization") is None


def test_an_unauthenticated_invite_for_a_registered_phone_rings_nothing(ss):
    retail_world(ss)
    start(ss)
    register(ss)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((L.LOOPBACK, 0))
    sock.settimeout(5)
    try:
        port = sock.getsockname()[1]
        invite = "\r\n".join([
            f"INVITE sip:alice@{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/UDP {L.LOOPBACK}:{port};branch=z9hG4bK-hole-1;rport",
            "Max-Forwards: 70", f"From: <sip:mallory@{L.LOOPBACK}>;tag=h1", f"To: <sip:alice@{DOMAIN}>",
            "Call-ID: hole-1", "CSeq: 1 INVITE", f"Contact: <sip:mallory@{L.LOOPBACK}:{port}>",
            "Content-Length: 0", "", ""])
        sock.sendto(invite.encode(), (L.LOOPBACK, ss.port))
        # The first answer is the 403: no 100 Trying, so the call was never routed to alice's binding.
        text = sock.recv(65535).decode()
        assert text.startswith("SIP/2.0 403 Unknown Interconnect"), text
    finally:
        sock.close()
    assert ss.db.count() == 0


def _invite(sock, ss, port: int, cseq: int, authorization: str | None = None) -> str:
    """Sends alice's INVITE for 15551234 (CSeq `cseq`) and returns the
    first final response's text, ACKing it (a non-2xx final, §17.1.1.3)."""
    uri = f"sip:15551234@{ss.switch.addr}"
    branch = f"z9hG4bK-wrongpw-{cseq}"
    head = [f"Via: SIP/2.0/UDP {L.LOOPBACK}:{port};branch={branch};rport",
            f"From: <sip:alice@{DOMAIN}>;tag=wp1", f"To: <sip:15551234@{DOMAIN}>", "Call-ID: wrongpw-1"]
    lines = [f"INVITE {uri} SIP/2.0", *head, "Max-Forwards: 70", f"CSeq: {cseq} INVITE",
             f"Contact: <sip:alice@{L.LOOPBACK}:{port}>"]
    if authorization:
        lines.append(f"Proxy-Authorization: {authorization}")
    sock.sendto("\r\n".join(lines + ["Content-Length: 0", "", ""]).encode(), (L.LOOPBACK, ss.port))
    while True:
        text = sock.recv(65535).decode()
        if int(text.split(" ", 2)[1]) >= 200:
            break
    to = re.search(r"(?mi)^To:\s*(.*?)\r?$", text).group(1)
    ack = [f"ACK {uri} SIP/2.0", *head[:2], f"To: {to}", head[3], "Max-Forwards: 70",
           f"CSeq: {cseq} ACK", "Content-Length: 0", "", ""]
    sock.sendto("\r\n".join(ack).encode(), (L.LOOPBACK, ss.port))
    return text


def test_an_invite_with_a_wrong_password_is_challenged_again_and_rings_nothing(ss):
    """A registered user's INVITE answered with a wrong password gets a new
    407 (the same answer as an unknown user), reaches no supplier and leaves
    no record; the right password from the same phone is then routed."""
    egress = retail_world(ss)
    uas = ss.uas(port=egress.port)
    start(ss)
    register(ss)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((L.LOOPBACK, 0))
    sock.settimeout(5)
    try:
        port = sock.getsockname()[1]
        first = _invite(sock, ss, port, 1)
        assert first.startswith("SIP/2.0 407 "), first
        challenge = re.search(r"(?mi)^Proxy-Authenticate:\s*(.*?)\r?$", first).group(1)
        params = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge))
        assert params["algorithm"] == "MD5", challenge

        def digest(password: str) -> str:
            md5 = lambda v: hashlib.md5(v.encode()).hexdigest()
            uri, nc, cnonce = f"sip:15551234@{ss.switch.addr}", "00000001", "c0ffee01"
            ha1, ha2 = md5(f"alice:{params['realm']}:{password}"), md5(f"INVITE:{uri}")
            response = md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
            return (f'Digest username="alice", realm="{params["realm"]}", nonce="{params["nonce"]}", '
                    f'uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"')

        wrong = _invite(sock, ss, port, 2, digest("guess"))
        assert wrong.startswith("SIP/2.0 407 "), wrong
        assert "stale=true" not in wrong.lower(), wrong
        assert not any(m.method == "INVITE" for m in uas.messages() if m.direction == "received")
        assert ss.db.count() == 0
    finally:
        sock.close()
    # The same phone with the right password is routed (the control: the
    # test above would pass for a switch that refused everything).
    run = ss.uac("15551234", scenario="uac-auth.xml",
                 extra=USER + ["-au", "alice", "-ap", "s3cret", "-auth_uri", f"15551234@{ss.switch.addr}"],
                 global_timeout="20s")
    assert run.wait(timeout=35) == 0, run.summary()
    assert ss.db.wait_count(1, "user_id = 1") == 1


@pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed")
def test_baresip_registers_and_its_call_is_challenged_and_recorded(ss, tmp_path):
    """A real softphone, headless: Debian's baresip (stdio off, a sine tone as
    microphone, a file as speaker) registers as alice through the switch,
    dials a supplier number, answers the 407 and hangs up when it quits.
    Both algorithms are offered, SHA-256 first: baresip 1.0 gives up on such
    a challenge set, so its User-Agent is challenged with MD5 alone
    (registrar.md5_only_user_agents, default ["baresip"])."""
    egress = retail_world(ss)
    ss.uas(port=egress.port)
    start(ss, algorithms='"SHA-256", "MD5"')
    (tmp_path / "config").write_text(
        f"poll_method epoll\nsip_listen {L.LOOPBACK}:{L.free_port()}\nsip_transports udp\n"
        f"audio_player aufile,{tmp_path}/rx.wav\naudio_source ausine,440\naudio_alert aufile,/dev/null\n"
        # ausine plays 48 kHz stereo only; without these the call is hung up at the 200 (EOPNOTSUPP).
        "ausrc_srate 48000\nauplay_srate 48000\nausrc_channels 2\nauplay_channels 2\n"
        "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule ausine.so\nmodule aufile.so\n"
        "module_app account.so\nmodule_app menu.so\n")
    (tmp_path / "accounts").write_text(
        f'<sip:alice@{DOMAIN}>;auth_pass=s3cret;outbound="sip:{ss.switch.addr}";regint=300;'
        "audio_codecs=PCMU\n")
    out = subprocess.run(["baresip", "-f", str(tmp_path), "-e", f"/dial sip:15557777@{ss.switch.addr}",
                          "-t", "6"], capture_output=True, text=True, timeout=30)
    # Only an authenticated user's call has a user_id.
    assert ss.db.wait_count(1, "to_number = '15557777'") == 1, out.stdout[-3000:]
    row = ss.db.calls("to_number = '15557777'")[0]
    assert row["user_id"] == 1 and row["phone_number_id"] == 8, row
    assert row["from_number"] == "15550001001" and row["status"] == "completed", row
    # Established with media and held until baresip quit (-t 6), not hung up at the 200.
    assert "Call established" in out.stdout and row["duration_ms"] >= 1000, (row, out.stdout[-2000:])
