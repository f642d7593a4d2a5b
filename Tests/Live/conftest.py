"""Fixtures for the live tests: the proxy under test plus real SIPp processes.

Which proxy:
  DIDTRON_BIN=/path/to/didtron-switch   our daemon (default when set)
  LIVE_PROXY=kamailio                   Kamailio with the anchor's minimal cfg
                                        (KAMAILIO_CFG=... to use another one)
With neither, every live test is skipped.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import livelib as L


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
                    invite_timeout: int = 32) -> L.Proxy:
        self.proxy = L.start_proxy(self.reg, KIND, self.workdir / "proxy", next_hop_port,
                                   next_hop_transport, invite_timeout)
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    env = getattr(item, "_live_env", None)
    if rep.failed and env is not None:
        for title, text in env.failure_report():
            rep.sections.append((title, text))
