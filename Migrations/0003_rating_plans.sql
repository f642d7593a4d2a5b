-- 0003 rating plans: customer_rating_plans (seed 001) and the rates under them.
--
-- Design decisions
-- * The seed's carrier_services.ratingPlanId points at "rate_cards", a table no
--   seed defines. The only rating plan table the seed has is
--   customer_rating_plans, so carrier_services.rating_plan_id references it,
--   and the rates hang off it in rating_plan_rates. A plan is read as the
--   customer's price list when an ingress service names it, and as the
--   supplier's cost list when an egress service names it; the table keeps the
--   seed's name.
-- * rating_plan_rates: one row per (plan, prefix, effective_from). prefix is
--   digits; '' is the default rate for numbers no longer prefix matches. The
--   switch picks the longest matching prefix among the rates in effect at the
--   call's start (effective_from <= start < effective_to, effective_to NULL =
--   open-ended; effective_from defaults to -infinity = always).
-- * Billing increments: initial_interval / recurring_interval in seconds. NULL
--   on a rate means the plan's own. The plan's default to 1/1 (per-second
--   billing) because the seed gives no default.
-- * Money is numeric(20,6); rates and connection fees cannot be negative.
-- * Time classes and zones (selected_time_classes, selected_zones) are kept as
--   the seed's jsonb on the plan; the rates do not use them yet.
-- * The unique index (rating_plan_id, prefix, effective_from) is a btree: the
--   switch loads a plan's rates in that order (one sequential index scan) into
--   a sorted array/trie; it never queries rates per call. prefix is
--   `collate "C"`: byte order (= digit order, '' first) whatever the
--   database's locale, and the cheapest comparisons for the index.

create table customer_rating_plans (
    id uuid primary key default gen_random_uuid(),
    short_code text unique,
    name text not null,
    currency text references currencies (code) on update cascade,
    time_zone text,
    carrier_time_zone text,
    default_rates text,
    margin_enforcement text,
    min_margin numeric(20,6),
    effective_date timestamptz,
    initial_interval integer not null default 1 check (initial_interval > 0),
    recurring_interval integer not null default 1 check (recurring_interval > 0),
    period_exception_template text,
    template text,
    uncommitted_changes boolean not null default false,
    assigned boolean not null default false,
    selected_time_classes jsonb not null default '[]',
    selected_zones jsonb not null default '[]',
    zones_select text,
    assign_origin text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table rating_plan_rates (
    id bigserial primary key,
    rating_plan_id uuid not null references customer_rating_plans on delete cascade,
    prefix text collate "C" not null check (prefix ~ '^[0-9]*$'),
    destination_name text,
    rate_per_minute numeric(20,6) not null check (rate_per_minute >= 0),
    connection_fee numeric(20,6) not null default 0 check (connection_fee >= 0),
    initial_interval integer check (initial_interval > 0),
    recurring_interval integer check (recurring_interval > 0),
    effective_from timestamptz not null default '-infinity',
    effective_to timestamptz,

    constraint rating_plan_rates_plan_prefix_from_key
        unique (rating_plan_id, prefix, effective_from),
    constraint rating_plan_rates_effective_order
        check (effective_to is null or effective_to > effective_from)
);
