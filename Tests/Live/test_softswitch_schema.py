"""Softswitch mode: migrations, and `run` refusing a schema it was not built for."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

import livelib as L
import softswitch as SS

pytestmark = pytest.mark.softswitch

# tables the issue names (a sample from each seed and the new ones)
EXPECTED_TABLES = [
    "carriers", "carrier_interconnects", "interconnect_ip_addresses",
    "interconnect_validation_settings", "interconnect_translation_settings",
    "interconnect_codecs", "interconnect_media_settings", "interconnect_signalling_settings",
    "carrier_services", "carrier_contacts", "carrier_credit_alerts", "customer_rating_plans",
    "customer_categories", "customer_groups", "carrier_assignments", "currencies",
    "phone_numbers", "calls", "wallets", "transactions", "call_rules", "device_registrations",
    "users", "routing_plans", "routing_plan_entries", "schema_migrations",
]


def applied_versions(db: SS.Database) -> list[int]:
    return [int(r[0]) for r in db.rows("select version from schema_migrations order by version")]


def test_migrate_applies_every_migration_to_an_empty_database(empty_db):
    binary = os.environ["DIDTRON_BIN"]
    r = empty_db.migrate(binary)
    assert r.returncode == 0, f"migrate exited {r.returncode}\n{r.stdout}\n{r.stderr}"
    files = [int(p.name.split("_", 1)[0]) for p in SS.migration_files()]
    assert applied_versions(empty_db) == files

    names = ", ".join(SS.lit(t) for t in EXPECTED_TABLES)
    present = {r[0] for r in empty_db.rows(
        "select table_name from information_schema.tables "
        f"where table_schema = 'public' and table_name in ({names})")}
    assert sorted(set(EXPECTED_TABLES) - present) == []

    # a second run has nothing to do and changes nothing
    again = empty_db.migrate(binary)
    assert again.returncode == 0, f"second migrate exited {again.returncode}\n{again.stdout}\n{again.stderr}"
    assert applied_versions(empty_db) == files


def run_until_exit(db: SS.Database, workdir: Path, timeout: float = 30) -> tuple[int, str, bool]:
    """Starts `run` against db; returns (exit status, output, sent READY=1).
    A switch still running after `timeout` s is killed and the test fails."""
    reg = L.Registry()
    rt = Path(tempfile.mkdtemp(prefix="dtss-", dir="/tmp"))
    reg.scratch.append(rt)
    port = L.free_port()
    argv = [os.environ["DIDTRON_BIN"], "run",
            "--listen", f"udp:{L.LOOPBACK}:{port}",
            "--database-url", db.url,
            "--journal-directory", str(workdir / "journal"),
            "--log-level", "info"]
    (workdir / "journal").mkdir(parents=True, exist_ok=True)
    nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    nsock.bind(str(rt / "notify"))
    try:
        p = reg.spawn("proxy", argv, workdir / "switch.log", cwd=workdir,
                      env=dict(os.environ, NOTIFY_SOCKET=str(rt / "notify")))
        try:
            rc = p.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`run` against a mismatched schema still running after {timeout:.0f} s\n"
                        f"{p.log_tail()}")
        ready = False
        nsock.setblocking(False)
        try:
            while True:
                if b"READY=1" in nsock.recv(4096).split(b"\n"):
                    ready = True
        except BlockingIOError:
            pass
        return rc, p.log_tail(), ready
    finally:
        nsock.close()
        reg.stop_all()


@pytest.mark.parametrize("mismatch", ["behind", "ahead"])
def test_run_refuses_a_schema_it_was_not_built_for(empty_db, tmp_path, mismatch):
    r = empty_db.migrate(os.environ["DIDTRON_BIN"])
    assert r.returncode == 0, f"migrate exited {r.returncode}\n{r.stdout}\n{r.stderr}"
    latest = SS.latest_migration()
    if mismatch == "behind":
        # the runner takes max(version) as the schema version
        empty_db.sql(f"delete from schema_migrations where version = {latest};")
        at = latest - 1
    else:
        empty_db.sql(f"insert into schema_migrations (version, name) "
                     f"values ({latest + 1}, 'from_the_future');")
        at = latest + 1

    rc, out, ready = run_until_exit(empty_db, tmp_path)
    assert rc != 0, f"`run` exited 0 against a schema {mismatch}\n{out}"
    assert not ready, f"`run` sent READY=1 against a schema {mismatch}\n{out}"
    # e.g. "database schema is at version 6, this binary needs 7: run `didtron-switch migrate`"
    assert re.search(r"(?i)schema", out), f"no mention of the schema:\n{out}"
    assert re.search(rf"\b{at}\b", out) and re.search(rf"\b{latest}\b", out), (
        f"the message should name both versions ({at} in the database, {latest} expected):\n{out}")
    if mismatch == "behind":
        assert "migrate" in out, f"the message should say to run migrate:\n{out}"
