"""Process lifecycle of the daemon."""

from __future__ import annotations

import os
import signal
import subprocess

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
