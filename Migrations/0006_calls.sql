-- 0006 calls: the call record (seed 000) with the switch's columns added.
--
-- Design decisions
-- * One row per call, written by the switch's batched writer when the call
--   ends. `uuid` is unique: the writer inserts with ON CONFLICT (uuid) DO
--   NOTHING, so a retried batch never records a call twice.
-- * Seed 000 columns keep their meaning. from_number/to_number are the numbers
--   as routed: the ingress tech prefix stripped and translation applied, before
--   the egress service's tech prefix is put in front; the ADDITIONS
--   original_from_number/original_to_number are the numbers as received.
-- * direction (call_direction): 'inbound' | 'outbound'. A call from a customer
--   interconnect to a supplier is 'outbound' (the customer is calling out);
--   'inbound' is a call towards one of our users' phone numbers.
-- * status (call_status), set from the call's outcome:
--     answered and ended                         -> completed
--     not answered, final 486 or 600             -> busy
--     not answered, 408, 480 or no-answer timeout -> no_answer
--     cancelled by the caller (487)              -> no_answer
--     anything else                              -> failed
--   initiated / ringing / answered are for records of calls still in progress
--   (the switch itself writes only finished calls).
-- * ADDITIONS ingress_/egress_ carrier, interconnect and service ids (uuid):
--   deliberately without foreign keys. A call record must insert even if the
--   carrier, interconnect or service was deleted while the call was up or the
--   record waited in the journal, and history must survive those deletions.
-- * sip_status: the final SIP status the caller got (200 for answered calls).
--   routes_tried: how many routes were attempted (0 when the call was refused
--   before routing). source_address/destination_address: "ip:port" of the
--   caller's packets and of the last route tried.
-- * Money: cost numeric(20,6), NULL when not rated.
-- * Indexes: the seed's idx_calls_user_created, idx_calls_phone_number and
--   idx_calls_status, plus idx_calls_started_at for time-range reports and the
--   seed's 2-year retention (delete where started_at < now() - 2 years). No
--   more: each index slows the batched writer.
-- * user_id and phone_number_id keep the seed's foreign keys (on delete set
--   null, so deleting a user keeps its call history); calls between carriers
--   leave them NULL.

create type call_direction as enum ('inbound', 'outbound');
create type call_status as enum (
    'initiated', 'ringing', 'answered', 'completed', 'failed', 'busy', 'no_answer');

create table calls (
    id bigserial primary key,
    uuid uuid not null unique,
    user_id bigint references users on delete set null,
    phone_number_id bigint references phone_numbers on delete set null,
    direction call_direction not null,
    from_number text,
    to_number text,
    status call_status not null,
    duration_seconds integer not null default 0 check (duration_seconds >= 0),
    cost numeric(20,6) check (cost >= 0),
    recording_url text,
    call_sid text,
    started_at timestamptz not null,
    answered_at timestamptz,
    ended_at timestamptz,
    metadata jsonb not null default '{}',
    created_at timestamptz not null default now(),

    ingress_carrier_id uuid,
    ingress_interconnect_id uuid,
    ingress_service_id uuid,
    egress_carrier_id uuid,
    egress_interconnect_id uuid,
    egress_service_id uuid,
    original_from_number text,
    original_to_number text,
    sip_status integer not null,
    routes_tried integer not null default 0 check (routes_tried >= 0),
    source_address text,
    destination_address text
);
create index idx_calls_user_created on calls (user_id, created_at desc);
create index idx_calls_phone_number on calls (phone_number_id, created_at desc);
create index idx_calls_status on calls (status);
create index idx_calls_started_at on calls (started_at);
