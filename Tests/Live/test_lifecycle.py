"""Process lifecycle of the daemon."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from conftest import ON_KAMAILIO


@pytest.mark.skipif(ON_KAMAILIO, reason="our daemon's contract (Kamailio exits non-zero on SIGTERM)")
def test_sigterm_stops_gracefully(live):
    proxy = live.start_proxy(live.port())
    os.kill(proxy.proc.pid, signal.SIGTERM)
    try:
        rc = proxy.proc.popen.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("still running 15 s after SIGTERM")
    assert rc == 0, f"exit status {rc} after SIGTERM"
