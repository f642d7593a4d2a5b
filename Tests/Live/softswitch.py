"""Softswitch-mode helpers for the live tests (stdlib only).

The daemon in softswitch mode needs a PostgreSQL with the schema and reference
data in it. This module provides:

  PgServer      a private PostgreSQL (scripts/pg-local) in a short /tmp dir on
                a free port; one per pytest session (conftest's `pg_server`)
  Database      one fresh database per test (random name, `didtron-switch
                migrate` into it, dropped at teardown); SQL goes through psql
  Topology      carriers, interconnects, addresses, services and routing plans
                for one test, written in one transaction (= one reload)
  SoftswitchEnv the switch (`run --database-url ...`, READY=1 via
                NOTIFY_SOCKET, like conftest's proxy), SIPp callers from any
                127.0.0.X source address, SIPp suppliers, and call records

No Python database driver: every query is a `psql -X -v ON_ERROR_STOP=1`
subprocess. Nothing sleeps on hope: call records appear asynchronously (the
switch's writer inserts in batches), so they are polled with a deadline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import livelib as L

PG_LOCAL = Path(os.environ.get("LIVE_PG_LOCAL", L.REPO / "scripts" / "pg-local"))
MIGRATIONS = Path(os.environ.get("LIVE_MIGRATIONS", L.REPO / "Migrations"))
PG_BINDIR = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))

# Timers for the switch under test: a call that nobody answers ends (or fails
# over) after INVITE_TIMEOUT s instead of 180; T1 100 ms makes timer B 6.4 s.
INVITE_TIMEOUT = 4
SWITCH_CONFIG = f"""\
# written by Tests/Live/softswitch.py
[proxy]
invite_timeout_seconds = {INVITE_TIMEOUT}
t1_ms = 100
t2_ms = 1000
t4_ms = 2000

[lifecycle]
shutdown_grace_seconds = 1
"""
LOG_LEVEL = os.environ.get("LIVE_LOG_LEVEL", "info")

# How long the writer may take to get a finished call into `calls`.
RECORD_TIMEOUT = float(os.environ.get("LIVE_RECORD_TIMEOUT", "15"))


def missing_reason() -> str | None:
    """Why the softswitch tests cannot run here, or None."""
    if not PG_LOCAL.is_file():
        return f"{PG_LOCAL} is missing (PostgreSQL helper for the softswitch tests)"
    if not (PG_BINDIR / "initdb").exists() or not (PG_BINDIR / "pg_ctl").exists():
        return f"PostgreSQL server binaries not found in {PG_BINDIR} (set PG_BINDIR)"
    if shutil.which("psql") is None:
        return "psql is not installed (postgresql-client)"
    if not MIGRATIONS.is_dir() or not migration_files():
        return f"no migrations in {MIGRATIONS}"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root needs runuser to start PostgreSQL as postgres"
    return None


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def latest_migration() -> int:
    return max(int(p.name.split("_", 1)[0]) for p in migration_files())


def _run(argv: list[str], timeout: float, input: str | None = None,
         env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([str(a) for a in argv], input=input, capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise L.LiveError(f"{' '.join(map(str, argv))} still running after {timeout:.0f} s\n"
                          f"{e.stdout or ''}{e.stderr or ''}")


def _checked(argv: list[str], timeout: float, input: str | None = None) -> str:
    r = _run(argv, timeout, input)
    if r.returncode != 0:
        raise L.LiveError(f"{' '.join(map(str, argv))} exited {r.returncode}\n"
                          f"--- stdout ---\n{r.stdout}\n--- stderr ---\n{r.stderr}")
    return r.stdout


# ---------------------------------------------------------------- PostgreSQL

class PgServer:
    """scripts/pg-local in a temp dir. As root pg-local runs the server as the
    postgres user, which must be able to reach the directory: pytest's
    tmp_path (/tmp/pytest-of-root, mode 0700) is not, so this uses its own
    short /tmp dir (the Unix socket path must also fit in 107 bytes)."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="dtpg-", dir="/tmp"))
        os.chmod(self.base, 0o755)
        self.dir = self.base / "pg"
        self.port = L.free_port()

    def start(self) -> None:
        _checked([PG_LOCAL, "start", self.dir, self.port], timeout=120)

    def stop(self) -> None:
        _checked([PG_LOCAL, "stop", self.dir], timeout=60)

    def running(self) -> bool:
        return _run([PG_LOCAL, "status", self.dir], timeout=30).returncode == 0

    def url(self, database: str = "didtron") -> str:
        return f"postgresql://postgres@{L.LOOPBACK}:{self.port}/{database}"

    def log_tail(self, max_bytes: int = 6000) -> str:
        try:
            data = (self.dir / "log").read_bytes()
        except OSError as e:
            return f"<no log: {e}>"
        return data[-max_bytes:].decode("utf-8", "replace")

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def psql(url: str, sql: str, timeout: float = 30) -> str:
    """Runs `sql` (any number of statements) and returns psql's unaligned,
    tuples-only output; fields separated by \\x1f. Raises on any error."""
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning", PGCONNECT_TIMEOUT="5")
    argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", "\x1f",
            "-d", url, "-f", "-"]
    r = _run(argv, timeout, input=sql, env=env)
    if r.returncode != 0:
        raise L.LiveError(f"psql on {url} exited {r.returncode}: {r.stderr.strip()}\n--- SQL ---\n{sql}")
    return r.stdout


def lit(value) -> str:
    """A SQL literal for None, bool, int, str or a list of ints."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "'{" + ",".join(str(int(v)) for v in value) + "}'"
    return "'" + str(value).replace("'", "''") + "'"


class Database:
    """One database of the session's server, migrated by the binary under test."""

    def __init__(self, server: PgServer, name: str | None = None) -> None:
        self.server = server
        self.name = name or "dt_" + uuid.uuid4().hex[:12]
        self.url = server.url(self.name)

    def create(self) -> "Database":
        psql(self.server.url("postgres"), f'create database "{self.name}";')
        return self

    def drop(self) -> None:
        psql(self.server.url("postgres"), f'drop database if exists "{self.name}" with (force);')

    def migrate(self, binary: str) -> subprocess.CompletedProcess:
        """`didtron-switch migrate` into this database (result, not checked)."""
        return _run([binary, "migrate", "--database-url", self.url, "--migrations", MIGRATIONS],
                    timeout=120)

    def sql(self, text: str, timeout: float = 30) -> str:
        return psql(self.url, text, timeout)

    def rows(self, query: str) -> list[list[str]]:
        out = self.sql(query)
        return [line.split("\x1f") for line in out.splitlines() if line != ""]

    def scalar(self, query: str) -> str:
        rows = self.rows(query)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise L.LiveError(f"expected one value from {query!r}, got {rows!r}")
        return rows[0][0]

    def count(self, where: str = "true") -> int:
        return int(self.scalar(f"select count(*) from calls where {where}"))

    def calls(self, where: str = "true", limit: int | None = None) -> list[dict]:
        """Rows of `calls` as dicts (via row_to_json: timestamps are ISO
        strings, numeric columns Decimal)."""
        tail = f" limit {int(limit)}" if limit is not None else ""
        return [json.loads(r[0], parse_float=Decimal) for r in
                self.rows(f"select row_to_json(c) from calls c where {where} order by id{tail}")]

    def wait_count(self, expect: int, where: str = "true",
                   timeout: float = RECORD_TIMEOUT) -> int:
        """Polls until count(calls where ...) == expect or the deadline
        passes; returns the last count (the caller asserts). Stops early if
        the count overshoots."""
        deadline = time.monotonic() + timeout
        while True:
            n = self.count(where)
            if n >= expect or time.monotonic() > deadline:
                return n
            time.sleep(0.1)

    def wait_call(self, call_id: str, timeout: float = RECORD_TIMEOUT) -> dict:
        """The one `calls` row of this Call-ID, waiting for the writer."""
        where = f"call_sid = {lit(call_id)}"
        n = self.wait_count(1, where, timeout)
        rows = self.calls(where)
        if n != 1 or len(rows) != 1:
            raise AssertionError(f"call {call_id}: {len(rows)} rows in calls after "
                                 f"{timeout:.0f} s, expected exactly 1: {rows!r}")
        return rows[0]


# ---------------------------------------------------------------- reference data

def new_id() -> str:
    return str(uuid.uuid4())


class Topology:
    """Reference data for a test as SQL, applied in one transaction. Every
    method returns the id of the row it adds."""

    def __init__(self) -> None:
        self.stmts: list[str] = []
        self._n = 0

    def _code(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def carrier(self, code: str | None = None, partner_type: str = "bilateral",
                status: str = "active", credit: dict | None = None) -> str:
        """A carrier; `credit` sets credit-control columns (customer_balance,
        customer_credit_type, customer_credit_limit, ...). Unless given, the
        customer and bilateral balances are 1000000, so rated calls of tests
        that are not about credit are never short of money."""
        cid = new_id()
        code = code or self._code("C")
        columns = {"customer_balance": "1000000", "bilateral_balance": "1000000", **(credit or {})}
        names = "".join(f", {k}" for k in columns)
        values = "".join(f", {lit(v)}" for v in columns.values())
        self.stmts.append(
            f"insert into carriers (id, code, name, partner_type, status{names}) values "
            f"({lit(cid)}, {lit(code)}, {lit('carrier ' + code)}, {lit(partner_type)}, {lit(status)}"
            f"{values});")
        return cid

    def interconnect(self, carrier: str, direction: str, *, ip: str | None = None,
                     port: int = 5060, transport: str = "udp", tech_prefix: str = "",
                     active: bool = True, **columns) -> str:
        """`columns`: more carrier_interconnects columns as Python values
        (e.g. tls_fingerprint_sha256)."""
        iid = new_id()
        name = self._code("I")
        names = "".join(f", {k}" for k in columns)
        values = "".join(f", {lit(v)}" for v in columns.values())
        self.stmts.append(
            "insert into carrier_interconnects (id, short_code, carrier_id, name, direction, "
            f"is_active, tech_prefix, ip_address, sip_port, transport{names}) values "
            f"({lit(iid)}, {lit(name)}, {lit(carrier)}, {lit('trunk ' + name)}, {lit(direction)}, "
            f"{lit(active)}, {lit(tech_prefix)}, {lit(ip)}, {lit(port)}, {lit(transport)}{values});")
        return iid

    def address(self, interconnect: str, ip: str, *, sip_port: int | None = None,
                range_end: str | None = None, active: bool = True) -> str:
        aid = new_id()
        self.stmts.append(
            "insert into interconnect_ip_addresses (id, interconnect_id, ip_address, is_range, "
            "range_end, address_type, is_active, sip_port) values "
            f"({lit(aid)}, {lit(interconnect)}, {lit(ip)}, {lit(range_end is not None)}, "
            f"{lit(range_end)}, 'transport', {lit(active)}, {lit(sip_port)});")
        return aid

    def service(self, carrier: str, interconnect: str, direction: str, *,
                plan: str | None = None, tech_prefix: str = "", status: str = "active",
                priority: int = 1, rating_plan: str | None = None) -> str:
        sid = new_id()
        name = self._code("S")
        self.stmts.append(
            "insert into carrier_services (id, short_code, carrier_id, interconnect_id, name, "
            "direction, status, routing_plan_id, tech_prefix, priority, rating_plan_id) values "
            f"({lit(sid)}, {lit(name)}, {lit(carrier)}, {lit(interconnect)}, "
            f"{lit('service ' + name)}, {lit(direction)}, {lit(status)}, {lit(plan)}, "
            f"{lit(tech_prefix)}, {lit(priority)}, {lit(rating_plan)});")
        return sid

    def plan(self, code: str | None = None, failover_codes: list[int] = (),
             route_order: str = "priority") -> str:
        pid = new_id()
        code = code or self._code("P")
        self.stmts.append(
            "insert into routing_plans (id, code, name, failover_codes, route_order) values "
            f"({lit(pid)}, {lit(code)}, {lit('plan ' + code)}, {lit(list(failover_codes))}::integer[], "
            f"{lit(route_order)});")
        return pid

    def rating_plan(self, *, currency: str = "USD", initial: int = 1, recurring: int = 1,
                    margin: str | None = None, min_margin: str | None = None,
                    time_zone: str | None = None) -> str:
        """A customer_rating_plans row (a price list when an ingress service
        names it, a cost list when an egress service does)."""
        rid = new_id()
        code = self._code("R")
        self.stmts.append(
            "insert into customer_rating_plans (id, short_code, name, currency, initial_interval, "
            "recurring_interval, margin_enforcement, min_margin, time_zone) values "
            f"({lit(rid)}, {lit(code)}, {lit('rating ' + code)}, {lit(currency)}, {lit(initial)}, "
            f"{lit(recurring)}, {lit(margin)}, {lit(min_margin)}, {lit(time_zone)});")
        return rid

    def rate(self, rating_plan: str, prefix: str, rate_per_minute: str, *,
             connection_fee: str = "0", initial: int | None = None,
             recurring: int | None = None) -> None:
        """A rating_plan_rates row; money as decimal text."""
        self.stmts.append(
            "insert into rating_plan_rates (rating_plan_id, prefix, rate_per_minute, connection_fee, "
            "initial_interval, recurring_interval) values "
            f"({lit(rating_plan)}, {lit(prefix)}, {lit(rate_per_minute)}, {lit(connection_fee)}, "
            f"{lit(initial)}, {lit(recurring)});")

    def route(self, plan: str, prefix: str, services: list) -> None:
        """An entry for `prefix` whose routes are `services`: service ids,
        tried in list order (priority 1, 2, ...), or (id, priority) pairs."""
        self.stmts.append(
            "with e as (insert into routing_plan_entries (routing_plan_id, prefix) values "
            f"({lit(plan)}, {lit(prefix)}) returning id) "
            "insert into routing_plan_entry_services (routing_plan_entry_id, carrier_service_id, "
            f"priority, weight) select e.id, r.sid, r.prio, 1 from e, ({_routes_values(services)}) "
            "as r (sid, prio);")

    def settings(self, table: str, interconnect: str, **columns) -> str:
        """One row of an interconnect settings table (interconnect_<table>,
        e.g. "validation_settings", "codecs"); column values as Python values."""
        rid = new_id()
        names = ", ".join(["id", "interconnect_id", *columns])
        values = ", ".join([lit(rid), lit(interconnect), *(lit(v) for v in columns.values())])
        self.stmts.append(f"insert into interconnect_{table} ({names}) values ({values});")
        return rid

    def codecs(self, interconnect: str, *names: str, **columns) -> None:
        """interconnect_codecs rows allowing `names` in that display order."""
        for order, name in enumerate(names, 1):
            self.settings("codecs", interconnect, codec_name=name, display_order=order, **columns)

    # -- the usual shapes

    def customer(self, *, plan: str, address: str = L.LOOPBACK, sip_port: int | None = None,
                 range_end: str | None = None, tech_prefix: str = "", transport: str = "udp",
                 carrier_status: str = "active", active: bool = True,
                 rating_plan: str | None = None, credit: dict | None = None) -> "Ingress":
        """A customer carrier with one ingress interconnect known by `address`
        (IP, CIDR, or first address of a range with range_end) whose ingress
        service routes by `plan`."""
        c = self.carrier(partner_type="customer", status=carrier_status, credit=credit)
        i = self.interconnect(c, "ingress", transport=transport, tech_prefix=tech_prefix,
                              active=active)
        a = self.address(i, address, sip_port=sip_port, range_end=range_end)
        s = self.service(c, i, "ingress", plan=plan, rating_plan=rating_plan)
        return Ingress(c, i, a, s)

    def supplier(self) -> str:
        return self.carrier(partner_type="supplier")

    def trunk(self, supplier: str, port: int, *, tech_prefix: str = "",
              transport: str = "udp", rating_plan: str | None = None) -> "Egress":
        """An egress interconnect of `supplier` at 127.0.0.1:port and its
        egress service (the route target); `tech_prefix` is the service's,
        `rating_plan` its cost list."""
        i = self.interconnect(supplier, "egress", ip=L.LOOPBACK, port=port, transport=transport)
        s = self.service(supplier, i, "egress", tech_prefix=tech_prefix, rating_plan=rating_plan)
        return Egress(supplier, i, s, port)

    def sql(self) -> str:
        return "begin;\n" + "\n".join(self.stmts) + "\ncommit;\n"


def _routes_values(services: list) -> str:
    pairs = [(sv, i + 1) if isinstance(sv, str) else sv for i, sv in enumerate(services)]
    return "values " + ", ".join(f"({lit(sid)}::uuid, {int(prio)})" for sid, prio in pairs)


def set_routes_sql(plan: str, prefix: str, services: list) -> str:
    """SQL (no transaction) that replaces the routes of an existing entry."""
    entry = (f"(select id from routing_plan_entries where routing_plan_id = {lit(plan)} "
             f"and prefix = {lit(prefix)})")
    return (f"delete from routing_plan_entry_services where routing_plan_entry_id = {entry};\n"
            "insert into routing_plan_entry_services (routing_plan_entry_id, carrier_service_id, "
            f"priority, weight) select {entry}, r.sid, r.prio, 1 from ({_routes_values(services)}) "
            "as r (sid, prio);\n")


@dataclass
class Ingress:
    carrier: str
    interconnect: str
    address: str
    service: str


@dataclass
class Egress:
    carrier: str
    interconnect: str
    service: str
    port: int


# ---------------------------------------------------------------- calls as SIPp saw them

@dataclass
class CallResult:
    """One call placed by a single-call SIPp UAC."""
    run: L.SippRun
    rc: int
    call_id: str | None
    final_status: int | None        # final response to the INVITE
    final_reason: str | None        # its reason phrase
    answered_by: int | None         # port in the Contact of the 200 (the UAS)

    def describe(self) -> str:
        return (f"call {self.call_id}: rc={self.rc} final={self.final_status} "
                f"{self.final_reason!r} answered_by={self.answered_by}\n{self.run.summary()}")


_CONTACT_PORT = re.compile(r"sip:uas@[^:>;]+:(\d+)")


def call_result(run: L.SippRun, rc: int) -> CallResult:
    msgs = run.messages()
    call_id = next((m.call_id for m in msgs if m.direction == "sent" and m.method == "INVITE"), None)
    final = reason = None
    answered_by = None
    for m in msgs:
        if m.direction == "received" and m.cseq_method == "INVITE" and (m.status or 0) >= 200:
            final = m.status
            reason = m.start_line.split(" ", 2)[2] if m.start_line.count(" ") >= 2 else ""
            if m.status == 200:
                cm = _CONTACT_PORT.search(m.header("Contact") or "")
                answered_by = int(cm.group(1)) if cm else None
            break
    return CallResult(run, rc, call_id, final, reason, answered_by)


def completed_call_ids(run: L.SippRun) -> set[str]:
    """Call-IDs of the calls whose BYE this UAC saw answered with 200."""
    return {m.call_id for m in run.messages()
            if m.direction == "received" and m.status == 200 and m.cseq_method == "BYE"}


def sent_invite_call_ids(run: L.SippRun) -> set[str]:
    return {m.call_id for m in run.messages() if m.direction == "sent" and m.method == "INVITE"}


def received_invites(run: L.SippRun) -> dict[str, str]:
    """Call-ID -> Request-URI user of every INVITE this SIPp (a UAS) received."""
    return {m.call_id: m.request_user for m in run.messages()
            if m.direction == "received" and m.method == "INVITE"}


# ---------------------------------------------------------------- the switch

@dataclass
class Switch:
    proc: L.Proc
    port: int
    argv: list[str]

    @property
    def addr(self) -> str:
        return f"{L.LOOPBACK}:{self.port}"

    def alive(self) -> bool:
        return self.proc.alive()


class SoftswitchEnv:
    """What one softswitch test started; conftest stops it all in teardown."""

    def __init__(self, workdir: Path, db: Database, pg: PgServer) -> None:
        self.workdir = workdir
        self.db = db
        self.pg = pg
        self.reg = L.Registry()
        self.sipps: list[L.SippRun] = []
        self.switch: Switch | None = None
        self.switch_logs: list[L.Proc] = []
        # the SIP port and journal stay the same across restarts of the switch
        self.port = L.free_port()
        self.journal = workdir / "journal"
        self.config = workdir / "switch.toml"
        self.config.write_text(SWITCH_CONFIG)
        self.rt = Path(tempfile.mkdtemp(prefix="dtss-", dir="/tmp"))
        self.reg.scratch.append(self.rt)
        self._roles: dict[str, int] = {}
        # more arguments for `run` (e.g. a tls: listener and its certificate)
        self.extra_args: list[str] = []

    # -- reference data
    def apply(self, topo: Topology) -> None:
        self.db.sql(topo.sql())

    # -- the switch
    def switch_argv(self) -> list[str]:
        return [os.environ["DIDTRON_BIN"], "run",
                "--listen", f"udp:{L.LOOPBACK}:{self.port}",
                "--listen", f"tcp:{L.LOOPBACK}:{self.port}",
                "--database-url", self.db.url,
                "--journal-directory", str(self.journal),
                "--config", str(self.config),
                "--log-level", LOG_LEVEL] + self.extra_args

    def start_switch(self) -> Switch:
        """Starts the switch and returns once it sent READY=1 (snapshot loaded,
        sockets bound)."""
        assert self.switch is None or not self.switch.alive(), "the switch is already running"
        self.journal.mkdir(parents=True, exist_ok=True)
        argv = self.switch_argv()
        log = self.workdir / f"switch-{len(self.switch_logs) + 1}.log"
        p = L.spawn_notify_ready(self.reg, "proxy", argv, log, self.workdir, self.rt)
        self.switch_logs.append(p)
        self.switch = Switch(p, self.port, argv)
        return self.switch

    def start_second_switch(self, extra_config: str = "") -> str:
        """Another switch on the same database, with its own port, journal
        and configuration (SWITCH_CONFIG + extra_config); returns its address.
        Stopped in teardown."""
        port = L.free_port()
        workdir = self.workdir / "second"
        workdir.mkdir(exist_ok=True)
        (workdir / "journal").mkdir(exist_ok=True)
        config = workdir / "switch.toml"
        config.write_text(SWITCH_CONFIG + "\n" + extra_config)
        argv = [os.environ["DIDTRON_BIN"], "run",
                "--listen", f"udp:{L.LOOPBACK}:{port}",
                "--database-url", self.db.url,
                "--journal-directory", str(workdir / "journal"),
                "--config", str(config),
                "--log-level", LOG_LEVEL]
        p = L.spawn_notify_ready(self.reg, "proxy-2", argv, workdir / "switch.log", workdir, self.rt)
        self.switch_logs.append(p)
        return f"{L.LOOPBACK}:{port}"

    def kill_switch(self) -> int:
        """kill -9, no grace; returns the exit status."""
        assert self.switch is not None
        p = self.switch.proc
        os.kill(p.pid, signal.SIGKILL)
        return p.popen.wait(timeout=10)

    def stop_switch(self) -> int | None:
        """SIGTERM and wait (SIGKILL after 10 s), as in teardown."""
        assert self.switch is not None
        return self.reg.stop(self.switch.proc, grace=10.0)

    def hup_switch(self) -> None:
        assert self.switch is not None and self.switch.alive()
        os.kill(self.switch.proc.pid, signal.SIGHUP)

    def switch_log(self) -> str:
        return self.switch.proc.log_tail(2_000_000) if self.switch else ""

    def wait_log(self, pattern: str, timeout: float = 10, since: int = 0) -> re.Match | None:
        """Polls the running switch's log (from byte offset `since`) for a regex."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.switch.proc.log.read_bytes()[since:].decode("utf-8", "replace")
            m = rx.search(text)
            if m or time.monotonic() > deadline or not self.switch.alive():
                return m
            time.sleep(0.1)

    def log_size(self) -> int:
        try:
            return self.switch.proc.log.stat().st_size
        except (OSError, AttributeError):
            return 0

    # -- SIPp
    def _role(self, base: str) -> str:
        n = self._roles.get(base, 0) + 1
        self._roles[base] = n
        return f"{base}-{n}"

    def uas(self, scenario: str = "uas.xml", port: int | None = None, calls: int | None = None,
            transport: str = "u1", global_timeout: str = L.SIPP_GLOBAL_TIMEOUT) -> L.SippRun:
        """A supplier: SIPp UAS on 127.0.0.1:port, ready when this returns."""
        port = port or L.free_port()
        run = L.start_sipp(self.reg, self.workdir, self._role(f"uas-{port}"), scenario, port,
                           transport, calls=calls, wait_bound=True,
                           global_timeout=global_timeout)
        self.sipps.append(run)
        return run

    def uac(self, number: str, *, calls: int = 1, rate: float = 1, hold_ms: int = 0,
            scenario: str = "uac.xml", source_ip: str = L.LOOPBACK, source_port: int | None = None,
            transport: str = "u1", global_timeout: str = L.SIPP_GLOBAL_TIMEOUT,
            extra: list[str] | None = None, remote: str | None = None) -> L.SippRun:
        """A caller: SIPp UAC from source_ip:source_port calling `number`
        (the Request-URI user) through the switch; started, not waited for."""
        assert self.switch is not None, "start the switch first"
        run = L.start_sipp(self.reg, self.workdir, self._role("uac"), scenario,
                           source_port or L.free_port(), transport,
                           remote=remote or self.switch.addr,
                           calls=calls,
                           extra=["-s", number, "-r", str(rate), "-rp", "1000",
                                  "-d", str(hold_ms)] + (extra or []),
                           global_timeout=global_timeout, local_ip=source_ip)
        self.sipps.append(run)
        return run

    def call(self, number: str, *, expect: str = "answer", source_ip: str = L.LOOPBACK,
             source_port: int | None = None, timeout: float = 30) -> CallResult:
        """One call, waited for. expect="answer": uac.xml (INVITE, 200, ACK,
        BYE); expect="reject": uac-rejected.xml (any final >= 300, ACKed)."""
        scenario = {"answer": "uac.xml", "reject": "uac-rejected.xml"}[expect]
        run = self.uac(number, scenario=scenario, source_ip=source_ip, source_port=source_port,
                       global_timeout=f"{int(timeout)}s")
        rc = run.wait(timeout=timeout + 15)
        return call_result(run, rc)

    def failure_report(self) -> list[tuple[str, str]]:
        out = []
        for run in self.sipps:
            out.append((f"SIPp {run.role} ({run.workdir})", run.summary()))
        for i, p in enumerate(self.switch_logs, 1):
            state = "alive" if p.alive() else f"exited {p.popen.returncode}"
            out.append((f"switch log #{i} ({state}, {p.log})",
                        "command: " + " ".join(map(str, p.popen.args)) + "\n" + p.log_tail()))
        out.append((f"PostgreSQL log ({self.pg.dir / 'log'})", self.pg.log_tail()))
        return out


def wait_for(what: str, predicate, timeout: float, interval: float = 0.1):
    """Polls predicate() until it returns something truthy (returned) or the
    deadline passes (AssertionError naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
