-- 0010 call charges: what each call costs on both sides, in its record.
--
-- Design decisions
-- * The seed's calls.cost is what the customer pays for the call: its
--   rating plan's connection fee plus rate per minute times the billable
--   seconds (docs/rating.md). NULL when the call was not rated (its ingress
--   service has no rating plan); 0 for a rated call that was not answered.
-- * ADDITIONS for the customer side, beside cost: currency (the rating
--   plan's ISO 4217 code), billable_seconds (the duration from answer to end
--   rounded up to whole seconds and then to the rate's initial/recurring
--   intervals), rating_plan_id, rate_prefix (the prefix whose rate applied)
--   and rate_per_minute.
-- * ADDITIONS for the supplier side: supplier_cost, supplier_currency,
--   supplier_billable_seconds, supplier_rating_plan_id, supplier_rate_prefix
--   and supplier_rate_per_minute, from the egress service that carried the
--   call (for an unanswered call, the last one tried, at cost 0). NULL when
--   that service has no rating plan or no rate for the destination.
-- * margin: cost minus supplier_cost in the customer's currency (the
--   supplier's cost converted at the exchange rates of the call's start,
--   rounded half up to the millionth). Negative when the call lost money;
--   NULL unless both sides were rated.
-- * No foreign keys on the plan ids, as for the carrier ids (0006): a record
--   must insert even after the plan was deleted. Money is numeric(20,6), like
--   every amount in the schema; the switch computes it exactly in integer
--   millionths.

alter table calls
    add column currency text,
    add column billable_seconds integer check (billable_seconds >= 0),
    add column rating_plan_id uuid,
    add column rate_prefix text,
    add column rate_per_minute numeric(20,6),
    add column supplier_cost numeric(20,6) check (supplier_cost >= 0),
    add column supplier_currency text,
    add column supplier_billable_seconds integer check (supplier_billable_seconds >= 0),
    add column supplier_rating_plan_id uuid,
    add column supplier_rate_prefix text,
    add column supplier_rate_per_minute numeric(20,6),
    add column margin numeric(20,6);
