"""Issue 20: a certificate renewed during 60 s of calls, and `openssl
s_client` checks of the certificate the switch serves (proxy mode, no
database).

- Renewal: for LIVE_TLS_RENEWAL_SECONDS (60) calls run over TLS to the switch
  from three sides at once: SIPp over UDP through Kamailio's tls module (one
  TLS connection, opened at the first call), a Python `ssl` caller with a NEW
  connection (a full handshake) per call, and a Python caller on one
  connection opened before the renewal. Halfway the certificate and key files
  are replaced by a renewed pair and the switch gets SIGHUP. Every call must
  complete; handshakes after the reload see the new certificate, those before
  it the old one; the connections opened before it keep working; no
  handshake fails.
- `s_client`: a wrong SNI gets the switch's one certificate (the client's
  name check fails); an untrusted (self-signed) and an expired certificate
  fail a verifying client, and `check-config` says what it says about them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

import livelib as L
import test_tls as T
from conftest import ON_KAMAILIO
from test_tls import certs  # noqa: F401 (the fixture: a test CA and the switch's certificate)

pytestmark = [
    pytest.mark.skipif(ON_KAMAILIO, reason="our daemon's tls: listener and keys"),
    pytest.mark.skipif(not os.path.exists("/usr/bin/openssl"), reason="needs the openssl command"),
]

RENEWAL_SECONDS = float(os.environ.get("LIVE_TLS_RENEWAL_SECONDS", "60"))

HAS_KAMAILIO_TLS = shutil.which("kamailio") is not None and os.path.exists(
    "/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so")


def metrics(port: int) -> dict[str, float]:
    """GET /metrics: sample name with labels -> value."""
    with urllib.request.urlopen(f"http://{L.LOOPBACK}:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def handshakes(port: int, result: str) -> int:
    return int(metrics(port).get(f'didtron_tls_handshakes_total{{result="{result}"}}', 0))


def serial_of(pem: Path) -> str:
    """The certificate's serial as Python's getpeercert() writes it (hex, upper case)."""
    r = subprocess.run(["openssl", "x509", "-in", str(pem), "-noout", "-serial"],
                         capture_output=True, text=True, check=True, timeout=10)
    return r.stdout.strip().split("=", 1)[1].upper()


def tls_call(conn, port: int) -> None:
    """One call over `conn` to SIPp behind the switch: INVITE, 200, ACK, BYE, 200."""
    call_id = uuid.uuid4().hex + "@renewal"
    local = conn.getsockname()
    buffer = bytearray()
    conn.sendall(T.invite(port, local, call_id))
    ok = T.read_until_status(conn, buffer, "INVITE")
    assert L.status_code(ok) == 200, ok
    conn.sendall(T.in_dialog("ACK", 1, ok, local, call_id))
    conn.sendall(T.in_dialog("BYE", 2, ok, local, call_id))
    bye_ok = T.read_until_status(conn, buffer, "BYE")
    assert L.status_code(bye_ok) == 200, bye_ok


class Caller(threading.Thread):
    """Calls until `stop`, `interval` s apart: over a new connection each time
    (`reuse=None`), or over the one connection given."""

    def __init__(self, port: int, certs: Path, stop: float, interval: float, reuse=None) -> None:
        super().__init__(daemon=True)
        self.port, self.certs, self.stop, self.interval, self.reuse = port, certs, stop, interval, reuse
        self.calls: list[tuple[float, str]] = []  # (handshake done, monotonic; server serial)
        self.errors: list[str] = []

    def run(self) -> None:
        next_call = time.monotonic()
        while next_call < self.stop:
            time.sleep(max(0.0, next_call - time.monotonic()))
            next_call += self.interval
            try:
                if self.reuse is not None:
                    tls_call(self.reuse, self.port)
                    self.calls.append((time.monotonic(), self.reuse.getpeercert()["serialNumber"]))
                    continue
                with T.tls_connect(self.port, self.certs) as conn:
                    self.calls.append((time.monotonic(), conn.getpeercert()["serialNumber"]))
                    tls_call(conn, self.port)
            except Exception as e:  # every failure is reported, none ends the run
                self.errors.append(f"{time.monotonic():.2f}: {e!r}")


def start_kamailio_to(live, certs: Path, target: str) -> int:
    """Kamailio with its tls module relaying what it gets on UDP to `target`;
    returns its UDP port."""
    k_udp, k_tls = live.port(), live.port()
    rt = Path(tempfile.mkdtemp(prefix="dtkam-", dir="/tmp"))
    live.reg.scratch.append(rt)
    kdir = live.workdir / "kamailio"
    kdir.mkdir()
    # Kamailio keeps its own copy of the first certificate: the switch's files change under it.
    shutil.copy(certs / "live.pem", kdir / "live.pem")
    shutil.copy(certs / "live.key", kdir / "live.key")
    shutil.copy(certs / "ca.pem", kdir / "ca.pem")
    (kdir / "tls.cfg").write_text(T.KAMAILIO_TLS_CFG.format(certs=kdir))
    (kdir / "kamailio.cfg").write_text(T.KAMAILIO_CFG.format(
        udp=k_udp, tls=k_tls, rt=rt, tls_cfg=kdir / "tls.cfg", target=target))
    T.start_kamailio(live, kdir, rt, k_udp)
    return k_udp


@pytest.mark.skipif(not HAS_KAMAILIO_TLS, reason="needs kamailio and kamailio-tls-modules")
def test_certificate_renewed_during_60_s_of_calls(live, certs):
    uas_port = live.port()
    uas = L.start_sipp(live.reg, live.workdir, "uas", "uas.xml", uas_port, wait_bound=True,
                       global_timeout=f"{int(RENEWAL_SECONDS) + 40}s")
    live.sipps.append(uas)
    metrics_port = live.port()
    switch = T.Switch(live, certs, uas_port, env={"DIDTRON_METRICS_LISTEN": f"{L.LOOPBACK}:{metrics_port}"})
    k_udp = start_kamailio_to(live, certs, f"sip:{L.LOOPBACK}:{switch.tls};transport=tls")
    old_serial = serial_of(certs / "live.pem")

    # SIPp -> Kamailio (UDP) -> TLS -> switch -> SIPp (UDP): 4 calls/s held 2 s each,
    # so some are up while the certificate changes.
    rate, hold_ms = 4, 2000
    sipp_calls = int(RENEWAL_SECONDS * rate)
    uac = L.start_sipp(live.reg, live.workdir, "uac", "uac.xml", live.port(), remote=f"{L.LOOPBACK}:{k_udp}",
                       calls=sipp_calls, global_timeout=f"{int(RENEWAL_SECONDS) + 40}s",
                       extra=["-s", "1234", "-r", str(rate), "-rp", "1000", "-d", str(hold_ms)])
    live.sipps.append(uac)
    started = time.monotonic()
    stop = started + RENEWAL_SECONDS
    with T.tls_connect(switch.tls, certs) as kept:
        new_each = Caller(switch.tls, certs, stop, interval=0.4)
        on_kept = Caller(switch.tls, certs, stop, interval=2.0, reuse=kept)
        new_each.start()
        on_kept.start()

        time.sleep(max(0.0, started + RENEWAL_SECONDS / 2 - time.monotonic()))  # halfway
        T.make_server_cert(certs, "renewed")
        new_serial = serial_of(certs / "renewed.pem")
        os.replace(certs / "renewed.pem", certs / "live.pem")
        os.replace(certs / "renewed.key", certs / "live.key")
        hup_sent = time.monotonic()
        switch.hangup_and_wait_for("TLS certificate reloaded")
        reloaded = time.monotonic()

        new_each.join(timeout=RENEWAL_SECONDS + 20)
        on_kept.join(timeout=RENEWAL_SECONDS + 20)
        assert not new_each.is_alive() and not on_kept.is_alive()
        assert not new_each.errors, new_each.errors[:5]
        assert not on_kept.errors, on_kept.errors[:5]

    assert uac.wait(timeout=RENEWAL_SECONDS + 30) == 0, uac.summary()
    stats = uac.stats()
    assert int(stats["SuccessfulCall(C)"]) == sipp_calls, uac.summary()
    assert int(stats["FailedCall(C)"]) == 0, uac.summary()

    # New handshakes: the old certificate before SIGHUP, the new one once reloaded.
    before = [s for t, s in new_each.calls if t < hup_sent]
    after = [s for t, s in new_each.calls if t > reloaded]
    assert len(before) >= RENEWAL_SECONDS / 2 * 2 * 0.5 and len(after) >= RENEWAL_SECONDS / 2 * 2 * 0.5, (
        len(before), len(after))
    assert set(before) == {old_serial}, set(before)
    assert set(after) == {new_serial}, set(after)
    # The connection opened before the reload: its certificate, calls on it after the reload.
    assert {s for _, s in on_kept.calls} == {old_serial}
    assert any(t > reloaded for t, _ in on_kept.calls), on_kept.calls

    # Handshakes: one per new connection, the kept one, and Kamailio's: one
    # connection for all its calls, across the renewal. None failed.
    ok = handshakes(metrics_port, "ok")
    assert handshakes(metrics_port, "failed") == 0
    assert ok - len(new_each.calls) - 1 == 1, (ok, len(new_each.calls))
    assert switch.proc.alive()


def s_client_text(r: subprocess.CompletedProcess) -> str:
    return (r.stdout + r.stderr).decode(errors="replace")


def make_self_signed(d: Path, name: str) -> None:
    """`name`.pem / `name`.key: self-signed (no CA), for 127.0.0.1, CN=`name`."""
    T.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
              "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "400", "-subj", f"/CN={name}",
              "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", cwd=d)


def test_wrong_sni_gets_the_one_certificate_and_the_name_check_fails(live, certs):
    """One certificate per switch: SNI selects nothing. A client that asks for
    another name still gets the switch's certificate; with the name checked
    (`-verify_hostname`) its verification fails, not the handshake's server side."""
    switch = T.Switch(live, certs, live.port())
    wrong = T.s_client(switch.tls, certs, "-servername", "wrong.example", "-verify_hostname", "wrong.example")
    out = s_client_text(wrong)
    assert wrong.returncode != 0, out
    assert "hostname mismatch" in out.lower(), out
    assert re.search(r"\bs:\s*CN\s*=\s*live\b", out), out  # the switch's certificate all the same
    # The same SNI without a name check: served, and the chain verifies.
    unchecked = T.s_client(switch.tls, certs, "-servername", "wrong.example")
    assert unchecked.returncode == 0, s_client_text(unchecked)
    assert "Verify return code: 0 (ok)" in unchecked.stdout.decode(), s_client_text(unchecked)
    # The name the certificate carries passes.
    right = T.s_client(switch.tls, certs, "-servername", "localhost", "-verify_hostname", "localhost")
    assert right.returncode == 0 and "Verify return code: 0 (ok)" in right.stdout.decode(), s_client_text(right)


def test_untrusted_and_expired_certificates_fail_a_verifying_client(live, certs, tmp_path):
    """A self-signed certificate (not in the client's CA file) and an expired
    one: `s_client -verify_return_error -CAfile` fails on each. `check-config`
    passes the self-signed one (whom clients trust is theirs to say) and
    refuses the expired one; a start with it warns and serves it (the metric
    shows its notAfter in the past)."""
    make_self_signed(certs, "selfsigned")
    ok = T.check_config(certs, "selfsigned.pem", "selfsigned.key")
    assert ok.returncode == 0 and "configuration OK" in ok.stdout, ok.stderr
    assert "warning" not in ok.stderr, ok.stderr
    os.replace(certs / "selfsigned.pem", certs / "live.pem")
    os.replace(certs / "selfsigned.key", certs / "live.key")
    switch = T.Switch(live, certs, live.port())
    untrusted = T.s_client(switch.tls, certs)
    out = s_client_text(untrusted)
    assert untrusted.returncode != 0, out
    assert "self-signed certificate" in out or "self signed certificate" in out, out
    live.reg.stop(switch.proc)

    expired_dir = tmp_path / "expired"
    expired_dir.mkdir()
    for name in ("ca.pem", "ca.key"):
        shutil.copy(certs / name, expired_dir / name)
    T.make_server_cert(expired_dir, "live", days=-1)
    refused = T.check_config(expired_dir, "live.pem", "live.key")
    assert refused.returncode == 1 and "expired" in refused.stderr, refused.stderr
    metrics_port = live.port()
    switch = T.Switch(live, expired_dir, live.port(), env={"DIDTRON_METRICS_LISTEN": f"{L.LOOPBACK}:{metrics_port}"})
    assert "TLS certificate expired or expires within 30 days" in switch.log.read_text()
    expired = T.s_client(switch.tls, expired_dir)
    out = s_client_text(expired)
    assert expired.returncode != 0, out
    assert "certificate has expired" in out, out
    assert metrics(metrics_port)["didtron_tls_certificate_expiry_time_seconds"] < time.time()
