-- 0007 reload on change: every table the switch snapshots sends a NOTIFY on
-- channel `didtron_reload` when it changes, so an edit in the portal (or in
-- psql) reloads the switch without anyone sending NOTIFY by hand.
--
-- Design decisions
-- * Channel: didtron_reload. Payload: the name of the table that changed
--   (TG_TABLE_NAME); the switch reloads its whole snapshot whatever the
--   payload says, the payload is for logs.
-- * Statement-level AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE triggers:
--   a COPY of a million routing plan entries is one statement, so one
--   notification, not a million. PostgreSQL delivers notifications only when
--   the transaction commits, and folds identical (channel, payload) pairs of
--   one transaction into one, so a portal transaction touching several tables
--   sends at most one per table, and a rolled-back one sends none.
-- * A session can opt out with `SET LOCAL didtron.reload_notify = 'off'`
--   (e.g. a job that updates carriers' balances or 24-hour spend, which the
--   switch does not take from its snapshot, so as not to reload the whole
--   snapshot on every batch). Any other value, or none, notifies.
-- * Tables: carriers, carrier_interconnects, interconnect_ip_addresses,
--   interconnect_validation_settings, interconnect_translation_settings,
--   interconnect_codecs, interconnect_media_settings,
--   interconnect_signalling_settings, carrier_services, routing_plans,
--   routing_plan_entries, routing_plan_entry_services, customer_rating_plans,
--   rating_plan_rates.

create function didtron_notify_reload() returns trigger
language plpgsql as $$
begin
    if coalesce(current_setting('didtron.reload_notify', true), '') <> 'off' then
        perform pg_notify('didtron_reload', TG_TABLE_NAME);
    end if;
    return null;
end;
$$;

comment on function didtron_notify_reload() is
    'NOTIFY didtron_reload, payload = table name; skipped when didtron.reload_notify = off';

do $$
declare
    t text;
begin
    foreach t in array array[
        'carriers',
        'carrier_interconnects',
        'interconnect_ip_addresses',
        'interconnect_validation_settings',
        'interconnect_translation_settings',
        'interconnect_codecs',
        'interconnect_media_settings',
        'interconnect_signalling_settings',
        'carrier_services',
        'routing_plans',
        'routing_plan_entries',
        'routing_plan_entry_services',
        'customer_rating_plans',
        'rating_plan_rates'
    ] loop
        execute format(
            'create trigger %I after insert or update or delete or truncate on %I '
            'for each statement execute function didtron_notify_reload()',
            t || '_notify_reload', t);
    end loop;
end;
$$;
