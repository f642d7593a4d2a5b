#!/usr/bin/env python3
"""rate-bench: how fast `didtron-switch rate` prices a CSV of calls.

Starts a private PostgreSQL (scripts/pg-local) in a temporary directory,
migrates it, loads etc/demo-data.sql plus a customer rating plan of PREFIXES
random prefixes and a routing plan of the demo services, writes a CSV of
LINES calls (80% through the ingress service: customer price, two suppliers
with costs and margins; 20% through the rating plan alone; 10% unanswered),
then times the command over it (stdout to /dev/null) and prints calls per
second and the peak RSS. Release build recommended:

    swift build -c release --product didtron-switch
    bench/rate-bench.py --bin .build/release/didtron-switch --lines 1000000
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVICE = "00000000-0000-4000-8000-000000000031"
PLAN = "00000000-0000-4000-8000-000000000051"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"],
                   input=sql, text=True, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(REPO / ".build/release/didtron-switch"))
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--prefixes", type=int, default=100_000)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="rate-bench-"))
    workdir.chmod(0o755)  # pg-local runs the server as postgres when root
    port = free_port()
    pg = str(REPO / "scripts/pg-local")
    subprocess.run([pg, "start", str(workdir / "pg"), str(port)], check=True, capture_output=True)
    try:
        url = subprocess.run([pg, "url", str(workdir / "pg"), str(port)], check=True,
                             capture_output=True, text=True).stdout.strip()
        subprocess.run([args.bin, "migrate", "--database-url", url, "--migrations", str(REPO / "Migrations")],
                       check=True, capture_output=True)
        psql(url, (REPO / "etc/demo-data.sql").read_text())
        psql(url, f"""
            insert into rating_plan_rates (rating_plan_id, prefix, rate_per_minute)
            select '{PLAN}', p, (random() * 0.1)::numeric(20,6)
            from (select distinct (4400000 + (random() * 99999)::int)::text as p
                  from generate_series(1, {args.prefixes})) s
            on conflict do nothing;""")
        generator = random.Random(1)
        csv_path = workdir / "calls.csv"
        with csv_path.open("w") as out:
            out.write("id,service,plan,number,start,duration_ms\n")
            for n in range(args.lines):
                number = generator.choice(["44", "1", "33"]) + str(generator.randrange(10**9))
                start = f"2026-{generator.randrange(1, 13):02d}-{generator.randrange(1, 29):02d}T" \
                        f"{generator.randrange(24):02d}:{generator.randrange(60):02d}:00Z"
                duration = "" if generator.random() < 0.1 else str(generator.randrange(3_600_000))
                pricing = f"{SERVICE}," if generator.random() < 0.8 else f",{PLAN}"
                out.write(f"c{n},{pricing},{number},{start},{duration}\n")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        with csv_path.open() as stdin:
            result = subprocess.run([args.bin, "rate", "--database-url", url], stdin=stdin,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.monotonic() - started
        if result.returncode != 0:
            raise SystemExit(f"rate exited {result.returncode}: {result.stderr[-2000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        rss_mb = after.ru_maxrss / 1024
        print(f"{args.lines} calls ({args.prefixes} extra prefixes) in {elapsed:.2f} s "
              f"({cpu:.2f} CPU-s): {args.lines / elapsed:,.0f} calls/s, peak RSS {rss_mb:.0f} MB")
    finally:
        subprocess.run([pg, "stop", str(workdir / "pg")], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
