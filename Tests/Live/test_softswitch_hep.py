"""HEP capture (issue 21 item 6, docs/operations.md): with
capture.hep_address set, every SIP message of a call, in and out, reaches
the collector as a HEP v3 packet whose payload is the message and whose
correlation id is the Call-ID. The collector here is a UDP socket and a
decoder of this file's own (not the switch's); a collector that is down
costs the calls nothing."""

from __future__ import annotations

import re
import shutil
import socket
import struct
import time

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

NUMBER = "15557770000"


def decode(packet: bytes) -> dict:
    """HEP v3 -> {chunk type: value bytes} (vendor 0 only); asserts the framing."""
    assert packet[:4] == b"HEP3", packet[:16]
    (total,) = struct.unpack("!H", packet[4:6])
    assert total == len(packet), (total, len(packet))
    chunks, i = {}, 6
    while i < len(packet):
        vendor, ctype, length = struct.unpack("!HHH", packet[i:i + 6])
        assert length >= 6 and i + length <= len(packet), (i, length)
        if vendor == 0:
            chunks[ctype] = packet[i + 6:i + length]
        i += length
    return chunks


def first_line(payload: bytes) -> str:
    return payload.split(b"\r\n", 1)[0].decode()


def route(ss) -> SS.Egress:
    t = SS.Topology()
    plan = t.plan()
    a = t.trunk(t.supplier(), L.free_port())
    t.route(plan, "1", [a.service])
    t.customer(plan=plan)
    ss.apply(t)
    return a


def test_every_message_of_a_call_reaches_the_collector(ss):
    a = route(ss)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as collector:
        collector.bind((L.LOOPBACK, 0))
        collector.settimeout(0.2)
        hep_port = collector.getsockname()[1]
        ss.config.write_text(
            SS.SWITCH_CONFIG + f'\n[capture]\nhep_address = "{L.LOOPBACK}:{hep_port}"\nhep_capture_id = 4242\n')
        ss.uas(port=a.port, calls=1)
        ss.start_switch()
        started = time.time()
        r = ss.call(NUMBER)
        assert r.rc == 0 and r.final_status == 200, r.describe()

        copies: list[dict] = []
        # INVITE, 100, 180, 200, ACK, BYE, 200: each in and out (the 100 only to the caller).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                copies.append(decode(collector.recv(65535)))
            except socket.timeout:
                if len([c for c in copies if c.get(0x11, b"").decode() == r.call_id]) >= 13:
                    break
    ours = [c for c in copies if c.get(0x11, b"").decode() == r.call_id]
    switch_port = ss.port
    for c in ours:
        assert c[0x01] == bytes([2]) and c[0x02] == bytes([17]), c  # IPv4, UDP
        assert c[0x0b] == bytes([1]), "protocol type is not SIP"
        assert struct.unpack("!I", c[0x0c])[0] == 4242
        seconds = struct.unpack("!I", c[0x09])[0]
        assert started - 5 <= seconds <= time.time() + 5, seconds
        assert c[0x03] == socket.inet_aton(L.LOOPBACK) and c[0x04] == socket.inet_aton(L.LOOPBACK)
        payload = c[0x0f]
        assert re.search(rb"(?mi)^(call-id|i)\s*:\s*" + re.escape(r.call_id.encode()), payload), payload[:300]
        assert payload.endswith(b"\r\n\r\n") or b"\r\n\r\nv=0" in payload, payload[-80:]

    def seen(line_start: str, *, to_switch: bool, peer: int | None = None) -> list[dict]:
        out = []
        for c in ours:
            src, dst = struct.unpack("!H", c[0x07])[0], struct.unpack("!H", c[0x08])[0]
            if to_switch and dst != switch_port or not to_switch and src != switch_port:
                continue
            if peer is not None and (src if to_switch else dst) != peer:
                continue
            if first_line(c[0x0f]).startswith(line_start):
                out.append(c)
        return out

    summary = [(struct.unpack("!H", c[0x07])[0], struct.unpack("!H", c[0x08])[0], first_line(c[0x0f]))
               for c in ours]
    invite_in = seen("INVITE ", to_switch=True)
    invite_out = seen("INVITE ", to_switch=False, peer=a.port)
    # (a retransmission, on a loaded machine, is one more copy of the same)
    assert len(invite_in) >= 1 and len(invite_out) >= 1, summary
    assert first_line(invite_in[0][0x0f]) == f"INVITE sip:{NUMBER}@{L.LOOPBACK}:{switch_port} SIP/2.0", summary
    # The copies decode to the very messages: the INVITE as the caller's SIPp
    # logged sending it, and as the supplier's SIPp logged receiving it.
    def logged(role_prefix: str) -> bytes:
        run = next(x for x in ss.sipps if x.role.startswith(role_prefix))
        return run.message_file.read_bytes().replace(b"\r\n", b"\n")
    assert invite_in[0][0x0f].replace(b"\r\n", b"\n").strip() in logged("uac"), invite_in[0][0x0f][:400]
    assert invite_out[0][0x0f].replace(b"\r\n", b"\n").strip() in logged("uas"), invite_out[0][0x0f][:400]
    assert b"Record-Route:" in invite_out[0][0x0f]
    assert seen("SIP/2.0 100", to_switch=False), summary
    assert seen("SIP/2.0 200", to_switch=True, peer=a.port) and seen("SIP/2.0 200", to_switch=False), summary
    assert seen("ACK ", to_switch=True) and seen("ACK ", to_switch=False, peer=a.port), summary
    assert seen("BYE ", to_switch=True) and seen("BYE ", to_switch=False, peer=a.port), summary
    assert len(ours) >= 12, summary
    assert ss.stop_switch() == 0


def test_a_collector_that_is_down_costs_calls_nothing(ss):
    a = route(ss)
    port = L.free_port()  # nobody listens: ICMP port unreachable for every copy
    metrics = L.free_port()
    ss.config.write_text(
        SS.SWITCH_CONFIG + f'\n[metrics]\nlisten = "{L.LOOPBACK}:{metrics}"\n'
        f'\n[capture]\nhep_address = "{L.LOOPBACK}:{port}"\n')
    uas = ss.uas(port=a.port, calls=5)
    ss.start_switch()
    uac = ss.uac(NUMBER, calls=5, rate=10)
    assert uac.wait(timeout=60) == 0, uac.summary()
    assert uas.wait(timeout=30) == 0, uas.summary()
    import urllib.request
    with urllib.request.urlopen(f"http://{L.LOOPBACK}:{metrics}/metrics", timeout=5) as resp:
        body = resp.read().decode()
    counts = dict(re.findall(r'didtron_hep_copies_total\{result="(\w+)"\} (\d+)', body))
    assert int(counts["sent"]) + int(counts["failed"]) + int(counts["dropped"]) >= 5 * 13, body[-2000:]
    assert ss.stop_switch() == 0


def pcap_records(data: bytes) -> list[bytes]:
    """The packets of a classic pcap file (either byte order)."""
    assert len(data) >= 24, len(data)
    order = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    out, i = [], 24
    while i + 16 <= len(data):
        _, _, incl, _ = struct.unpack(order + "IIII", data[i:i + 16])
        out.append(data[i + 16:i + 16 + incl])
        i += 16 + incl
    return out


@pytest.mark.skipif(shutil.which("sngrep") is None, reason="sngrep is not installed")
def test_sngrep_as_a_real_collector_sees_the_call(ss, tmp_path):
    """sngrep (Debian's, built with HEP support) listening for HEP, headless,
    writing what it collects to a pcap: the call's messages are in it."""
    a = route(ss)
    hep_port = L.free_port()
    pcap = tmp_path / "hep.pcap"
    sngrep = ss.reg.spawn("sngrep", ["sngrep", "-N", "-q", "-L", f"udp:{L.LOOPBACK}:{hep_port}",
                                     "-O", str(pcap)], tmp_path / "sngrep.log", cwd=tmp_path)
    SS.wait_for("sngrep to listen for HEP", lambda: L._listening(hep_port, tcp=False), timeout=10)
    ss.config.write_text(SS.SWITCH_CONFIG + f'\n[capture]\nhep_address = "{L.LOOPBACK}:{hep_port}"\n')
    ss.uas(port=a.port, calls=1)
    ss.start_switch()
    r = ss.call(NUMBER)
    assert r.rc == 0 and r.final_status == 200, r.describe()
    assert ss.stop_switch() == 0
    # sngrep writes its pcap as it goes and closes it at SIGTERM.
    ss.reg.stop(sngrep, grace=5.0)
    records = pcap_records(pcap.read_bytes())
    call_id = r.call_id.encode()
    ours = [p for p in records if call_id in p]
    lines = [p[p.find(b"SIP/2.0") - 40:].split(b"\r\n", 1)[0] for p in ours]
    assert len(ours) >= 12, (len(records), lines)
    assert sum(1 for p in ours if re.search(rb"INVITE sip:\S+ SIP/2\.0\r\n", p)) >= 2, lines
    assert sum(1 for p in ours if re.search(rb"BYE sip:\S+ SIP/2\.0\r\n", p)) >= 2, lines
