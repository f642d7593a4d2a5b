-- 0015 Closed codes, the least-cost reference call, and how effective dates
-- are written (issue 17, rules 6, 7 and 9).
--
-- Design decisions
-- * ADDITION customer_rating_plans.closed_code_fallback boolean, default
--   false. A code (a prefix with rate rows) is closed at an instant when none
--   of its rows is in force then for the time class in force (or any time)
--   but one of them has started: all its rates ended, or the rows in force
--   are for other time classes (a peak-only code in the evening). false: a
--   call whose longest matching code is closed is refused (customer plan:
--   403 Closed Code), and a supplier whose cost plan closed the code is
--   skipped (503 Supplier Code Closed when none is left). true: the switch
--   prices the call at the next shorter prefix, as it did before this
--   migration. A code whose rows all start later does not exist yet and is
--   passed over either way. Carriers block closed codes: a premium or
--   mobile range priced at its country code is sold below its cost.
-- * ADDITION routing_plans.lcr_reference_seconds integer, default 60,
--   1 to 86,400: route_order 'lcr' ranks suppliers by what a call of this
--   many billable seconds costs through each (connection fee and billing
--   increments included), not by the rate per minute. Per routing plan
--   because route order is the routing plan's: a plan carrying short
--   calls (call centres) can rank by 20 s, one carrying long ones by 300 s.
--   The loader checks the bounds again.
-- * Effective dates (rating_plan_rates.effective_from / effective_to,
--   timestamptz since 0003) are instants: PostgreSQL converts text without
--   a zone ('2026-12-01 00:00') in the writing session's TimeZone, so the
--   same text lands at different instants from different clients. A portal
--   must write the zone, and a rate sheet's dates are the plan's local
--   wall clock: either a literal with the zone or offset
--   ('2026-12-01 00:00 Europe/Berlin', '2026-12-01 00:00+01'), or
--   timestamp '2026-12-01 00:00' at time zone <the plan's time_zone, '' or
--   NULL = 'UTC'>. The switch reads the instant and applies a rate from it
--   (rounded up to the millisecond); it cannot tell afterwards which zone a
--   text was meant in. Nothing in the schema changes for it: the column
--   comments below say it where a portal developer looks.
-- * carrier_time_zone stays inert: seed 001 gives it no meaning beyond its
--   name, and the switch uses one zone per plan, time_zone, for time
--   classes, period exceptions and the local dates above. A portal may use
--   carrier_time_zone to display or import a carrier's rate sheet, converting
--   its dates to instants before writing them.

alter table customer_rating_plans
    add column closed_code_fallback boolean not null default false;

alter table routing_plans
    add column lcr_reference_seconds integer not null default 60
        check (lcr_reference_seconds between 1 and 86400);

comment on column rating_plan_rates.effective_from is
    'Instant the rate starts (inclusive). Write it with a zone: ''2026-12-01 00:00 Europe/Berlin'' or timestamp ''2026-12-01 00:00'' at time zone <the plan''s time_zone>; text without a zone is read in the session''s TimeZone.';
comment on column rating_plan_rates.effective_to is
    'Instant the rate ends (exclusive; NULL = open-ended). Write it with a zone, as effective_from.';
comment on column customer_rating_plans.closed_code_fallback is
    'false: a call whose longest matching code has rates, none in force, is refused (403 Closed Code; a supplier is skipped). true: a shorter prefix prices it.';
comment on column customer_rating_plans.carrier_time_zone is
    'Not read by the switch (time_zone is the plan''s zone for time classes and local dates).';
comment on column routing_plans.lcr_reference_seconds is
    'Billable seconds of the reference call that route_order lcr ranks suppliers by (fee and increments included).';
