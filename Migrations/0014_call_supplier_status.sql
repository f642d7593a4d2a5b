-- 0014 The supplier's final status beside the caller's, in the call record.
--
-- Design decisions
-- * calls.sip_status (0006) is the final status the caller got: the 2xx of
--   an answered call; for an unanswered call the status the switch sent
--   upstream, after the customer interconnect's release-cause mapping and
--   RFC 3261 §16.7's rule that a lone 503 goes upstream as 500 (487 when the
--   caller cancelled). calls.status is set from it (0006's table).
-- * ADDITION supplier_sip_status: the final status that the last route tried
--   (the egress_* columns) sent, as received, before any release-cause
--   mapping of either side; the 2xx of an answered call. A route that never
--   sent a final status counts as the switch treats it (RFC 3261 §16.7, §16.8):
--   408 when it timed out (timer C, the no-answer timeout or the transaction's
--   timer), 503 when it could not be reached (a transport error). So a
--   supplier's 503 mapped to 486 for the customer gives sip_status 486 and
--   supplier_sip_status 503; a lone 503 relayed as 500 gives 500 and 503.
-- * NULL for rows written before this migration: until then sip_status held
--   the supplier's status when a release-cause mapping applied and the
--   caller's otherwise, and which one cannot be told afterwards. The switch
--   fills it on every row it writes from now on (every recorded call tried at
--   least one route).
-- * No check constraint and no index, like sip_status: a status the switch
--   received is what it was, and reports filter on status.

alter table calls
    add column supplier_sip_status integer;
