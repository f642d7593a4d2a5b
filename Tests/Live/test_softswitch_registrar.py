"""The registrar with digest authentication (softswitch mode): SIPp
registers with MD5, a raw client with SHA-256; wrong passwords, other
users' credentials and a password changed in the database (NOTIFY reload)
get the answers docs/registrar.md gives."""

from __future__ import annotations

import hashlib
import re
import socket

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

DOMAIN = "example.com"


def add_devices(ss) -> None:
    ss.db.sql("""
        INSERT INTO users (id, email, status) VALUES (1, 'alice@example.com', 'active'),
                                                     (2, 'bob@example.com', 'active');
        INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password)
        VALUES (1, 'phone', 'android', 'alice', 's3cret'), (2, 'phone', 'ios', 'bob', 'b0b');
        """)


def start(ss, algorithms: str = '["SHA-256", "MD5"]') -> None:
    ss.config.write_text(SS.SWITCH_CONFIG + f'\n[registrar]\ndomains = ["{DOMAIN}"]\n'
                         f'digest_algorithms = {algorithms}\n')
    ss.start_switch()
    assert ss.wait_log(r"sip_credentials=2 ")


def sipp_register(ss, password: str) -> L.SippRun:
    run = L.start_sipp(ss.reg, ss.workdir, ss._role("register"), "register-digest.xml", L.free_port(),
                       remote=ss.switch.addr, calls=1, extra=["-au", "alice", "-ap", password, "-auth_uri", DOMAIN],
                       global_timeout="20s")
    ss.sipps.append(run)
    return run


def test_sipp_registers_with_md5_and_a_wrong_password_fails(ss):
    add_devices(ss)
    start(ss, '["MD5"]')
    good = sipp_register(ss, "s3cret")
    assert good.wait(timeout=30) == 0, good.summary()
    bad = sipp_register(ss, "guess")
    assert bad.wait(timeout=30) != 0, bad.summary()
    assert int(bad.stats()["FailedCall(C)"]) == 1, bad.summary()


class Phone:
    """A raw UDP client that sends REGISTERs and reads the answers."""

    def __init__(self, switch_port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((L.LOOPBACK, 0))
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]
        self.switch = (L.LOOPBACK, switch_port)
        self.cseq = 0

    def register(self, user: str = "alice", authorization: str | None = None) -> tuple[int, list[str], str]:
        self.cseq += 1
        lines = [
            f"REGISTER sip:{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/UDP {L.LOOPBACK}:{self.port};branch=z9hG4bK-py-{self.cseq};rport",
            "Max-Forwards: 70",
            f"From: <sip:{user}@{DOMAIN}>;tag=py1",
            f"To: <sip:{user}@{DOMAIN}>",
            f"Call-ID: py-register-{self.port}",
            f"CSeq: {self.cseq} REGISTER",
            f"Contact: <sip:{user}@{L.LOOPBACK}:{self.port}>",
            "Expires: 300",
        ]
        if authorization:
            lines.append(f"Authorization: {authorization}")
        lines += ["Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(lines).encode(), self.switch)
        while True:
            text = self.sock.recv(65535).decode()
            status = int(text.split(" ", 2)[1])
            if status >= 200:
                challenges = re.findall(r"(?mi)^WWW-Authenticate:\s*(.*?)\r?$", text)
                return status, challenges, text

    def close(self) -> None:
        self.sock.close()


def answer(challenge: str, *, user: str, password: str) -> str:
    """The Authorization a phone computes for `challenge` (RFC 7616, qop=auth)."""
    params = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge))
    algorithm = params["algorithm"]
    h = (lambda s: hashlib.sha256(s.encode()).hexdigest()) if algorithm == "SHA-256" else \
        (lambda s: hashlib.md5(s.encode()).hexdigest())
    uri, cnonce, nc = f"sip:{DOMAIN}", "0a4f113b", "00000001"
    ha1 = h(f"{user}:{params['realm']}:{password}")
    ha2 = h(f"REGISTER:{uri}")
    response = h(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    return (f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
            f'uri="{uri}", response="{response}", algorithm={algorithm}, qop=auth, nc={nc}, '
            f'cnonce="{cnonce}"')


def test_sha256_challenge_other_users_and_a_password_changed_in_the_database(ss):
    add_devices(ss)
    start(ss)
    phone = Phone(ss.port)
    try:
        status, challenges, _ = phone.register()
        assert status == 401 and len(challenges) == 2, challenges
        assert "algorithm=SHA-256" in challenges[0] and "algorithm=MD5" in challenges[1], challenges
        assert f'realm="{DOMAIN}"' in challenges[0]

        status, _, text = phone.register(authorization=answer(challenges[0], user="alice", password="s3cret"))
        assert status == 200, text
        assert f"<sip:alice@{L.LOOPBACK}:{phone.port}>" in text

        status, _, text = phone.register(authorization=answer(challenges[0], user="bob", password="b0b"))
        assert status == 403 and "Username Does Not Match Address Of Record" in text, text

        status, again, _ = phone.register(authorization=answer(challenges[0], user="alice", password="guess"))
        assert status == 401 and "stale" not in again[0], again

        # A new password in the portal: NOTIFY reload, then only it works.
        since = ss.log_size()
        ss.db.sql("UPDATE device_registrations SET sip_password = 'n3w' WHERE sip_username = 'alice'")
        assert ss.wait_log(r"snapshot reloaded", since=since), ss.switch_log()[-2000:]
        status, fresh, _ = phone.register()
        assert status == 401
        status, _, text = phone.register(authorization=answer(fresh[1], user="alice", password="s3cret"))
        assert status == 401, text
        status, _, text = phone.register(authorization=answer(fresh[1], user="alice", password="n3w"))
        assert status == 200, text
    finally:
        phone.close()
    assert ss.stop_switch() == 0
