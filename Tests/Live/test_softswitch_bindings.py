"""Registrations that last (docs/registrar.md "Bindings that last"): a
phone's binding is kept in PostgreSQL, so a restarted switch still reaches
the phone, and a second switch on the same database reaches a phone that
registered with the first. The phone registers from a UDP port (a raw
client), which a SIPp UAS then takes over to answer the call: the switch
sends the INVITE to where the REGISTER came from."""

from __future__ import annotations

import socket
import threading

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

# The registrar domain is the switch's address, so that SIPp's Request-URI
# (sip:alice@127.0.0.1:port) is an address of record of ours.
REGISTRAR = f'\n[registrar]\ndomains = ["{L.LOOPBACK}"]\nauthentication = "none"\n'


def register(switch: str, port: int, *, expires: int = 300, cseq: int = 1) -> str:
    """REGISTERs alice from 127.0.0.1:port (then frees the port); the 200's text."""
    host, switch_port = switch.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((L.LOOPBACK, port))
        sock.settimeout(5)
        text = "\r\n".join([
            f"REGISTER sip:{L.LOOPBACK} SIP/2.0",
            f"Via: SIP/2.0/UDP {L.LOOPBACK}:{port};branch=z9hG4bK-bind-{cseq};rport",
            "Max-Forwards: 70",
            f"From: <sip:alice@{L.LOOPBACK}>;tag=b1",
            f"To: <sip:alice@{L.LOOPBACK}>",
            f"Call-ID: bindings-{port}",
            f"CSeq: {cseq} REGISTER",
            f"Contact: <sip:alice@{L.LOOPBACK}:{port}>",
            f"Expires: {expires}",
            "Content-Length: 0", "", ""])
        sock.sendto(text.encode(), (host, int(switch_port)))
        while True:
            answer = sock.recv(65535).decode()
            if int(answer.split(" ", 2)[1]) >= 200:
                assert answer.startswith("SIP/2.0 200"), answer
                return answer
    finally:
        sock.close()


@pytest.fixture
def carrier(ss):
    """A customer carrier at 127.0.0.1 and a switch with the registrar."""
    topo = SS.Topology()
    topo.customer(plan=topo.plan())
    ss.apply(topo)
    ss.config.write_text(SS.SWITCH_CONFIG + REGISTRAR)
    return ss


def test_a_restart_keeps_the_phone_reachable(carrier):
    ss = carrier
    ss.start_switch()
    phone_port = L.free_port()
    assert f"<sip:alice@{L.LOOPBACK}:{phone_port}>;expires=300" in register(ss.switch.addr, phone_port)
    row = SS.wait_for("the binding in PostgreSQL", lambda: ss.db.rows(
        "SELECT contact, source_transport, source_host, source_port FROM registrar_bindings"), timeout=5)
    assert row == [[f"sip:alice@{L.LOOPBACK}:{phone_port}", "udp", L.LOOPBACK, str(phone_port)]], row

    assert ss.stop_switch() == 0
    phone = ss.uas(port=phone_port, calls=1)
    ss.start_switch()
    assert ss.wait_log(r"bindings=1 .*registrar bindings read from PostgreSQL"), ss.switch_log()[-3000:]
    result = ss.call("alice")
    assert result.final_status == 200 and result.answered_by == phone_port, result.describe()
    assert phone.wait(timeout=15) == 0, phone.summary()

    # De-registration (Expires: 0, the same Call-ID, a higher CSeq) removes the row.
    register(ss.switch.addr, phone_port, expires=0, cseq=2)
    SS.wait_for("the row deleted", lambda: ss.db.scalar("SELECT count(*) FROM registrar_bindings") == "0",
                timeout=5)
    assert ss.stop_switch() == 0


def answered_through(ss, switch: str) -> SS.CallResult:
    """One call to alice through `switch`."""
    run = ss.uac("alice", remote=switch, global_timeout="10s")
    return SS.call_result(run, run.wait(timeout=25))


def test_a_second_switch_reaches_a_phone_registered_with_the_first(carrier):
    ss = carrier
    ss.start_switch()
    second = ss.start_second_switch(REGISTRAR)
    phone_port = L.free_port()
    register(ss.switch.addr, phone_port)
    phone = ss.uas(port=phone_port, calls=1)
    # B learns of the binding by NOTIFY (docs/registrar.md: within about
    # 100 ms); until then it answers 480 and rings nobody.
    result = SS.wait_for("switch B to ring the phone", lambda: (
        r if (r := answered_through(ss, second)).final_status == 200 else None), timeout=10)
    assert result.answered_by == phone_port, result.describe()
    assert phone.wait(timeout=15) == 0, phone.summary()


def test_register_is_answered_through_a_database_outage_and_written_after(carrier, pg):
    ss = carrier
    ss.start_switch()
    phone_port = L.free_port()
    pg.stop()
    try:
        assert f"<sip:alice@{L.LOOPBACK}:{phone_port}>;expires=300" in register(ss.switch.addr, phone_port)
        assert ss.wait_log(r"registrar bindings cannot reach PostgreSQL"), ss.switch_log()[-3000:]
    finally:
        if not pg.running():
            pg.start()
    SS.wait_for("the queued binding written once PostgreSQL is back", lambda: ss.db.rows(
        "SELECT source_port FROM registrar_bindings") == [[str(phone_port)]], timeout=20, interval=0.3)
    assert ss.wait_log(r"registrar bindings reach PostgreSQL again"), ss.switch_log()[-3000:]
    assert ss.stop_switch() == 0


class TcpPhone:
    """A phone on one TCP connection: REGISTERs over it, then answers the
    INVITE (and the BYE) that the switch must send over that same connection
    (the phone listens nowhere)."""

    def __init__(self, switch_port: int) -> None:
        self.sock = socket.create_connection((L.LOOPBACK, switch_port), timeout=10)
        self.port = self.sock.getsockname()[1]
        self.buffer = b""
        self.seen: list[str] = []

    def read(self) -> str:
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if sep:
                length = int(next((line.split(b":", 1)[1] for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length")), b"0"))
                if len(rest) >= length:
                    self.buffer = rest[length:]
                    text = (head + sep + rest[:length]).decode()
                    self.seen.append(text.split("\r\n", 1)[0])
                    return text
            data = self.sock.recv(65535)
            assert data, f"the switch closed the phone's connection; seen {self.seen}"
            self.buffer += data

    def register(self) -> str:
        self.sock.sendall("\r\n".join([
            f"REGISTER sip:{L.LOOPBACK} SIP/2.0",
            f"Via: SIP/2.0/TCP {L.LOOPBACK}:{self.port};branch=z9hG4bK-tcp-1;rport",
            "Max-Forwards: 70", f"From: <sip:alice@{L.LOOPBACK}>;tag=t1", f"To: <sip:alice@{L.LOOPBACK}>",
            "Call-ID: tcp-phone-1", "CSeq: 1 REGISTER",
            f"Contact: <sip:alice@{L.LOOPBACK}:{self.port};transport=tcp>", "Expires: 300",
            "Content-Length: 0", "", ""]).encode())
        while True:
            text = self.read()
            if int(text.split(" ", 2)[1]) >= 200:
                return text

    def answer(self, request: str, status: str, body: str = "") -> None:
        keep = [line for line in request.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
                if line.split(":", 1)[0].lower() in ("via", "record-route", "from", "to", "call-id", "cseq")]
        keep = [line + ";tag=phone" if line.lower().startswith("to:") and "tag=" not in line else line
                for line in keep]
        lines = [f"SIP/2.0 {status}"] + keep + [
            f"Contact: <sip:alice@{L.LOOPBACK}:{self.port};transport=tcp>"]
        if body:
            lines.append("Content-Type: application/sdp")
        lines += [f"Content-Length: {len(body)}", "", body]
        self.sock.sendall("\r\n".join(lines).encode())

    def take_call(self) -> None:
        sdp = (f"v=0\r\no=- 2 2 IN IP4 {L.LOOPBACK}\r\ns=phone\r\nc=IN IP4 {L.LOOPBACK}\r\nt=0 0\r\n"
               "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        invite = self.read()
        assert invite.startswith("INVITE "), invite
        self.answer(invite, "200 OK", sdp)
        while True:
            request = self.read()
            if request.startswith("BYE "):
                self.answer(request, "200 OK")
                return

    def close(self) -> None:
        self.sock.close()


def test_a_phone_registered_over_tcp_is_called_over_that_connection(carrier):
    ss = carrier
    ss.start_switch()
    phone = TcpPhone(ss.port)
    try:
        assert phone.register().startswith("SIP/2.0 200"), phone.seen
        SS.wait_for("the TCP binding in PostgreSQL", lambda: ss.db.rows(
            "SELECT source_transport, source_port FROM registrar_bindings") == [["tcp", str(phone.port)]], timeout=5)
        answered = threading.Thread(target=phone.take_call, daemon=True)
        answered.start()
        result = ss.call("alice")
        answered.join(timeout=15)
        assert result.final_status == 200, result.describe()
        assert phone.seen[1].startswith("INVITE ") and any(s.startswith("BYE ") for s in phone.seen), phone.seen
    finally:
        phone.close()
    assert ss.stop_switch() == 0
