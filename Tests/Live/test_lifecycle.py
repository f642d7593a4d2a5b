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


def _socket_destroy_works() -> bool:
    """Whether `ss -K` can destroy a TCP listener here (root and a kernel
    with CONFIG_INET_DIAG_DESTROY): a probe socket of this test's own."""
    import shutil
    import socket
    if shutil.which("ss") is None:
        return False
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", 0))
        probe.listen()
        port = probe.getsockname()[1]
        subprocess.run(["ss", "-K", "-t", "-l", f"sport = :{port}"], capture_output=True, timeout=10)
        probe.settimeout(0.5)
        try:
            probe.accept()
        except OSError as error:
            return getattr(error, "errno", None) == 22
        return False
    finally:
        probe.close()


def test_a_listener_closed_under_the_daemon_makes_it_exit_1(live, proxy_kind_name):
    """Issue 15: a SIP listener that closes (here the kernel destroys the TCP
    listening socket, `ss -K`; accept then fails with EINVAL) must not leave
    a process that serves nothing on that transport while /health says 200:
    the daemon stops without grace and exits 1, so systemd restarts it."""
    if proxy_kind_name != "didtron":
        pytest.skip("our daemon's listener watch")
    if not _socket_destroy_works():
        pytest.skip("ss -K cannot destroy sockets here (needs root and CONFIG_INET_DIAG_DESTROY)")
    proxy = live.start_proxy(live.port())
    subprocess.run(["ss", "-K", "-t", "-l", f"sport = :{proxy.port}"], capture_output=True, timeout=10,
                   check=True)
    try:
        rc = proxy.proc.popen.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("still running 15 s after its TCP listener was destroyed")
    assert rc == 1, f"exit status {rc}"
    log = (proxy.workdir / "proxy.log").read_text(errors="replace")
    assert "a SIP listener closed; stopping" in log, log[-2000:]
