"""Softswitch mode: an ingress interconnect identified over TLS by its client
certificate's subject and subjectAltName (Migration 0025), and a `sips:`
request over UDP (RFC 3261 §26.2.2, RFC 5630).

Certificates are made here with `openssl`: a CA (the switch's `tls.ca_file`),
the switch's certificate for 127.0.0.1, the interconnect's client
certificate, another client certificate from the same CA for another name,
and a self-signed forgery with the interconnect's names. Callers are Python
`ssl` clients bound to their own loopback addresses (each refusal is logged:
the log keeps one line a minute per source); the supplier is SIPp on UDP.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import uuid
from pathlib import Path

import pytest

import softswitch as SS

L = SS.L

pytestmark = [
    pytest.mark.softswitch,
    pytest.mark.skipif(not os.path.exists("/usr/bin/openssl"), reason="needs the openssl command"),
]

NUMBER = "15551230000"
SUBJECT = "CN=sbc.carrier.test,O=Carrier Test Ltd,C=GB"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_cert(d: Path, name: str, subject: str, san: str, signer: str | None = "ca") -> None:
    """`name`.pem / `name`.key, EC P-256, signed by `signer` (None: self-signed)."""
    (d / f"{name}.cnf").write_text(f"subjectAltName={san}\nextendedKeyUsage=serverAuth,clientAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=d)
    sign = (["-CA", f"{signer}.pem", "-CAkey", f"{signer}.key", "-CAcreateserial"] if signer
            else ["-signkey", f"{name}.key"])
    openssl("x509", "-req", "-in", f"{name}.csr", *sign, "-out", f"{name}.pem", "-days", "30",
            "-extfile", f"{name}.cnf", cwd=d)


@pytest.fixture
def certs(tmp_path) -> Path:
    d = tmp_path / "certs"
    d.mkdir()
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=identity test CA", cwd=d)
    make_cert(d, "switch", "/CN=switch", "IP:127.0.0.1")
    names = "DNS:sbc.carrier.test,IP:192.0.2.10"
    make_cert(d, "trunk", "/C=GB/O=Carrier Test Ltd/CN=sbc.carrier.test", names)
    make_cert(d, "stranger", "/C=GB/O=Stranger Ltd/CN=sbc.stranger.test", "DNS:sbc.stranger.test")
    make_cert(d, "forged", "/C=GB/O=Carrier Test Ltd/CN=sbc.carrier.test", names, signer=None)
    return d


def start_tls_switch(ss, certs: Path) -> int:
    """The switch with a tls: listener too and `tls.ca_file` = the test CA; its TLS port."""
    port = L.free_port()
    udp_and_tcp = ss.switch_argv
    ss.switch_argv = lambda: udp_and_tcp() + [
        "--listen", f"tls:{L.LOOPBACK}:{port}",
        "--tls-certificate", str(certs / "switch.pem"), "--tls-private-key", str(certs / "switch.key")]
    ss.config.write_text(ss.config.read_text() + f'\n[tls]\nca_file = "{certs / "ca.pem"}"\n')
    ss.start_switch()
    return port


def connect(port: int, certs: Path, source: str, client: str | None) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    if client:
        context.load_cert_chain(str(certs / f"{client}.pem"), str(certs / f"{client}.key"))
    raw = socket.create_connection((L.LOOPBACK, port), timeout=5, source_address=(source, 0))
    return context.wrap_socket(raw, server_hostname=L.LOOPBACK)


def invite(port: int, local: tuple[str, int], call_id: str, scheme: str = "sip",
           transport: str = "TLS") -> bytes:
    sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    return (f"INVITE {scheme}:{NUMBER}@{L.LOOPBACK}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport} {local[0]}:{local[1]};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:caller@{local[0]}>;tag=caller1\r\n"
            f"To: <sip:{NUMBER}@{L.LOOPBACK}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:caller@{local[0]}:{local[1]};transport={transport.lower()}>\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}").encode()


def read_status(conn: ssl.SSLSocket, buffer: bytearray, method: str, minimum: int = 200) -> bytes:
    """The next response to `method` with a status of at least `minimum`."""
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", bytes(buffer[:end]))
            total = end + 4 + (int(m.group(1)) if m else 0)
            if len(buffer) >= total:
                message = bytes(buffer[:total])
                del buffer[:total]
                code = L.status_code(message)
                if code is not None and code >= minimum and f" {method}\r\n".encode() in message:
                    return message
                continue
        chunk = conn.recv(65535)
        assert chunk, "connection closed by the switch"
        buffer += chunk


def in_dialog(method: str, cseq: int, ok: bytes, local: tuple[str, int], call_id: str) -> bytes:
    """ACK or BYE along the 200's Record-Route, reversed."""
    text = ok.decode()
    routes = [r.strip() for line in re.findall(r"(?im)^record-route\s*:\s*(.+?)\r$", text)
              for r in line.split(",")][::-1]
    contact = re.search(r"(?im)^(?:contact|m)\s*:\s*<([^>]+)>", text).group(1)
    to = re.search(r"(?im)^(?:to|t)\s*:\s*(.+?)\r$", text).group(1)
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    lines = [f"{method} {contact} SIP/2.0", f"Via: SIP/2.0/TLS {local[0]}:{local[1]};branch={branch};rport",
             "Max-Forwards: 70", f"From: <sip:caller@{local[0]}>;tag=caller1", f"To: {to}",
             f"Call-ID: {call_id}", f"CSeq: {cseq} {method}"] + [f"Route: {r}" for r in routes]
    return ("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode()


def refused(port: int, certs: Path, source: str, client: str | None) -> bool:
    """True when the switch answers nothing and ends the connection (the
    handshake failed: TLS 1.3 tells the client after its first write)."""
    try:
        with connect(port, certs, source, client) as conn:
            conn.sendall(invite(port, conn.getsockname(), uuid.uuid4().hex + "@refused"))
            return conn.recv(65535) == b""
    except (ssl.SSLError, ConnectionError):
        return True


def test_an_interconnect_identified_by_its_certificates_subject_and_san(ss, certs):
    t = SS.Topology()
    plan = t.plan()
    supplier = t.trunk(t.supplier(), L.free_port())
    t.route(plan, "1", [supplier.service])
    customer = t.customer(plan=plan, address="127.0.0.0/29", transport="tls")
    t.stmts.append(
        f"update carrier_interconnects set tls_client_subject = {SS.lit(SUBJECT)}, "
        f"tls_client_san = 'DNS:sbc.carrier.test' where id = {SS.lit(customer.interconnect)};")
    ss.apply(t)
    uas = ss.uas(port=supplier.port, calls=1)
    port = start_tls_switch(ss, certs)

    # The interconnect's certificate: its call goes through, recorded as its.
    call_id = uuid.uuid4().hex + "@tls-identity"
    buffer = bytearray()
    with connect(port, certs, "127.0.0.2", "trunk") as conn:
        local = conn.getsockname()
        conn.sendall(invite(port, local, call_id))
        ok = read_status(conn, buffer, "INVITE")
        assert L.status_code(ok) == 200, ok
        conn.sendall(in_dialog("ACK", 1, ok, local, call_id))
        conn.sendall(in_dialog("BYE", 2, ok, local, call_id))
        assert L.status_code(read_status(conn, buffer, "BYE")) == 200
    assert uas.wait(timeout=15) == 0, uas.summary()
    assert ss.db.wait_call(call_id)["ingress_interconnect_id"] == customer.interconnect

    # The same names, self-signed; another name from the same CA; no certificate.
    since = ss.log_size()
    assert refused(port, certs, "127.0.0.3", "forged")
    assert refused(port, certs, "127.0.0.4", "stranger")
    assert refused(port, certs, "127.0.0.5", None)
    assert ss.wait_log(r"chain does not verify against tls\.ca_file", since=since), ss.switch_log()[-3000:]
    assert ss.wait_log(r'"CN=sbc\.stranger\.test,O=Stranger Ltd,C=GB" is not the interconnect.*'
                       r"has no subjectAltName DNS:sbc\.carrier\.test", since=since), ss.switch_log()[-3000:]
    assert ss.wait_log(r"peer did not return a certificate", since=since), ss.switch_log()[-3000:]
    assert ss.db.count() == 1
    assert ss.switch.alive()


def test_a_sips_request_over_udp_is_refused(ss):
    t = SS.Topology()
    plan = t.plan()
    supplier = t.trunk(t.supplier(), L.free_port())
    t.route(plan, "1", [supplier.service])
    t.customer(plan=plan, address="127.0.0.6")
    ss.apply(t)
    ss.start_switch()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.6", 0))
        s.settimeout(5)
        s.sendto(invite(ss.port, s.getsockname(), uuid.uuid4().hex + "@sips", scheme="sips",
                        transport="UDP"), (L.LOOPBACK, ss.port))
        answer = s.recv(65535)
    assert answer.startswith(b"SIP/2.0 480 Secure Transport Required\r\n"), answer
    assert ss.db.count() == 0
