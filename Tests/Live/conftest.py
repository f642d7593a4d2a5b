"""Fixtures for the live tests: the proxy under test plus real SIPp processes.

Which proxy:
  DIDTRON_BIN=/path/to/didtron-switch   our daemon (default when set)
  LIVE_PROXY=kamailio                   Kamailio with the anchor's minimal cfg
                                        (KAMAILIO_CFG=... to use another one)
With neither, every live test is skipped.

The softswitch tests (marked `softswitch`, test_softswitch_*.py) also need
PostgreSQL (scripts/pg-local, the server binaries, psql) and our daemon; they
are skipped with the reason when any of it is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import livelib as L
import softswitch as SS


def proxy_kind() -> str | None:
    want = os.environ.get("LIVE_PROXY", "").strip().lower()
    if want in ("kamailio",):
        return "kamailio"
    if want in ("", "didtron") and os.environ.get("DIDTRON_BIN"):
        return "didtron"
    return None


KIND = proxy_kind()
ON_KAMAILIO = KIND == "kamailio"


def pytest_collection_modifyitems(config, items):
    why = None
    if KIND is None:
        why = "live tests need DIDTRON_BIN=<daemon> or LIVE_PROXY=kamailio"
    elif shutil.which("sipp") is None:
        why = "sipp is not installed"
    elif KIND == "kamailio" and shutil.which("kamailio") is None:
        why = "kamailio is not installed"
    elif KIND == "didtron" and not os.access(os.environ["DIDTRON_BIN"], os.X_OK):
        why = f"DIDTRON_BIN={os.environ['DIDTRON_BIN']} is not executable"
    if why:
        skip = pytest.mark.skip(reason=why)
        for item in items:
            item.add_marker(skip)
        return
    ss_why = None
    if KIND != "didtron":
        ss_why = "softswitch tests need our daemon (DIDTRON_BIN), not LIVE_PROXY=kamailio"
    else:
        ss_why = SS.missing_reason()
    if ss_why:
        skip = pytest.mark.skip(reason=ss_why)
        for item in items:
            if item.get_closest_marker("softswitch"):
                item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "softswitch: needs PostgreSQL and the daemon in softswitch mode")


class LiveEnv:
    """What one test started: the proxy, SIPp runs, all stopped in teardown."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.reg = L.Registry()
        self.proxy: L.Proxy | None = None
        self.sipps: list[L.SippRun] = []

    # -- ports
    @staticmethod
    def port() -> int:
        return L.free_port()

    # -- proxy
    def start_proxy(self, next_hop_port: int, next_hop_transport: str = "udp",
                    invite_timeout: int = 32, env: dict | None = None) -> L.Proxy:
        """`env`: extra environment variables for our daemon (DIDTRON_* keys)."""
        self.proxy = L.start_proxy(self.reg, KIND, self.workdir / "proxy", next_hop_port,
                                   next_hop_transport, invite_timeout, env=env)
        return self.proxy

    # -- SIPp
    def uas(self, scenario: str, port: int, transport: str = "u1", calls: int | None = None,
            extra: list[str] | None = None, role: str = "uas") -> L.SippRun:
        run = L.start_sipp(self.reg, self.workdir, role, scenario, port, transport,
                           calls=calls, extra=extra, wait_bound=True)
        self.sipps.append(run)
        return run

    def uac(self, scenario: str, calls: int, rate: float, transport: str = "u1",
            extra: list[str] | None = None, role: str = "uac",
            global_timeout: str = L.SIPP_GLOBAL_TIMEOUT) -> L.SippRun:
        assert self.proxy is not None, "start the proxy first"
        run = L.start_sipp(self.reg, self.workdir, role, scenario, self.port(), transport,
                           remote=self.proxy.addr, calls=calls,
                           extra=["-r", str(rate), "-rp", "1000", "-d", "0"] + (extra or []),
                           global_timeout=global_timeout)
        self.sipps.append(run)
        return run

    def failure_report(self) -> list[tuple[str, str]]:
        out = []
        for run in self.sipps:
            out.append((f"SIPp {run.role} ({run.workdir})", run.summary()))
        if self.proxy is not None:
            p = self.proxy
            state = "alive" if p.alive() else f"exited {p.proc.popen.returncode}"
            out.append((f"proxy log ({p.kind}, {state})",
                        "command: " + " ".join(p.argv) + "\n" + p.proc.log_tail()))
        return out


@pytest.fixture
def live(request, tmp_path):
    env = LiveEnv(tmp_path)
    request.node._live_env = env
    yield env
    env.reg.stop_all()


@pytest.fixture
def proxy_kind_name() -> str:
    return KIND or "none"


# ---------------------------------------------------------------- softswitch mode

@pytest.fixture(scope="session")
def pg_server():
    """A private PostgreSQL for the whole session (scripts/pg-local), stopped
    and removed at the end. Tests may stop and start it again (same dir and
    port); it is started again if a test left it stopped."""
    server = SS.PgServer()
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            server.remove()


@pytest.fixture
def pg(pg_server):
    """The session's server, running when the test starts and after it ends."""
    if not pg_server.running():
        pg_server.start()
    yield pg_server
    if not pg_server.running():
        pg_server.start()


@pytest.fixture
def empty_db(pg):
    """A fresh, empty database on the session's server, dropped at teardown."""
    db = SS.Database(pg).create()
    yield db
    if not pg.running():  # a test that stopped it failed before starting it again
        pg.start()
    db.drop()


@pytest.fixture
def switch_db(empty_db):
    """A fresh database migrated by `didtron-switch migrate`."""
    r = empty_db.migrate(os.environ["DIDTRON_BIN"])
    if r.returncode != 0:
        pytest.fail(f"didtron-switch migrate exited {r.returncode}\n"
                    f"--- stdout ---\n{r.stdout}\n--- stderr ---\n{r.stderr}")
    return empty_db


@pytest.fixture
def ss(request, tmp_path, switch_db, pg):
    """The softswitch environment of one test: its database, the switch
    (started by the test once its reference data is in), SIPp processes. All
    stopped in teardown, before the database is dropped."""
    env = SS.SoftswitchEnv(tmp_path, switch_db, pg)
    request.node._live_env = env
    yield env
    env.reg.stop_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    env = getattr(item, "_live_env", None)
    if rep.failed and env is not None:
        for title, text in env.failure_report():
            rep.sections.append((title, text))
