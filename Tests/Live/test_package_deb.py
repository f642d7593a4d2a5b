"""The Debian package (issue 21 item 7, docs/operations.md): scripts/package-deb
builds didtron-switch_<version>_<arch>.deb around $DIDTRON_BIN; dpkg -i
installs it (binary, systemd unit, conffile, migrations, docs, the system
user `didtron`); `didtron-switch check-config` runs as that user on the
packaged configuration; dpkg --purge leaves nothing behind. Needs root and
dpkg (CI runs as root on Debian); skipped otherwise, and skipped when a
didtron-switch package is already installed here (never touched)."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "didtron-switch"


def run(*argv, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout)


def installed() -> bool:
    r = run("dpkg-query", "-W", "-f=${Status}", PACKAGE)
    return r.returncode == 0 and "installed" in r.stdout and "not-installed" not in r.stdout


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture
def package(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("installing a package needs root")
    if not shutil.which("dpkg-deb") or not shutil.which("dpkg") or not shutil.which("runuser"):
        pytest.skip("dpkg, dpkg-deb or runuser missing")
    if installed():
        pytest.skip(f"{PACKAGE} is installed on this machine; not touching it")
    r = run(REPO / "scripts" / "package-deb", "--binary", os.environ["DIDTRON_BIN"], "--output", tmp_path,
            "--compression", "none", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    deb = Path(r.stdout.strip().splitlines()[-1])
    version = run(os.environ["DIDTRON_BIN"], "version").stdout.split()[1].replace("-", "~")
    arch = run("dpkg", "--print-architecture").stdout.strip()
    assert deb.name == f"{PACKAGE}_{version}_{arch}.deb" and deb.is_file(), deb
    return deb


def test_the_package_installs_runs_check_config_as_its_user_and_purges(package):
    user_before = user_exists("didtron")
    try:
        r = run("dpkg", "-i", package)
        assert r.returncode == 0, r.stdout + r.stderr
        assert installed()
        assert os.access("/usr/bin/didtron-switch", os.X_OK)
        unit = Path("/lib/systemd/system/didtron-switch.service").read_text()
        assert "ExecStart=/usr/bin/didtron-switch run --config /etc/didtron-switch/didtron-switch.toml" in unit
        assert "User=didtron" in unit
        conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", PACKAGE).stdout
        assert "/etc/didtron-switch/didtron-switch.toml" in conffiles, conffiles
        shipped = sorted(p.name for p in Path("/usr/share/didtron-switch/migrations").glob("*.sql"))
        assert shipped == sorted(p.name for p in (REPO / "Migrations").glob("*.sql"))
        assert Path("/usr/share/doc/didtron-switch/docs/operations.md").is_file()
        user = pwd.getpwnam("didtron")
        assert user.pw_dir == "/var/lib/didtron-switch" and user.pw_shell.endswith("nologin")
        config = os.stat("/etc/didtron-switch/didtron-switch.toml")
        assert stat.S_IMODE(config.st_mode) == 0o640 and config.st_gid == user.pw_gid

        r = run("runuser", "-u", "didtron", "--", "/usr/bin/didtron-switch", "check-config",
                "--config", "/etc/didtron-switch/didtron-switch.toml")
        assert r.returncode == 0 and r.stdout.startswith("configuration OK"), r.stdout + r.stderr
        r = run("runuser", "-u", "didtron", "--", "/usr/bin/didtron-switch", "version")
        assert r.returncode == 0 and r.stdout.startswith("didtron-switch "), r.stdout + r.stderr
    finally:
        purge = run("dpkg", "--purge", PACKAGE)
    assert purge.returncode == 0, purge.stdout + purge.stderr
    assert not installed()
    for path in ["/usr/bin/didtron-switch", "/usr/lib/didtron-switch", "/etc/didtron-switch",
                 "/var/lib/didtron-switch", "/lib/systemd/system/didtron-switch.service",
                 "/usr/share/didtron-switch", "/usr/share/doc/didtron-switch"]:
        assert not os.path.lexists(path), f"{path} left behind by dpkg --purge"
    if not user_before:
        assert not user_exists("didtron"), "the didtron user was left behind"
