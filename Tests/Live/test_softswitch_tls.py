"""Softswitch mode over TLS (issue 20), interconnects as rows in PostgreSQL:

- mutual TLS: an ingress interconnect with `tls_client_fingerprint_sha256`;
  the right client certificate gets OPTIONS and a call served (and the call
  record names that interconnect), another certificate or none fails the
  handshake (`openssl s_client` over TLS 1.2, a Python client over TLS 1.3)
  and nothing it sends reaches the switch;
- egress interconnects with `transport = 'tls'` reached on Kamailio's tls
  module in front of SIPp: verified against `tls.ca_file` and the address,
  pinned by `tls_fingerprint_sha256`, and a wrong pin that fails over to the
  next route (or fails the call when it is the only one).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import ssl
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

import livelib as L
import softswitch as SS
import test_tls as T
from test_tls import certs  # noqa: F401 (the fixture: a test CA and the switch's certificate)
from test_tls_renewal import HAS_KAMAILIO_TLS, metrics

pytestmark = [
    pytest.mark.softswitch,
    pytest.mark.skipif(not os.path.exists("/usr/bin/openssl"), reason="needs the openssl command"),
]


def fingerprint(pem: Path) -> str:
    """SHA-256 of the certificate's DER, as the columns take it."""
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem.read_text())).hexdigest()


def listen_tls(ss, certs: Path) -> tuple[int, int]:
    """The switch's `run` also listens on TLS (the certificate from `certs`),
    trusts the test CA for outbound TLS and serves metrics; returns the TLS
    and metrics ports."""
    tls_port, metrics_port = L.free_port(), L.free_port()
    ss.extra_args += ["--listen", f"tls:{L.LOOPBACK}:{tls_port}",
                      "--tls-certificate", str(certs / "live.pem"),
                      "--tls-private-key", str(certs / "live.key"),
                      "--metrics-listen", f"{L.LOOPBACK}:{metrics_port}"]
    with ss.config.open("a") as f:
        f.write(f'\n[tls]\nca_file = "{certs / "ca.pem"}"\n')
    return tls_port, metrics_port


def client_connect(port: int, certs: Path, client: str | None, tls13: bool = True) -> ssl.SSLSocket:
    """A TLS connection to the switch presenting `client`.pem (None: no
    certificate), the switch's certificate verified against the CA."""
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    if client:
        context.load_cert_chain(str(certs / f"{client}.pem"), str(certs / f"{client}.key"))
    version = ssl.TLSVersion.TLSv1_3 if tls13 else ssl.TLSVersion.TLSv1_2
    context.minimum_version = context.maximum_version = version
    raw = socket.create_connection((L.LOOPBACK, port), timeout=5)
    return context.wrap_socket(raw, server_hostname=L.LOOPBACK)


def s_client_with(port: int, certs: Path, client: str | None) -> subprocess.CompletedProcess:
    """`openssl s_client` over TLS 1.2 (the client certificate is checked
    within the handshake) presenting `client`.pem, or none."""
    flags = ["-tls1_2"]
    if client:
        flags += ["-cert", str(certs / f"{client}.pem"), "-key", str(certs / f"{client}.key")]
    return T.s_client(port, certs, *flags)


def refused_after_handshake(port: int, certs: Path, client: str | None) -> str:
    """TLS 1.3: the client finishes its side of the handshake before the
    server checks its certificate; what it sends then gets no SIP answer,
    only the alert (or the close). Returns what the client saw."""
    try:
        conn = client_connect(port, certs, client)
    except (ssl.SSLError, ConnectionError) as e:
        return f"handshake: {e!r}"
    with conn:
        try:
            conn.sendall(T.options(port, conn.getsockname()))
            data = conn.recv(65535)
        except (ssl.SSLError, ConnectionError) as e:
            return f"after the handshake: {e!r}"
        assert L.status_code(data) is None and data == b"", data
        return "closed"


def sip_counters(port: int) -> tuple[float, float]:
    m = metrics(port)
    return m["didtron_sip_requests_received_total"], m.get("didtron_transport_frames_received_total", 0)


def test_mutual_tls_ingress_interconnect(ss, certs):
    T.make_server_cert(certs, "trunk")  # the interconnect's client certificate
    T.make_server_cert(certs, "stranger")  # signed by the same CA, but not the pinned one
    t = SS.Topology()
    plan = t.plan()
    customer = t.carrier(partner_type="customer")
    ingress = t.interconnect(customer, "ingress", transport="tls",
                             tls_client_fingerprint_sha256=fingerprint(certs / "trunk.pem"))
    t.address(ingress, L.LOOPBACK)
    t.service(customer, ingress, "ingress", plan=plan)
    supplier = t.trunk(t.supplier(), L.free_port())
    t.route(plan, "1", [supplier.service])
    ss.apply(t)
    uas = ss.uas(port=supplier.port, calls=1)
    tls_port, metrics_port = listen_tls(ss, certs)
    ss.start_switch()

    # The right client certificate: the handshake completes, both versions.
    for flags in (["-tls1_2"], ["-tls1_3"]):
        r = T.s_client(tls_port, certs, *flags, "-cert", str(certs / "trunk.pem"),
                       "-key", str(certs / "trunk.key"))
        out = (r.stdout + r.stderr).decode(errors="replace")
        assert r.returncode == 0 and "Verify return code: 0 (ok)" in out, out
    with client_connect(tls_port, certs, "trunk") as conn:
        assert T.options_answered(conn, tls_port) == 200
        call_id = uuid.uuid4().hex + "@mtls"
        local, buffer = conn.getsockname(), bytearray()
        conn.sendall(T.invite(tls_port, local, call_id))
        ok = T.read_until_status(conn, buffer, "INVITE")
        assert L.status_code(ok) == 200, ok
        conn.sendall(T.in_dialog("ACK", 1, ok, local, call_id))
        conn.sendall(T.in_dialog("BYE", 2, ok, local, call_id))
        assert L.status_code(T.read_until_status(conn, buffer, "BYE")) == 200
    assert uas.wait(timeout=15) == 0, uas.summary()
    row = ss.db.wait_call(call_id)
    assert row["ingress_interconnect_id"] == ingress and row["status"] == "completed", row

    # Another certificate, or none: no service, nothing reaches the switch.
    failed_before = metrics(metrics_port)['didtron_tls_handshakes_total{result="failed"}']
    sip_before = sip_counters(metrics_port)
    for client in ("stranger", None):
        r = s_client_with(tls_port, certs, client)
        out = (r.stdout + r.stderr).decode(errors="replace")
        assert r.returncode != 0, out
        assert re.search(r"alert|handshake failure|certificate required", out, re.I), out
        refused_after_handshake(tls_port, certs, client)  # asserts no SIP answer came
    after = metrics(metrics_port)
    assert after['didtron_tls_handshakes_total{result="failed"}'] - failed_before >= 4, after
    assert sip_counters(metrics_port) == sip_before
    log = ss.switch_log()
    assert "is not the pinned" in log, log[-3000:]
    assert ss.switch.alive()


def start_kamailio_supplier(ss, certs: Path, uas_port: int, tls_ports: list[int]) -> None:
    """Kamailio with its tls module on each of `tls_ports` (certificate
    kam.pem, signed by the test CA), relaying to SIPp on `uas_port` (UDP)."""
    k_udp = L.free_port()
    rt = Path(tempfile.mkdtemp(prefix="dtkam-", dir="/tmp"))
    ss.reg.scratch.append(rt)
    kdir = ss.workdir / "kamailio"
    kdir.mkdir()
    for name in ("live.pem", "live.key"):  # KAMAILIO_TLS_CFG's names for its certificate
        (kdir / name).write_bytes((certs / name.replace("live", "kam")).read_bytes())
    (kdir / "ca.pem").write_bytes((certs / "ca.pem").read_bytes())
    listens = "".join(f"listen=tls:{L.LOOPBACK}:{p}\n" for p in tls_ports)
    cfg = T.KAMAILIO_CFG.replace("listen=tls:127.0.0.1:{tls}\n", listens)
    (kdir / "tls.cfg").write_text(T.KAMAILIO_TLS_CFG.format(certs=kdir))
    (kdir / "kamailio.cfg").write_text(cfg.format(
        udp=k_udp, rt=rt, tls_cfg=kdir / "tls.cfg", target=f"sip:{L.LOOPBACK}:{uas_port}"))
    T.start_kamailio(ss, kdir, rt, k_udp)


@pytest.mark.skipif(not HAS_KAMAILIO_TLS, reason="needs kamailio and kamailio-tls-modules")
def test_egress_tls_interconnects_verified_pinned_and_failing_over(ss, certs):
    """Three egress interconnects over TLS on Kamailio: `verified` (its
    certificate against tls.ca_file and 127.0.0.1), `pinned` (the right
    tls_fingerprint_sha256) and `wrong_pin` (another certificate's). Calls to
    the first two are answered by SIPp behind Kamailio; a call whose first
    route is `wrong_pin` fails over to `pinned`; with `wrong_pin` alone it fails."""
    T.make_server_cert(certs, "kam")
    ports = [L.free_port() for _ in range(3)]
    t = SS.Topology()
    plan = t.plan()
    t.customer(plan=plan)
    supplier = t.supplier()

    def tls_trunk(port: int, **tls) -> SS.Egress:
        i = t.interconnect(supplier, "egress", ip=L.LOOPBACK, port=port, transport="tls", **tls)
        return SS.Egress(supplier, i, t.service(supplier, i, "egress"), port)

    verified = tls_trunk(ports[0])
    pinned = tls_trunk(ports[1], tls_fingerprint_sha256=fingerprint(certs / "kam.pem"))
    wrong_pin = tls_trunk(ports[2], tls_fingerprint_sha256=fingerprint(certs / "live.pem"))
    t.route(plan, "1", [verified.service])
    t.route(plan, "2", [pinned.service])
    t.route(plan, "3", [wrong_pin.service, pinned.service])
    t.route(plan, "4", [wrong_pin.service])
    ss.apply(t)
    uas_port = L.free_port()
    uas = ss.uas(port=uas_port)
    start_kamailio_supplier(ss, certs, uas_port, ports)
    listen_tls(ss, certs)
    ss.start_switch()

    for number, want, tried in (("15550001", verified, 1), ("25550002", pinned, 1), ("35550003", pinned, 2)):
        r = ss.call(number)
        assert r.rc == 0 and r.final_status == 200 and r.answered_by == uas_port, r.describe()
        row = ss.db.wait_call(r.call_id)
        assert row["egress_interconnect_id"] == want.interconnect, (number, row)
        assert row["routes_tried"] == tried and row["status"] == "completed", (number, row)
        invite = next(m for m in uas.messages() if m.method == "INVITE" and m.call_id == r.call_id)
        # Kamailio's Via on top, the switch's below it: it came over TLS.
        assert re.search(r"(?mi)^(via|v)\s*:.*SIP/2\.0/TLS ", invite.text), invite.text

    failed = ss.call("45550004", expect="reject")
    assert failed.rc == 0 and failed.final_status is not None and failed.final_status >= 500, failed.describe()
    row = ss.db.wait_call(failed.call_id)
    assert row["status"] != "completed" and row["egress_interconnect_id"] in (None, wrong_pin.interconnect), row
    assert failed.call_id not in SS.received_invites(uas)
    assert "is not the pinned" in ss.switch_log()
