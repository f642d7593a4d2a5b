-- 0022 Calls to DIDs reach their users: the owner's time zone for call-rule
-- schedules, the shape of call_rules.schedule, and the link from a forwarded
-- leg to the inbound call it came from (issue 19, docs/dids.md).
--
-- Design decisions
-- * ADDITION users.time_zone (text, NULL = UTC): a tz database name
--   (Europe/Berlin, America/New_York) read from the system's tz database
--   (/usr/share/zoneinfo) like customer_rating_plans.time_zone (0009). The
--   windows of the user's call rules' schedules are local times in this
--   zone; daylight-saving changes follow the zone (a 09:00-17:00 window is
--   09:00-17:00 wall-clock time in summer and in winter). A name the switch
--   cannot read refuses the reference-data load with a log line naming the
--   user; the previous snapshot stays.
-- * call_rules.schedule (jsonb, seed 000) gets a shape. NULL or absent: the
--   rule applies at all times. Otherwise exactly:
--     {"windows": [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}, ...]}
--   - days: ISO weekdays, 1 = Monday ... 7 = Sunday, at least one, each once;
--   - start, end: "HH:MM" local wall-clock time (00:00 to 23:59, end may be
--     "24:00"); start inclusive, end exclusive; start = end is refused;
--   - end before start: the window runs across midnight and belongs to the
--     day it starts on ({"days": [5], "start": "22:00", "end": "06:00"} is
--     Friday 22:00 to Saturday 06:00);
--   - at least one window; the rule applies while any window is open.
--   Any other key, a missing key, or a value of another type refuses the
--   row at load (a log line names the call_rules row; the previous snapshot
--   stays). A local time skipped by a daylight-saving change never happens,
--   so a window starting inside the skipped hour opens when the clock jumps
--   past it; a repeated hour is inside a window twice.
--   The check below only insists on an object with an array "windows"; the
--   switch checks the rest when it loads.
-- * ADDITION calls.parent_call_uuid (uuid, NULL for every call that is not a
--   forwarded leg): a call to a DID that the owner's call rules forward to a
--   number makes two rows, the inbound leg (direction 'inbound', the
--   carrier's ids and charges, user_id and phone_number_id of the DID) and
--   the forwarded leg (direction 'outbound', routed and rated as a call of
--   the DID's owner and charged to the owner's wallet), whose
--   parent_call_uuid is the inbound row's uuid. A uuid, not the bigint id,
--   because the switch names records by uuid before PostgreSQL has seen
--   them (journal line v6); no foreign key, as the two rows of one call may
--   reach PostgreSQL in either order. Indexed for "the legs of this call".
-- * phone_numbers.type = 'toll_free' (seed 000) is read: see docs/dids.md
--   for how a toll-free number's inbound leg is charged.
-- * Reloads (0007): the snapshot now holds every phone_numbers row (any
--   status, owned or not) with its type, every active call rule, and the
--   owners' time zones, so any change of call_rules, an update of
--   phone_numbers.type and of users.time_zone notify didtron_reload too.
--   users_notify_reload (0020) and phone_numbers_notify_reload (0017) are
--   recreated with the new columns.

alter table users
    add column time_zone text;

alter table call_rules
    add constraint call_rules_schedule_shape
    check (schedule is null or (jsonb_typeof(schedule) = 'object'
                                and jsonb_typeof(schedule -> 'windows') = 'array'));

alter table calls
    add column parent_call_uuid uuid;
create index idx_calls_parent_call_uuid on calls (parent_call_uuid) where parent_call_uuid is not null;

comment on column users.time_zone is
    'tz database name (Europe/Berlin) of the user''s call-rule schedules; NULL = UTC (migration 0022).';
comment on column call_rules.schedule is
    '{"windows": [{"days": [1..7 ISO weekdays], "start": "HH:MM", "end": "HH:MM"}]} in users.time_zone; end before start runs across midnight; NULL = always (migration 0022).';
comment on column calls.parent_call_uuid is
    'A forwarded leg: the uuid of the inbound call it was forwarded from (migration 0022).';

drop trigger users_notify_reload on users;
create trigger users_notify_reload
    after delete or truncate or update of status, carrier_id, carrier_service_id, subscription_plan_id, time_zone
    on users
    for each statement execute function didtron_notify_reload();

drop trigger phone_numbers_notify_reload on phone_numbers;
create trigger phone_numbers_notify_reload
    after insert or delete or truncate or update of number, user_id, status, is_primary, type
    on phone_numbers
    for each statement execute function didtron_notify_reload();

create trigger call_rules_notify_reload
    after insert or update or delete or truncate on call_rules
    for each statement execute function didtron_notify_reload();
