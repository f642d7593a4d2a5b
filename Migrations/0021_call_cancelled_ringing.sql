-- 0021 Records for portals: a caller's CANCEL is told apart from no answer,
-- and the time the call started ringing is kept (issue 18 item 8).
--
-- Design decisions
-- * call_status gains 'cancelled' (ADDITION to seed 000's enum): the caller
--   gave up before the answer (a CANCEL, RFC 3261 §9). Until this migration
--   such a call was recorded 'no_answer' with sip_status 487 (0006). A 487
--   the caller did not ask for (a supplier's own) stays 'no_answer'; a CANCEL
--   that crosses the 2xx is an answered call ('completed'), as the caller
--   got the answer. Rows written before this migration keep 'no_answer'.
--   ALTER TYPE ... ADD VALUE runs inside the migration's transaction
--   (PostgreSQL 12 and later); nothing in this file uses the new value, which
--   only becomes usable once the transaction commits.
-- * ADDITION calls.ringing_at (timestamptz): seed 003's ringing_time, named
--   like started_at/answered_at/ended_at. The switch's wall clock when it
--   relayed the first 18x (180 to 189, a 183 with early media included; 100
--   Trying is not ringing) to the caller; NULL when the call never rang
--   (refused, busy at once, unreachable supplier), for rows written before
--   this migration and for records replayed from journal lines of format v4
--   and earlier. On a call that failed over, the first 18x of any route.
-- * No database write per call state: the switch writes one row when the
--   call ends (0006), ringing_at travels in it (journal line v5, the dialog
--   checkpoint of an answered call keeps it across a restart). Seed 003's
--   'initiating'/'ringing'/'answered' lifecycle rows therefore do not exist
--   in the switch's calls table; a portal reads started_at, ringing_at,
--   answered_at and ended_at instead.
-- * No index: portals read ringing_at per row, never search by it. No check
--   against started_at either: both are wall-clock readings, and a clock
--   step between them must not make PostgreSQL refuse a call's record.

alter type call_status add value if not exists 'cancelled';

alter table calls
    add column ringing_at timestamptz;
