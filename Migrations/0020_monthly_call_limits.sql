-- 0020 Monthly call limits (seed 003): a plan's phone_calls_limit caps the
-- calls a softphone user places per calendar month (docs/softphones.md
-- "Monthly call limits").
--
-- Design decisions
-- * subscription_plans is seed 003's table, keyed by its text id (free, pro,
--   premium). Only what the switch reads is required: phone_calls_limit
--   (-1 = unlimited, else 0 or more calls a month) and is_active. The other
--   seed columns (text/email limits, prices, Stripe ids, features) are
--   portal-side and kept as the seed has them, nullable.
-- * ADDITION users.subscription_plan_id (seed 003's column on its users
--   table): the user's plan. NULL, or a plan that is not active, means no
--   limit. on delete set null: a plan removed in the portal lifts the limit.
-- * What counts as a call placed: an ANSWERED call of the user routed by the
--   call pipeline (calls.user_id set, answered_at set, ingress_service_id
--   set). Unanswered attempts, refusals and on-net calls (user to user,
--   unrated, no ingress service) do not count. Emergency calls
--   (retail.emergency_numbers) count when answered but are never refused.
-- * The month: the calendar month of the call's start (calls.started_at,
--   the INVITE) in UTC, as 'YYYY-MM' (seed 003's usage_tracking.month_year).
--   A call started at 23:59:59 UTC on the 31st counts in that month even if
--   answered after midnight: admission and counting agree on one month.
-- * The count lives in seed 003's usage_tracking, one row per user and
--   month (unique (user_id, month_year)), calls_used incremented by a row
--   trigger on calls in the same transaction that inserts the calls row.
--   The switch inserts calls rows ON CONFLICT (uuid) DO NOTHING, and an
--   AFTER INSERT row trigger fires only for rows really inserted, so a
--   journal replay never counts a call twice; every switch on the database
--   writes through the same rows, so the count is shared.
-- * The switch reads the current month's rows at start and every
--   credit.sync_interval_ms (as balances), and keeps in memory the calls it holds
--   (admitted, not ended) and the answered calls it journalled but has not
--   seen committed: a call is admitted only while stored + those < limit
--   (refused with 403 "Monthly Call Limit Reached"). Calls another switch
--   admits concurrently are seen within one sync interval.
-- * texts_used and emails_used are seed 003's columns, unused by the switch.

create table subscription_plans (
    id text primary key,
    name text not null,
    description text,
    stripe_price_id_monthly text,
    stripe_price_id_yearly text,
    phone_calls_limit integer not null default -1 check (phone_calls_limit >= -1),
    text_chains_limit integer not null default -1 check (text_chains_limit >= -1),
    emails_limit integer not null default -1 check (emails_limit >= -1),
    price_monthly numeric,
    price_yearly numeric,
    features jsonb not null default '[]',
    is_active boolean not null default true,
    sort_order integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

alter table users
    add column subscription_plan_id text references subscription_plans on delete set null;

create table usage_tracking (
    id uuid primary key default gen_random_uuid(),
    user_id bigint not null references users on delete cascade,
    month_year text not null check (month_year ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    calls_used integer not null default 0 check (calls_used >= 0),
    texts_used integer not null default 0 check (texts_used >= 0),
    emails_used integer not null default 0 check (emails_used >= 0),
    unique (user_id, month_year)
);
create index usage_tracking_month_year_idx on usage_tracking (month_year);

create function didtron_count_monthly_call() returns trigger language plpgsql as $$
begin
    insert into usage_tracking (user_id, month_year, calls_used)
    values (new.user_id, to_char(new.started_at at time zone 'UTC', 'YYYY-MM'), 1)
    on conflict (user_id, month_year)
    do update set calls_used = usage_tracking.calls_used + 1;
    return null;
end;
$$;

create trigger calls_count_monthly_call
    after insert on calls
    for each row
    when (new.user_id is not null and new.answered_at is not null and new.ingress_service_id is not null)
    execute function didtron_count_monthly_call();

-- A user's plan and the plans' limits are reference data: reload on change.
drop trigger users_notify_reload on users;
create trigger users_notify_reload
    after delete or truncate or update of status, carrier_id, carrier_service_id, subscription_plan_id
    on users
    for each statement execute function didtron_notify_reload();

create trigger subscription_plans_notify_reload
    after insert or delete or truncate or update of phone_calls_limit, is_active
    on subscription_plans
    for each statement execute function didtron_notify_reload();
