-- 0023 Supplier health: egress interconnects probed with OPTIONS (issue 21
-- item 4; docs/operations.md, "Supplier health").
--
-- Design decisions
-- * ADDITION carrier_interconnects.options_probe (boolean, default false):
--   the switch sends an OPTIONS to the interconnect's ip_address:sip_port
--   over its transport every interval, and skips the interconnect in routing
--   (with no failover wait) while it is down: after health.failures_to_down
--   failed probes in a row (no final response within health.probe_timeout_ms,
--   a 408 or 5xx, a transport error); health.successes_to_up answered probes
--   in a row bring it back. Any other final response (2xx, 404, 405 ...) is an
--   answer: a SIP stack is there. Only rows that can carry egress calls
--   (direction egress or both, is_active, ip_address set) are probed; the
--   flag on an ingress row is ignored. Off by default: a supplier that does
--   not answer OPTIONS (some block them) is never marked down unless asked.
-- * ADDITION carrier_interconnects.options_probe_interval_seconds (integer,
--   NULL, 1 to 3600): the time between probes of this interconnect; NULL
--   means the configured default (health.probe_interval_ms).
-- * The state (up/down) is not stored: it is the switch's live view, kept
--   across reloads of the reference data in memory, starting "up" at every
--   start (a restart never blocks calls), shown in the metrics
--   (didtron_interconnect_up) and logged once per change.
-- * Changing either column takes effect at the next reload (NOTIFY, SIGHUP).

alter table carrier_interconnects
    add column options_probe boolean not null default false,
    add column options_probe_interval_seconds integer
        check (options_probe_interval_seconds between 1 and 3600);
