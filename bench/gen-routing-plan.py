#!/usr/bin/env python3
"""Load a large routing plan (and optionally a rating plan) for benchmarks.

    bench/gen-routing-plan.py --url URL --prefixes 1000000 --plan-code BENCH

Generates N distinct digit prefixes that look like real ones (an E.164 country
code followed by 3 to 8 more digits), and loads them as routing plan PLAN-CODE
(created if absent). Each entry routes to one or two egress carrier services
(priority 1 and 2). By default these are the bench supplier's services
BENCH-S1 (127.0.0.1:5080) and BENCH-S2 (127.0.0.1:5082), created with their
carrier BENCH-SUPPLIER and interconnects BENCH-I1/BENCH-I2 if absent;
--service picks existing egress services by short code instead. With
--rating-plan-code, the same prefixes also get a rate each in that customer
rating plan (short code; created if absent).

Everything goes through `psql`: COPY FROM STDIN into a staging table, then a
set-based merge (DELETE/INSERT ... SELECT) in the same transaction. Only
prefixes, routes and rates that are new or gone are written, so loading the
same plan again changes nothing and another --seed replaces nearly all of it.
The switch sees the new plan, and gets its NOTIFY didtron_reload, only on
commit. Most of the time goes to the per-row foreign key checks; --fast
(superuser only) skips them as pg_restore --disable-triggers does, the rows
being right by construction.
Python 3 standard library only. Same --seed, same prefixes.
"""

import argparse
import random
import subprocess
import sys
import time

# E.164 country codes (ITU-T), a realistic spread of 1-, 2- and 3-digit codes.
COUNTRY_CODES = """
1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57
58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 211 212 213 216 218
220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238
239 240 241 242 243 244 245 246 248 249 250 251 252 253 254 255 256 257 258
260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353
354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 380 381 382 383
385 386 387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591
592 593 594 595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681
682 683 685 686 687 688 689 690 691 692 850 852 853 855 856 880 886 960 961
962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 992 993 994 995
996 998
""".split()

BENCH_SETUP_SQL = """
insert into carriers (code, name, partner_type)
values ('BENCH-SUPPLIER', 'Bench supplier', 'supplier')
on conflict (code) do nothing;

insert into carrier_interconnects
    (short_code, carrier_id, name, direction, ip_address, sip_port, transport)
select v.short_code, c.id, v.name, 'egress', '127.0.0.1', v.port, 'udp'
from carriers c,
     (values ('BENCH-I1', 'Bench trunk A', 5080),
             ('BENCH-I2', 'Bench trunk B', 5082)) as v (short_code, name, port)
where c.code = 'BENCH-SUPPLIER'
on conflict (short_code) do nothing;

insert into carrier_services (short_code, carrier_id, interconnect_id, name, direction)
select v.short_code, i.carrier_id, i.id, v.name, 'egress'
from carrier_interconnects i
join (values ('BENCH-S1', 'BENCH-I1', 'Bench service A (5080)'),
             ('BENCH-S2', 'BENCH-I2', 'Bench service B (5082)'))
     as v (short_code, interconnect, name) on i.short_code = v.interconnect
on conflict (short_code) do nothing;
"""


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="postgresql:// URL of the didtron database")
    parser.add_argument("--prefixes", type=int, default=1_000_000, help="number of prefixes (default 1000000)")
    parser.add_argument("--plan-code", default="BENCH", help="routing plan code (default BENCH)")
    parser.add_argument("--service", action="append", metavar="SHORT_CODE",
                        help="egress carrier service to route to (repeat for two); default: BENCH-S1 and BENCH-S2")
    parser.add_argument("--two-routes", type=float, default=0.5, metavar="SHARE",
                        help="share of entries with a second route, 0..1 (default 0.5)")
    parser.add_argument("--rating-plan-code", metavar="SHORT_CODE",
                        help="also load a rate per prefix into this customer rating plan")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--fast", action="store_true",
                        help="superuser only: load without per-row trigger checks, as pg_restore"
                             " --disable-triggers does (references are right by construction)")
    parser.add_argument("--verbose", action="store_true", help="echo statements with their timings")
    parser.add_argument("--psql", default="psql", help="psql binary (default: psql on PATH)")
    args = parser.parse_args()
    if args.prefixes < 1:
        parser.error("--prefixes must be at least 1")
    if not 0 <= args.two_routes <= 1:
        parser.error("--two-routes must be between 0 and 1")
    if args.service is not None and not 1 <= len(args.service) <= 2:
        parser.error("give --service once or twice")
    return args


def psql_command(args, *extra):
    return [args.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", args.url, *extra]


def query(args, sql, **variables):
    """Runs sql (psql variables as :'name'), returns the rows as lists of strings."""
    command = psql_command(args, "-tA", "-F", "\t")
    for name, value in variables.items():
        command += ["-v", f"{name}={value}"]
    result = subprocess.run(command, input=sql, text=True, capture_output=True)
    if result.returncode != 0:
        sys.exit(f"gen-routing-plan: psql failed:\n{result.stderr}")
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def generate_rows(args, service_ids, counts):
    """Yields one COPY line per distinct prefix: prefix, first route, second
    route or \\N. Unsorted: the server sorts."""
    rng = random.Random(args.seed)
    codes = COUNTRY_CODES
    seen = set()
    two = len(service_ids) == 2
    while len(seen) < args.prefixes:
        length = rng.randint(3, 8)
        prefix = rng.choice(codes) + str(rng.randrange(10 ** length)).zfill(length)
        if prefix in seen:
            continue
        seen.add(prefix)
        if two and rng.random() < args.two_routes:
            first, second = service_ids if rng.random() < 0.5 else service_ids[::-1]
            counts["routes"] += 2
            yield f"{prefix}\t{first}\t{second}\t{rng.randrange(1000, 200000)}\n"
        else:
            counts["routes"] += 1
            yield f"{prefix}\t{service_ids[rng.randrange(len(service_ids))]}\t\\N\t{rng.randrange(1000, 200000)}\n"


def write_rows(out, rows):
    """Writes an iterable of lines to psql in large chunks."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 50_000:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk))


def main():
    args = parse_args()
    started = time.monotonic()

    # 1. A short first session: services, plans, and the superuser check.
    if args.service is None:
        query(args, BENCH_SETUP_SQL)
        short_codes = ["BENCH-S1", "BENCH-S2"]
    else:
        short_codes = args.service
    rows = query(args, """
        select short_code, id, direction from carrier_services
        where short_code = any (string_to_array(:'codes', ','))""", codes=",".join(short_codes))
    services = {short_code: (uuid, direction) for short_code, uuid, direction in rows}
    for short_code in short_codes:
        if short_code not in services:
            sys.exit(f"gen-routing-plan: no carrier service with short code {short_code}")
        if services[short_code][1] != "egress":
            sys.exit(f"gen-routing-plan: carrier service {short_code} is not an egress service")
    service_ids = [services[short_code][0] for short_code in short_codes]

    (plan_id, superuser), = query(args, """
        insert into routing_plans (code, name) values (:'code', 'Bench plan ' || :'code')
        on conflict (code) do nothing;
        select id, (select rolsuper from pg_roles where rolname = current_user)
        from routing_plans where code = :'code';""", code=args.plan_code)
    if args.fast and superuser != "t":
        sys.exit("gen-routing-plan: --fast needs a superuser (session_replication_role)")
    rating_plan_id = None
    if args.rating_plan_code:
        (rating_plan_id,), = query(args, """
            insert into customer_rating_plans (short_code, name, currency)
            select :'code', 'Bench rates ' || :'code', 'USD'
            where not exists (select 1 from customer_rating_plans where short_code = :'code');
            select id from customer_rating_plans where short_code = :'code';""",
            code=args.rating_plan_code)
    setup_done = time.monotonic()

    # 2. One psql session, one transaction. The rows are COPYed into a staging
    #    table while they are generated (psql and the server work while Python
    #    does), then merged with set-based statements: only prefixes and routes
    #    that are new or gone are written, so entry ids stay stable and loading
    #    the same plan again writes nothing. No entry id travels to the client.
    command = psql_command(args, "-e") if args.verbose else psql_command(args)
    if not args.verbose:
        command.remove("-q")  # keep the command tags (INSERT 0 n) for the counts
    process = subprocess.Popen(command, stdin=subprocess.PIPE, text=True,
                               stdout=None if args.verbose else subprocess.PIPE)
    out = process.stdin
    if args.verbose:
        out.write("\\timing on\n")
    out.write("begin;\n")
    if args.fast:
        # Like pg_restore --disable-triggers: no per-row foreign key checks and
        # no trigger NOTIFY. References are right by construction (each INSERT
        # joins the rows it points at, routes of removed entries are deleted
        # first); the rows pointed at are locked as a foreign key check would,
        # and the NOTIFY is sent by hand below.
        out.write("set local session_replication_role = replica;\n")
    quoted_service_ids = ", ".join(f"'{uuid}'" for uuid in service_ids)
    out.write(f"""
select from carrier_services where id in ({quoted_service_ids}) for key share;
select from routing_plans where id = '{plan_id}' for key share;
create temp table stage (prefix text collate "C" not null, first_route uuid not null,
                         second_route uuid, micro_rate integer not null) on commit drop;
copy stage from stdin;
""")
    counts = {"routes": 0}
    write_rows(out, generate_rows(args, service_ids, counts))
    generated = time.monotonic()
    plan = f"'{plan_id}'"
    out.write(f"""\\.
analyze stage;
-- removed prefixes: their routes, then the entries
delete from routing_plan_entry_services x using routing_plan_entries e
where x.routing_plan_entry_id = e.id and e.routing_plan_id = {plan}
  and not exists (select from stage s where s.prefix = e.prefix);
delete from routing_plan_entries e
where e.routing_plan_id = {plan} and not exists (select from stage s where s.prefix = e.prefix);
-- new prefixes, in index order
insert into routing_plan_entries (routing_plan_id, prefix)
select {plan}, s.prefix from stage s
where not exists (select from routing_plan_entries e
                  where e.routing_plan_id = {plan} and e.prefix = s.prefix)
order by s.prefix;
-- the routes wanted, by entry id
create temp table want on commit drop as
select e.id as entry_id, r.carrier_service_id, r.priority
from (select prefix, first_route, 1 from stage
      union all
      select prefix, second_route, 2 from stage where second_route is not null)
     as r (prefix, carrier_service_id, priority)
join routing_plan_entries e on e.routing_plan_id = {plan} and e.prefix = r.prefix;
analyze want;
-- routes no longer wanted (or wanted with another priority or weight)
delete from routing_plan_entry_services x using routing_plan_entries e
where x.routing_plan_entry_id = e.id and e.routing_plan_id = {plan}
  and not exists (select from want w
                  where w.entry_id = x.routing_plan_entry_id
                    and w.carrier_service_id = x.carrier_service_id
                    and w.priority = x.priority and x.weight = 1);
-- missing routes, in index order
insert into routing_plan_entry_services (routing_plan_entry_id, carrier_service_id, priority, weight)
select w.entry_id, w.carrier_service_id, w.priority, 1 from want w
where not exists (select from routing_plan_entry_services x
                  where x.routing_plan_entry_id = w.entry_id
                    and x.carrier_service_id = w.carrier_service_id)
order by w.entry_id, w.priority;
update routing_plans set updated_at = now() where id = {plan};
""")
    if rating_plan_id:
        rates = f"'{rating_plan_id}'"
        out.write(f"""
select from customer_rating_plans where id = {rates} for key share;
-- rates that are gone or changed, then the missing ones (all open-ended, any time of day,
-- the plan's intervals)
delete from rating_plan_rates r
where r.rating_plan_id = {rates}
  and not exists (select from stage s
                  where s.prefix = r.prefix and r.rate_per_minute = s.micro_rate / 1000000.0
                    and r.connection_fee = 0 and r.effective_from = '-infinity'
                    and r.effective_to is null and r.initial_interval is null
                    and r.recurring_interval is null and r.time_class is null);
insert into rating_plan_rates (rating_plan_id, prefix, rate_per_minute)
select {rates}, s.prefix, s.micro_rate / 1000000.0 from stage s
where not exists (select from rating_plan_rates r
                  where r.rating_plan_id = {rates} and r.prefix = s.prefix
                    and r.effective_from = '-infinity' and r.time_class is null)
order by s.prefix;
""")
    if args.fast:
        out.write("select from pg_notify('didtron_reload', 'routing_plan_entries');\n")
    out.write("commit;\n")
    # Statistics for the planner, after the commit.
    out.write("analyze routing_plan_entries, routing_plan_entry_services;\n")
    if rating_plan_id:
        out.write("analyze rating_plan_rates;\n")
    out.close()
    output = process.stdout.read() if process.stdout else ""
    if process.wait() != 0:
        sys.exit("gen-routing-plan: loading failed (psql error above); the plan's entries, routes and rates are unchanged")
    loaded = time.monotonic()

    # Command tags, in statement order: DELETE routes, DELETE entries, INSERT
    # entries, DELETE routes, INSERT routes [, DELETE rates, INSERT rates].
    tags = [int(line.split()[-1]) for line in output.splitlines()
            if line.startswith(("INSERT 0 ", "DELETE "))]
    rates = f", {args.prefixes} rates in rating plan {args.rating_plan_code}" if rating_plan_id else ""
    mode = " (--fast)" if args.fast else ""
    print(f"routing plan {args.plan_code}: {args.prefixes} prefixes, {counts['routes']} routes"
          f" to {', '.join(short_codes)}{rates}{mode}")
    if len(tags) >= 5:
        print(f"changes: entries -{tags[1]} +{tags[2]}, routes -{tags[0] + tags[3]} +{tags[4]}"
              + (f", rates -{tags[5]} +{tags[6]}" if len(tags) >= 7 else ""))
    print(f"time: setup {setup_done - started:.1f} s, generate + COPY to staging"
          f" {generated - setup_done:.1f} s, merge + commit + analyze {loaded - generated:.1f} s,"
          f" total {loaded - started:.1f} s")


if __name__ == "__main__":
    main()
