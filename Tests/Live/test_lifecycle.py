"""Process lifecycle of the daemon."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest


def test_sigterm_stops_gracefully(live):
    """Idle proxy + SIGTERM -> exits by itself with status 0."""
    proxy = live.start_proxy(live.port())
    os.kill(proxy.proc.pid, signal.SIGTERM)
    try:
        rc = proxy.proc.popen.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("still running 15 s after SIGTERM")
    assert rc == 0, f"exit status {rc} after SIGTERM"


def test_sighup_right_after_ready_reloads(live, proxy_kind_name):
    """READY=1 means a reload may come at once (systemctl reload): the daemon
    traps SIGHUP before it says READY=1, so a SIGHUP sent the moment it is
    ready reloads instead of killing it (issue 16: before the services, the
    trap came after READY=1 and such a SIGHUP ended the process)."""
    if proxy_kind_name != "didtron":
        pytest.skip("our daemon's SIGHUP handling")
    proxy = live.start_proxy(live.port())
    os.kill(proxy.proc.pid, signal.SIGHUP)
    log = proxy.workdir / "proxy.log"
    deadline = time.monotonic() + 10
    while "SIGHUP: configuration reloaded" not in log.read_text(errors="replace"):
        assert proxy.alive(), f"died of SIGHUP (status {proxy.proc.popen.poll()})"
        assert time.monotonic() < deadline, "no reload logged within 10 s of SIGHUP"
        time.sleep(0.05)
    os.kill(proxy.proc.pid, signal.SIGTERM)
    assert proxy.proc.popen.wait(timeout=15) == 0
