-- 0009 rating: what the switch needs to price a call on both sides and to
-- order and filter routes by it: exchange rates, the rating plan's currency,
-- margin rule and time zone, time classes and period exceptions (holidays),
-- a time class per rate, route order on routing plans, and a customer's
-- category and group for carrier assignments. The switch checks every row
-- again when it loads its snapshot (what the schema cannot check: time zone
-- names, time classes a rate names, overlapping windows and effective dates);
-- a row it refuses fails the reload with a log line naming the table and row,
-- and the previous snapshot stays in use.
--
-- Design decisions
-- * currencies.exchange_rate numeric(20,10), default 1: how many units of
--   this currency one unit of the base currency buys. The base is the
--   currency at 1 (USD as shipped). EUR 0.92 and GBP 0.79 are seeded only as
--   examples: operators keep the rates current (an UPDATE notifies a
--   reload). Bounds 0 < rate < 100,000,000: ten decimals and eight integer
--   digits, so the switch holds a rate as an exact integer (units of 10^-10)
--   and converts and compares money across currencies without rounding
--   anything but the final millionth (half up). Only is_active currencies
--   are loaded; a rating plan in an inactive currency is refused.
-- * customer_rating_plans.currency: NOT NULL, default 'USD' (NULLs become
--   'USD' here): every price has a currency, and comparing a customer's rate
--   with a supplier's in another currency converts through exchange_rate.
-- * margin_enforcement: 'off', 'absolute' or 'percent'; NULL = 'off' ('' is
--   made NULL here). min_margin >= 0, NULL = 0. 'absolute': a supplier whose
--   rate per minute (converted to the plan's currency) is more than the
--   customer's rate minus min_margin is skipped; 'percent': the margin must
--   be at least min_margin percent of the customer's rate, so min_margin is
--   at most 100 there. With 'absolute' or 'percent' and min_margin NULL or 0,
--   the switch still skips suppliers that would carry the call at a loss.
--   Connection fees are not part of the comparison.
-- * time_zone: a tz database name (Europe/Berlin, America/New_York); NULL or
--   '' = UTC. Checked by the loader against the system's tz database
--   (/usr/share/zoneinfo), which the schema cannot see; an unknown zone
--   refuses the plan. carrier_time_zone is not used by the switch.
-- * rating_plan_rates.time_class: NULL = at any time (the rate used when no
--   rate of the class in force applies); otherwise the name of a time class
--   of the plan (a window in rating_plan_time_classes or the class of one of
--   its period exceptions): the loader checks it. The unique key becomes
--   (rating_plan_id, prefix, effective_from, time_class), with NULL counted
--   as one value (coalesce in a unique index, so no PostgreSQL 15 syntax is
--   needed): a peak and an off-peak rate of one prefix may start at the same
--   instant. The index still hands the loader each plan's rates in prefix
--   order. Effective dates of one prefix and class must not overlap: the
--   loader refuses that (an exclusion constraint would need btree_gist).
-- * rate_per_minute < 1,000,000 and connection_fee < 1,000,000 (units of
--   the currency): bounds for exact integer arithmetic. The switch holds
--   money as Int64 millionths; with these bounds a charge (rate x seconds /
--   60 + fee) fits in 64 bits for any call shorter than 17 years, and the
--   margin and currency comparisons fit in 128 bits, so no amount is ever
--   rounded except the final millionth. No real rate comes near them.
-- * NEW rating_plan_time_classes: one row per window of a named class
--   ('peak', 'offpeak', 'weekend' ...) of a plan: days = ISO weekdays
--   (1 = Monday ... 7 = Sunday, at least one), start_time up to (not
--   including) end_time, in the plan's time zone, whole minutes, '24:00' =
--   end of day. A class may have several windows (rows with the same name,
--   e.g. offpeak 00:00-08:00 and 20:00-24:00). The windows of one plan must
--   not overlap (the loader refuses it), so a moment has at most one class.
--   A window cannot cross midnight: split it in two rows.
-- * NEW rating_period_exceptions: on exception_date (the plan's local date)
--   the whole day is time_class (public holidays billed as 'weekend'). Rows
--   are grouped by template; a plan uses the rows whose template is its
--   period_exception_template (NULL = none). One class per template and
--   date (unique). An exception wins over the windows; its class needs no
--   window (a 'holiday' class only rates name is fine).
-- * routing_plans.route_order: how the egress services of one priority group
--   are ordered: 'priority' (as listed, default), 'weight' (load share by
--   weight) or 'lcr' (least cost: the supplier's rate for the destination,
--   cheapest first). Priority groups always go lowest priority first.
--   routing_plan_entries.route_order overrides it per prefix (NULL = the
--   plan's).
-- * carriers.customer_category_id / customer_group_id: the customer's place
--   for carrier_assignments 'categories' and 'groups' rows (seed 001 lists
--   category and group ids there but gives a carrier neither). ON DELETE SET
--   NULL: deleting a category or group takes it away from the carriers.
-- * carrier_assignments: category_ids, group_ids and customer_ids must be
--   JSON arrays (of ids as strings). Only the column of the row's
--   assignment_type is read; a supplier without rows carries every customer.
-- * NOTIFY didtron_reload (0007) also on currencies, rating_plan_time_classes,
--   rating_period_exceptions, carrier_assignments, customer_categories and
--   customer_groups.

alter table currencies
    add column exchange_rate numeric(20,10) not null default 1
        constraint currencies_exchange_rate_check
            check (exchange_rate > 0 and exchange_rate < 100000000);

-- Examples only: operators keep these current.
update currencies set exchange_rate = 0.92 where code = 'EUR';
update currencies set exchange_rate = 0.79 where code = 'GBP';

update customer_rating_plans set currency = 'USD' where currency is null;
update customer_rating_plans set margin_enforcement = null where margin_enforcement = '';

alter table customer_rating_plans
    alter column currency set default 'USD',
    alter column currency set not null,
    add constraint customer_rating_plans_margin_enforcement_check
        check (margin_enforcement in ('off', 'absolute', 'percent')),
    add constraint customer_rating_plans_min_margin_check
        check (min_margin >= 0),
    add constraint customer_rating_plans_percent_margin_check
        check (margin_enforcement is distinct from 'percent' or min_margin <= 100);

alter table rating_plan_rates
    add column time_class text
        constraint rating_plan_rates_time_class_check check (time_class <> ''),
    add constraint rating_plan_rates_rate_per_minute_bound check (rate_per_minute < 1000000),
    add constraint rating_plan_rates_connection_fee_bound check (connection_fee < 1000000),
    drop constraint rating_plan_rates_plan_prefix_from_key;

create unique index rating_plan_rates_plan_prefix_from_class_key
    on rating_plan_rates (rating_plan_id, prefix, effective_from, coalesce(time_class, ''));

create table rating_plan_time_classes (
    id uuid primary key default gen_random_uuid(),
    rating_plan_id uuid not null references customer_rating_plans on delete cascade,
    name text not null check (name <> ''),
    days smallint[] not null
        check (cardinality(days) > 0 and days <@ '{1,2,3,4,5,6,7}'),
    start_time time not null default '00:00',
    end_time time not null default '24:00',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint rating_plan_time_classes_order check (end_time > start_time),
    constraint rating_plan_time_classes_whole_minutes
        check (extract(second from start_time) = 0 and extract(second from end_time) = 0)
);
create index rating_plan_time_classes_rating_plan_id_idx on rating_plan_time_classes (rating_plan_id);

create table rating_period_exceptions (
    id uuid primary key default gen_random_uuid(),
    template text not null check (template <> ''),
    exception_date date not null check (isfinite(exception_date)),
    time_class text not null check (time_class <> ''),
    name text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint rating_period_exceptions_template_date_key unique (template, exception_date)
);

alter table routing_plans
    add column route_order text not null default 'priority'
        constraint routing_plans_route_order_check check (route_order in ('priority', 'weight', 'lcr'));

alter table routing_plan_entries
    add column route_order text
        constraint routing_plan_entries_route_order_check
            check (route_order in ('priority', 'weight', 'lcr'));

alter table carriers
    add column customer_category_id uuid references customer_categories on delete set null,
    add column customer_group_id uuid references customer_groups on delete set null;

alter table carrier_assignments
    add constraint carrier_assignments_category_ids_check check (jsonb_typeof(category_ids) = 'array'),
    add constraint carrier_assignments_group_ids_check check (jsonb_typeof(group_ids) = 'array'),
    add constraint carrier_assignments_customer_ids_check check (jsonb_typeof(customer_ids) = 'array');

do $$
declare
    t text;
begin
    foreach t in array array[
        'currencies',
        'rating_plan_time_classes',
        'rating_period_exceptions',
        'carrier_assignments',
        'customer_categories',
        'customer_groups'
    ] loop
        execute format(
            'create trigger %I after insert or update or delete or truncate on %I '
            'for each statement execute function didtron_notify_reload()',
            t || '_notify_reload', t);
    end loop;
end;
$$;
