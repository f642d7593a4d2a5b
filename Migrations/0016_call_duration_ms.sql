-- 0016 The call's exact duration in milliseconds, and duration_seconds as billed.
--
-- Design decisions
-- * ADDITION calls.duration_ms (bigint): milliseconds from the answer (the
--   2xx) to the end (the BYE, or the switch ending the call), measured on the
--   switch's monotonic clock, exactly as the billing measured it; 0 for an
--   unanswered call. bigint, not integer: 2^31 ms is under 25 days, and
--   the column must hold any duration the switch can measure (it ends every
--   dialog within proxy.max_dialog_lifetime_seconds, at most 7 days).
-- * calls.duration_seconds (0006) keeps its type and meaning "seconds from
--   answer to end", and now follows the billing's rounding: every started
--   second counts, i.e. ceil(duration_ms / 1000.0) (a 2.006 s call is 3 s,
--   as on a 1/1 bill; 2.000 s is 2 s). Until this migration the switch
--   floored it (2.006 s was recorded 2 s and billed 3 s). billable_seconds
--   applies the rate's increments on top of the same started seconds, so on
--   1/1 billable_seconds = duration_seconds.
-- * NULL for rows written before this migration, and for records replayed
--   from journal lines written by an older switch (format v4 and earlier):
--   their exact duration is not known, and their duration_seconds stays
--   floored as it was written. The switch fills duration_ms on every row it
--   writes from now on.
-- * A check that it is not negative, like duration_seconds; no index.

alter table calls
    add column duration_ms bigint check (duration_ms >= 0);
