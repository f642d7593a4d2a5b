"""SIP over TLS (issue 20), against the running daemon in proxy mode with a
`tls:` listener and a certificate made here by `openssl` (a test CA and a
server certificate for 127.0.0.1):

- `openssl s_client`: TLS 1.0 and 1.1 refused, TLS 1.2 and 1.3 accepted with
  the certificate verified against the CA;
- a call from a Python `ssl` client over TLS to SIPp on UDP: INVITE, 180/200
  back over the caller's connection, ACK and BYE along the recorded route
  (double Record-Route: TLS in, UDP out);
- plain SIP, random bytes, a handshake that never finishes (200 at once) and
  a client that renegotiates each cost their own connection only, within the
  message deadline;
- baresip dials over TLS; Kamailio's tls module relays SIPp's calls to the
  switch over TLS, and is the switch's TLS next hop (verified against the CA);
- a certificate renewed on SIGHUP: the open connection keeps working, a new
  one sees the new certificate; a bad file keeps the running one;
- `check-config` on good, mismatched, missing, expired and expiring files;
- a phone that registers over TLS is called over its connection (RFC 5626
  flow reuse), its SDES SRTP offer untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

import livelib as L
from conftest import ON_KAMAILIO

pytestmark = [
    pytest.mark.skipif(ON_KAMAILIO, reason="our daemon's tls: listener and keys"),
    pytest.mark.skipif(not os.path.exists("/usr/bin/openssl"), reason="needs the openssl command"),
]

MESSAGE_TIMEOUT_MS = 1000


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_ca(d: Path) -> None:
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "400", "-subj", "/CN=live test CA", cwd=d)


def make_server_cert(d: Path, name: str, days: int = 400) -> None:
    """`name`.pem / `name`.key: signed by the CA, for 127.0.0.1, CN=`name`,
    valid for `days` (-1: expired)."""
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", str(days), "-extfile", "ext.cnf", cwd=d)


class Switch:
    def __init__(self, live, certs: Path, uas_port: int, env: dict | None = None,
                 next_hop: str | None = None) -> None:
        self.udp = live.port()
        self.tls = live.port()
        rt = Path(tempfile.mkdtemp(prefix="dttls-", dir="/tmp"))
        live.reg.scratch.append(rt)
        workdir = live.workdir / "proxy"
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "proxy.log"
        self.argv = [os.environ["DIDTRON_BIN"], "run",
                     "--listen", f"udp:{L.LOOPBACK}:{self.udp}",
                     "--listen", f"tls:{L.LOOPBACK}:{self.tls}",
                     "--next-hop", next_hop or f"{L.LOOPBACK}:{uas_port}",
                     "--tls-certificate", str(certs / "live.pem"),
                     "--tls-private-key", str(certs / "live.key"),
                     "--log-level", "info"]
        env = dict(os.environ, DIDTRON_SIP_TCP_MESSAGE_TIMEOUT_MS=str(MESSAGE_TIMEOUT_MS), **(env or {}))
        self.proc = L.spawn_notify_ready(live.reg, "proxy", self.argv, self.log, workdir, rt, env=env)
        # the failure report shows the log
        live.proxy = L.Proxy("didtron", self.proc, self.udp, workdir, self.argv)

    def hangup_and_wait_for(self, text: str, timeout: float = 10.0) -> None:
        before = self.log.read_text().count(text)
        self.proc.popen.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while self.log.read_text().count(text) == before:
            assert time.monotonic() < deadline, f"no {text!r} in the log after SIGHUP"
            time.sleep(0.05)


@pytest.fixture
def certs(tmp_path) -> Path:
    d = tmp_path / "certs"
    d.mkdir()
    make_ca(d)
    make_server_cert(d, "live")
    return d


def tls_connect(port: int, certs: Path) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    raw = socket.create_connection((L.LOOPBACK, port), timeout=5)
    return context.wrap_socket(raw, server_hostname=L.LOOPBACK)


def read_message(conn: ssl.SSLSocket, buffer: bytearray) -> bytes:
    """One SIP message from the stream (Content-Length framing)."""
    while True:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end >= 0:
            m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", bytes(buffer[:head_end]))
            length = int(m.group(1)) if m else 0
            total = head_end + 4 + length
            if len(buffer) >= total:
                message = bytes(buffer[:total])
                del buffer[:total]
                return message
        chunk = conn.recv(65535)
        assert chunk, "connection closed by the switch"
        buffer += chunk


def read_until_status(conn: ssl.SSLSocket, buffer: bytearray, cseq_method: str, minimum: int = 200) -> bytes:
    while True:
        message = read_message(conn, buffer)
        code = L.status_code(message)
        if code is not None and code >= minimum and f" {cseq_method}\r\n".encode() in message:
            return message


def options(port: int, local: tuple[str, int]) -> bytes:
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    return (f"OPTIONS sip:{L.LOOPBACK}:{port};transport=tls SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS {local[0]}:{local[1]};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:probe@{L.LOOPBACK}>;tag={branch[-6:]}\r\n"
            f"To: <sip:{L.LOOPBACK}:{port}>\r\nCall-ID: {branch}@tls\r\nCSeq: 1 OPTIONS\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def options_answered(conn: ssl.SSLSocket, port: int) -> int:
    conn.sendall(options(port, conn.getsockname()))
    return L.status_code(read_until_status(conn, bytearray(), "OPTIONS"))


def s_client(port: int, certs: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["openssl", "s_client", "-connect", f"{L.LOOPBACK}:{port}", "-CAfile", str(certs / "ca.pem"),
         "-verify_return_error", *flags],
        input=b"", capture_output=True, timeout=10)


def test_protocol_versions_and_options_over_tls(live, certs):
    uas_port = live.port()
    switch = Switch(live, certs, uas_port)

    for old in (["-tls1"], ["-tls1_1"]):
        # SECLEVEL=0 lets this client offer the old version: the refusal is the switch's.
        r = s_client(switch.tls, certs, *old, "-cipher", "DEFAULT@SECLEVEL=0")
        out = (r.stdout + r.stderr).decode(errors="replace")
        assert r.returncode != 0, out
        assert "alert protocol version" in out or "unsupported protocol" in out, out
    for version, flag in (("TLSv1.2", "-tls1_2"), ("TLSv1.3", "-tls1_3")):
        r = s_client(switch.tls, certs, flag)
        out = r.stdout.decode(errors="replace")
        assert r.returncode == 0, out + r.stderr.decode(errors="replace")
        assert f"Protocol  : {version}" in out or f"New, {version}" in out, out
        assert "Verify return code: 0 (ok)" in out, out

    with tls_connect(switch.tls, certs) as conn:
        assert options_answered(conn, switch.tls) == 200


def invite(port: int, local: tuple[str, int], call_id: str) -> bytes:
    sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    return (f"INVITE sip:1234@{L.LOOPBACK}:{port};transport=tls SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS {local[0]}:{local[1]};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:caller@{L.LOOPBACK}>;tag=caller1\r\n"
            f"To: <sip:1234@{L.LOOPBACK}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:caller@{local[0]}:{local[1]};transport=tls>\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}").encode()


def in_dialog(method: str, cseq: int, ok: bytes, local: tuple[str, int], call_id: str) -> bytes:
    """ACK or BYE along the route set of the 200 (its Record-Route reversed)."""
    text = ok.decode()
    routes = re.findall(r"(?im)^record-route\s*:\s*(.+?)\r$", text)
    route_set = [r.strip() for line in routes for r in line.split(",")][::-1]
    contact = re.search(r"(?im)^(?:contact|m)\s*:\s*<([^>]+)>", text).group(1)
    to = re.search(r"(?im)^(?:to|t)\s*:\s*(.+?)\r$", text).group(1)
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    lines = [f"{method} {contact} SIP/2.0",
             f"Via: SIP/2.0/TLS {local[0]}:{local[1]};branch={branch};rport",
             "Max-Forwards: 70", f"From: <sip:caller@{L.LOOPBACK}>;tag=caller1", f"To: {to}",
             f"Call-ID: {call_id}", f"CSeq: {cseq} {method}"]
    lines += [f"Route: {r}" for r in route_set]
    return ("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode()


def test_a_call_over_tls_to_udp(live, certs):
    uas_port = live.port()
    uas = live.uas("uas.xml", uas_port, calls=1)
    switch = Switch(live, certs, uas_port)
    call_id = uuid.uuid4().hex + "@tls-call"
    buffer = bytearray()
    with tls_connect(switch.tls, certs) as conn:
        local = conn.getsockname()
        conn.sendall(invite(switch.tls, local, call_id))
        ringing = read_until_status(conn, buffer, "INVITE", minimum=180)
        assert L.status_code(ringing) == 180, ringing
        ok = read_until_status(conn, buffer, "INVITE")
        assert L.status_code(ok) == 200, ok
        # RFC 3261 §16.6 step 4 / RFC 5658: TLS in, UDP out: two Record-Route entries.
        record_routes = re.findall(rb"(?im)^record-route\s*:.*$", ok)
        assert len(b",".join(record_routes).split(b",")) == 2, ok
        assert b"transport=tls" in ok.lower(), ok
        conn.sendall(in_dialog("ACK", 1, ok, local, call_id))
        conn.sendall(in_dialog("BYE", 2, ok, local, call_id))
        bye_ok = read_until_status(conn, buffer, "BYE")
        assert L.status_code(bye_ok) == 200, bye_ok
    assert uas.wait(timeout=15) == 0, uas.summary()
    assert int(uas.stats()["SuccessfulCall(C)"]) == 1, uas.summary()


def test_bad_input_costs_its_own_connection_only(live, certs):
    switch = Switch(live, certs, live.port())
    with tls_connect(switch.tls, certs) as good:
        # Plain SIP on the TLS port: not TLS, closed without an answer.
        plain = socket.create_connection((L.LOOPBACK, switch.tls), timeout=5)
        plain.sendall(options(switch.tls, plain.getsockname()))
        assert plain.recv(65535)[:1] in (b"", b"\x15")  # nothing, or a TLS alert record
        plain.close()
        # Random bytes: the same.
        noise = socket.create_connection((L.LOOPBACK, switch.tls), timeout=5)
        noise.sendall(os.urandom(4096))
        try:
            noise.settimeout(5)
            while noise.recv(65535):
                pass
        except ConnectionResetError:
            pass
        noise.close()
        # A handshake that never finishes: a record header, then silence.
        started = time.monotonic()
        slow = socket.create_connection((L.LOOPBACK, switch.tls), timeout=5)
        slow.sendall(b"\x16\x03\x01")
        slow.settimeout(MESSAGE_TIMEOUT_MS / 1000 + 3)
        try:
            assert slow.recv(65535) == b""
        except ConnectionResetError:
            pass
        waited = time.monotonic() - started
        slow.close()
        assert waited < MESSAGE_TIMEOUT_MS / 1000 + 3, f"closed after {waited:.1f} s"
        assert waited >= MESSAGE_TIMEOUT_MS / 1000 * 0.9, f"closed after {waited:.1f} s: too early"
        # Everyone else keeps going.
        assert options_answered(good, switch.tls) == 200
    assert switch.proc.alive()


def test_certificate_renewed_on_sighup(live, certs):
    switch = Switch(live, certs, live.port())
    with tls_connect(switch.tls, certs) as old:
        assert options_answered(old, switch.tls) == 200
        first_serial = old.getpeercert()["serialNumber"]

        make_server_cert(certs, "renewed")
        os.replace(certs / "renewed.pem", certs / "live.pem")
        os.replace(certs / "renewed.key", certs / "live.key")
        switch.hangup_and_wait_for("TLS certificate reloaded")
        with tls_connect(switch.tls, certs) as new:
            assert new.getpeercert()["serialNumber"] != first_serial
            assert dict(x[0] for x in new.getpeercert()["subject"])["commonName"] == "renewed"
            assert options_answered(new, switch.tls) == 200
        # The connection opened before the renewal carries on.
        assert options_answered(old, switch.tls) == 200

        # A bad file keeps the running certificate.
        (certs / "live.pem").write_text("not a certificate\n")
        switch.hangup_and_wait_for("TLS reload failed")
        with tls_connect(switch.tls, certs) as after:
            assert dict(x[0] for x in after.getpeercert()["subject"])["commonName"] == "renewed"
        assert options_answered(old, switch.tls) == 200
    assert switch.proc.alive()


def check_config(certs: Path, cert: str, key: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [os.environ["DIDTRON_BIN"], "check-config", "--listen", f"tls:{L.LOOPBACK}:5061",
         "--next-hop", f"{L.LOOPBACK}:5080", "--tls-certificate", str(certs / cert),
         "--tls-private-key", str(certs / key)],
        capture_output=True, text=True, timeout=30)


def test_check_config_validates_the_files(certs):
    ok = check_config(certs, "live.pem", "live.key")
    assert ok.returncode == 0 and "configuration OK" in ok.stdout, ok.stderr
    assert "expires in" not in ok.stderr, ok.stderr

    make_server_cert(certs, "other")
    wrong_key = check_config(certs, "live.pem", "other.key")
    assert wrong_key.returncode == 1 and "mismatch" in wrong_key.stderr, wrong_key.stderr

    missing = check_config(certs, "absent.pem", "live.key")
    assert missing.returncode == 1 and "absent.pem" in missing.stderr, missing.stderr

    make_server_cert(certs, "expired", days=-1)
    expired = check_config(certs, "expired.pem", "expired.key")
    assert expired.returncode == 1 and "expired" in expired.stderr, expired.stderr

    make_server_cert(certs, "soon", days=10)
    soon = check_config(certs, "soon.pem", "soon.key")
    assert soon.returncode == 0, soon.stderr
    assert "warning: tls.certificate_file" in soon.stderr, soon.stderr
    assert re.search(r"expires in (9|10) days", soon.stderr), soon.stderr


def header_lines(message: bytes, name: str) -> list[str]:
    return re.findall(rf"(?im)^{name}\s*:.*?(?=\r$)", message.decode())


def answer(request: bytes, code: int, reason: str, contact: str, to_tag: str = "phone1",
           body: str = "") -> bytes:
    """A UAS's response: Via, Record-Route, From, Call-ID, CSeq copied, a To tag added."""
    to = header_lines(request, "to")[0]
    if ";tag=" not in to:
        to += f";tag={to_tag}"
    lines = [f"SIP/2.0 {code} {reason}", *header_lines(request, "via"), *header_lines(request, "record-route"),
             *header_lines(request, "from"), to, *header_lines(request, "call-id"),
             *header_lines(request, "cseq"), f"Contact: <{contact}>"]
    if body:
        lines.append("Content-Type: application/sdp")
    return ("\r\n".join(lines + [f"Content-Length: {len(body)}", "", body])).encode()


def udp_request(method: str, uri: str, local: tuple[str, int], call_id: str, cseq: int,
                to: str, routes: list[str] = (), body: str = "") -> bytes:
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    lines = [f"{method} {uri} SIP/2.0", f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch={branch};rport",
             "Max-Forwards: 70", f"From: <sip:bob@{L.LOOPBACK}>;tag=bob1", f"To: {to}",
             f"Call-ID: {call_id}", f"CSeq: {cseq} {method}", f"Contact: <sip:bob@{local[0]}:{local[1]}>"]
    lines += [f"Route: {r}" for r in routes]
    if body:
        lines.append("Content-Type: application/sdp")
    return ("\r\n".join(lines + [f"Content-Length: {len(body)}", "", body])).encode()


def udp_final(sock: socket.socket, method: str) -> bytes:
    while True:
        data = sock.recv(65535)
        code = L.status_code(data)
        if code is not None and code >= 200 and f" {method}\r\n".encode() in data:
            return data


def test_a_phone_registered_over_tls_is_called_over_its_connection(live, certs):
    """Item 6: REGISTER over TLS; an INVITE for the phone reaches it over the
    connection its REGISTER came on (its Contact is unreachable), and an SDES
    SRTP offer passes untouched."""
    switch = Switch(live, certs, live.port(),
                    env={"DIDTRON_REGISTRAR_DOMAINS": "tls.test", "DIDTRON_REGISTRAR_AUTHENTICATION": "none"})
    phone_buffer = bytearray()
    with tls_connect(switch.tls, certs) as phone:
        local = phone.getsockname()
        branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
        unreachable = f"sip:alice@{L.LOOPBACK}:9;transport=tls"  # the phone is reached over its connection
        phone.sendall((f"REGISTER sip:tls.test SIP/2.0\r\n"
                       f"Via: SIP/2.0/TLS {local[0]}:{local[1]};branch={branch};rport\r\n"
                       f"Max-Forwards: 70\r\nFrom: <sip:alice@tls.test>;tag=reg1\r\n"
                       f"To: <sip:alice@tls.test>\r\nCall-ID: {branch}@phone\r\nCSeq: 1 REGISTER\r\n"
                       f"Contact: <{unreachable}>\r\nExpires: 300\r\nContent-Length: 0\r\n\r\n").encode())
        registered = read_until_status(phone, phone_buffer, "REGISTER")
        assert L.status_code(registered) == 200, registered

        caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        caller.bind((L.LOOPBACK, 0))
        caller.settimeout(5)
        sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio 40000 RTP/SAVP 0\r\n"
               "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n")
        call_id = uuid.uuid4().hex + "@caller"
        to = "<sip:alice@tls.test>"
        try:
            caller.sendto(udp_request("INVITE", "sip:alice@tls.test", caller.getsockname(), call_id, 1, to,
                                      body=sdp), (L.LOOPBACK, switch.udp))
            phone.settimeout(5)
            incoming = read_message(phone, phone_buffer)
            assert incoming.startswith(b"INVITE "), incoming
            assert sdp.encode() in incoming, incoming  # the SDES key passed untouched
            phone.sendall(answer(incoming, 200, "OK", f"sip:alice@{local[0]}:{local[1]};transport=tls",
                                 body=sdp))
            ok = udp_final(caller, "INVITE")
            assert L.status_code(ok) == 200, ok
            routes = [r.strip() for h in header_lines(ok, "record-route") for r in h.split(":", 1)[1].split(",")]
            contact = re.search(r"(?im)^(?:contact|m)\s*:\s*<([^>]+)>", ok.decode()).group(1)
            to_tagged = header_lines(ok, "to")[0].split(":", 1)[1].strip()
            caller.sendto(udp_request("ACK", contact, caller.getsockname(), call_id, 1, to_tagged,
                                      routes=routes[::-1]), (L.LOOPBACK, switch.udp))
            ack = read_message(phone, phone_buffer)
            assert ack.startswith(b"ACK "), ack
            caller.sendto(udp_request("BYE", contact, caller.getsockname(), call_id, 2, to_tagged,
                                      routes=routes[::-1]), (L.LOOPBACK, switch.udp))
            bye = read_message(phone, phone_buffer)
            assert bye.startswith(b"BYE "), bye
            phone.sendall(answer(bye, 200, "OK", f"sip:alice@{local[0]}:{local[1]};transport=tls"))
            assert L.status_code(udp_final(caller, "BYE")) == 200
        finally:
            caller.close()


@pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed")
def test_baresip_calls_over_tls(live, certs, tmp_path):
    """A real softphone, headless (Debian's baresip): it dials over TLS to the
    switch (its CA bundle is the test CA), the call reaches SIPp on UDP and is
    hung up when baresip quits."""
    uas_port = live.port()
    uas = live.uas("uas.xml", uas_port, calls=1)
    switch = Switch(live, certs, uas_port)
    phone = tmp_path / "baresip"
    phone.mkdir()
    (phone / "config").write_text(
        f"poll_method epoll\nsip_listen {L.LOOPBACK}:{L.free_port()}\nsip_transports udp,tls\n"
        f"sip_cafile {certs / 'ca.pem'}\n"
        f"audio_player aufile,{phone}/rx.wav\naudio_source ausine,440\naudio_alert aufile,/dev/null\n"
        "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule ausine.so\nmodule aufile.so\n"
        "module_app account.so\nmodule_app menu.so\n")
    (phone / "accounts").write_text(
        f'<sip:alice@{L.LOOPBACK}>;outbound="sip:{L.LOOPBACK}:{switch.tls};transport=tls";regint=0;'
        "audio_codecs=PCMU\n")
    out = subprocess.run(
        ["baresip", "-f", str(phone), "-e", f"/dial sip:1234@{L.LOOPBACK}:{switch.tls};transport=tls", "-t", "5"],
        capture_output=True, text=True, timeout=30)
    assert uas.wait(timeout=15) == 0, uas.summary() + out.stdout[-3000:]
    assert int(uas.stats()["SuccessfulCall(C)"]) == 1, uas.summary() + out.stdout[-3000:]
    invite = next(m for m in uas.messages() if m.direction == "received" and m.method == "INVITE")
    # Below the switch's own Via: baresip's, over TLS.
    assert re.search(r"(?mi)^(via|v)\s*:.*SIP/2\.0/TLS ", invite.text), invite.text
    assert "TLS handshake failed" not in switch.log.read_text()


def test_hundreds_of_stalled_handshakes_and_a_renegotiating_client(live, certs):
    """Slowloris on the handshake: 200 connections (50 from each of four
    sources, under the per-source cap) each send a record header and stop;
    all are closed by the deadline while a good client keeps being served. A
    client that renegotiates (TLS 1.2) is refused and loses its own connection."""
    switch = Switch(live, certs, live.port())
    stalled = []
    try:
        for i in range(200):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((f"127.0.0.{2 + i % 4}", 0))
            s.connect((L.LOOPBACK, switch.tls))
            s.sendall(b"\x16\x03\x01")
            stalled.append(s)
        started = time.monotonic()
        with tls_connect(switch.tls, certs) as good:
            assert options_answered(good, switch.tls) == 200
            deadline = started + MESSAGE_TIMEOUT_MS / 1000 + 4
            for s in stalled:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    assert s.recv(65535) == b""
                except ConnectionResetError:
                    pass
            assert time.monotonic() < deadline
            assert options_answered(good, switch.tls) == 200

            # Renegotiation: refused, that connection only.
            r = subprocess.run(
                ["openssl", "s_client", "-connect", f"{L.LOOPBACK}:{switch.tls}", "-tls1_2",
                 "-CAfile", str(certs / "ca.pem")],
                input=b"R\n", capture_output=True, timeout=10)
            out = (r.stdout + r.stderr).decode(errors="replace")
            assert "RENEGOTIATING" in out and "no renegotiation" in out, out
            assert options_answered(good, switch.tls) == 200
    finally:
        for s in stalled:
            s.close()
    assert switch.proc.alive()


KAMAILIO_CFG = """#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=2
tcp_children=2
enable_tls=yes
listen=udp:127.0.0.1:{udp}
listen=tls:127.0.0.1:{tls}
auto_aliases=no
dns=no
rev_dns=no
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tls.so"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:{rt}/ctl")
modparam("tls", "config", "{tls_cfg}")
request_route {{
    if (is_method("OPTIONS") && !has_totag()) {{ sl_send_reply("200", "OK"); exit; }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) t_relay(); exit; }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) t_relay(); exit; }}
    remove_hf("Route");
    if (is_method("INVITE")) record_route();
    $du = "{target}";
    t_relay();
    exit;
}}
"""

KAMAILIO_TLS_CFG = """[server:default]
method = TLSv1.2+
certificate = {certs}/live.pem
private_key = {certs}/live.key

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
ca_list = {certs}/ca.pem
"""


@pytest.mark.skipif(shutil.which("kamailio") is None
                    or not os.path.exists("/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so"),
                    reason="needs kamailio and kamailio-tls-modules")
def test_kamailio_tls_peer_sends_calls_over_tls(live, certs):
    """The customer side is Kamailio with its tls module (a peer nobody here
    wrote): SIPp calls it over UDP, it relays over TLS to the switch, verifying
    the switch's certificate against the CA, and the switch relays to SIPp on
    UDP. Every call completes, ACK and BYE included."""
    uas_port = live.port()
    uas = live.uas("uas.xml", uas_port, calls=3)
    switch = Switch(live, certs, uas_port)
    k_udp, k_tls = live.port(), live.port()
    rt = Path(tempfile.mkdtemp(prefix="dtkam-", dir="/tmp"))
    live.reg.scratch.append(rt)
    kdir = live.workdir / "kamailio"
    kdir.mkdir()
    (kdir / "tls.cfg").write_text(KAMAILIO_TLS_CFG.format(certs=certs))
    (kdir / "kamailio.cfg").write_text(KAMAILIO_CFG.format(
        udp=k_udp, tls=k_tls, rt=rt, tls_cfg=kdir / "tls.cfg",
        target=f"sip:{L.LOOPBACK}:{switch.tls};transport=tls"))
    start_kamailio(live, kdir, rt, k_udp)

    uac = L.start_sipp(live.reg, live.workdir, "uac", "uac.xml", live.port(), remote=f"{L.LOOPBACK}:{k_udp}",
                       calls=3, extra=["-s", "1234", "-r", "10", "-rp", "1000", "-d", "0"])
    live.sipps.append(uac)
    assert uac.wait(timeout=30) == 0, uac.summary()
    assert int(uac.stats()["SuccessfulCall(C)"]) == 3, uac.summary()
    assert uas.wait(timeout=15) == 0, uas.summary()
    assert "TLS handshake failed" not in switch.log.read_text()


def start_kamailio(live, kdir: Path, rt: Path, k_udp: int) -> None:
    kam = live.reg.spawn("kamailio", ["kamailio", "-DD", "-E", "-f", str(kdir / "kamailio.cfg"),
                                      "-P", str(rt / "kamailio.pid"), "-Y", str(rt), "-m", "128", "-M", "16"],
                         kdir / "kamailio.log", cwd=kdir, kill_tree=True)
    # Ready once it answers an OPTIONS itself.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind((L.LOOPBACK, 0))
    deadline = time.monotonic() + 15
    try:
        while True:
            assert kam.alive(), (kdir / "kamailio.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (kdir / "kamailio.log").read_text()[-3000:]
            branch = "z9hG4bK-kready-" + uuid.uuid4().hex[:10]
            probe.sendto(L.sip_options(k_udp, branch, probe.getsockname()[1]), (L.LOOPBACK, k_udp))
            probe.settimeout(0.3)
            try:
                if L.status_code(probe.recv(65535)) == 200:
                    break
            except socket.timeout:
                pass
    finally:
        probe.close()


@pytest.mark.skipif(shutil.which("kamailio") is None
                    or not os.path.exists("/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so"),
                    reason="needs kamailio and kamailio-tls-modules")
def test_the_switch_reaches_a_kamailio_supplier_over_tls(live, certs):
    """The supplier side: the switch's next hop is Kamailio's tls listener
    (`;transport=tls`), its certificate verified against tls.ca_file and the
    address; Kamailio relays to SIPp on UDP. SIPp calls the switch over UDP."""
    uas_port = live.port()
    uas = live.uas("uas.xml", uas_port, calls=3)
    k_udp, k_tls = live.port(), live.port()
    rt = Path(tempfile.mkdtemp(prefix="dtkam-", dir="/tmp"))
    live.reg.scratch.append(rt)
    kdir = live.workdir / "kamailio"
    kdir.mkdir()
    (kdir / "tls.cfg").write_text(KAMAILIO_TLS_CFG.format(certs=certs))
    (kdir / "kamailio.cfg").write_text(KAMAILIO_CFG.format(
        udp=k_udp, tls=k_tls, rt=rt, tls_cfg=kdir / "tls.cfg", target=f"sip:{L.LOOPBACK}:{uas_port}"))
    start_kamailio(live, kdir, rt, k_udp)
    switch = Switch(live, certs, uas_port, next_hop=f"{L.LOOPBACK}:{k_tls};transport=tls",
                    env={"DIDTRON_TLS_CA_FILE": str(certs / "ca.pem")})

    uac = L.start_sipp(live.reg, live.workdir, "uac", "uac.xml", live.port(),
                       remote=f"{L.LOOPBACK}:{switch.udp}",
                       calls=3, extra=["-s", "1234", "-r", "10", "-rp", "1000", "-d", "0"])
    live.sipps.append(uac)
    assert uac.wait(timeout=30) == 0, uac.summary()
    assert int(uac.stats()["SuccessfulCall(C)"]) == 3, uac.summary()
    assert uas.wait(timeout=15) == 0, uas.summary()
    invite = next(m for m in uas.messages() if m.direction == "received" and m.method == "INVITE")
    # The switch's Via below Kamailio's: it sent over TLS.
    assert re.search(r"(?mi)^(via|v)\s*:.*SIP/2\.0/TLS ", invite.text), invite.text


def test_a_sips_call_is_not_sent_over_plain_transport(live, certs):
    """RFC 3261 §26.2.2 / RFC 5630: a sips: INVITE must travel over TLS on
    every hop; with a next hop over UDP the switch answers 480 and sends
    nothing to it."""
    uas_port = live.port()
    uas = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    uas.bind((L.LOOPBACK, uas_port))
    uas.settimeout(0.5)
    switch = Switch(live, certs, uas_port)
    try:
        with tls_connect(switch.tls, certs) as conn:
            message = invite(switch.tls, conn.getsockname(), uuid.uuid4().hex + "@sips")
            conn.sendall(message.replace(b"INVITE sip:", b"INVITE sips:", 1).replace(b";transport=tls", b"", 1))
            answer_ = read_until_status(conn, bytearray(), "INVITE")
            assert L.status_code(answer_) == 480, answer_
            # The same call as sip: is forwarded (the next hop gets it).
            conn.sendall(invite(switch.tls, conn.getsockname(), uuid.uuid4().hex + "@sip"))
            data = uas.recv(65535)
            assert data.startswith(b"INVITE sip:"), data
    finally:
        uas.close()
