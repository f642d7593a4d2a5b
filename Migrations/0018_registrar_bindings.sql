-- 0018 Registrar bindings in PostgreSQL: registrations that last a restart
-- and are seen by every switch on the database (docs/registrar.md "Bindings
-- that last").
--
-- Design decisions
-- * One row per binding (RFC 3261 §10.3): the address of record
--   (`sip:user@host`, canonical as the registrar makes it: scheme and host
--   lower-case, user as written) and the contact URI as registered. Primary
--   key (address_of_record, contact): a REGISTER refreshing a contact
--   updates its row, wherever it was registered before.
-- * expires_at is wall-clock time (the switch's clock when it wrote the
--   row, plus the granted expiry). A row whose expires_at has passed is dead:
--   switches ignore it on reading and delete it (once a minute, every switch;
--   deleting is idempotent). De-registration (Expires: 0, Contact: *)
--   deletes rows at once.
-- * q: thousandths (0..1000, RFC 3261 §20.10 allows three decimals), NULL
--   when the contact gave none. call_id and cseq: RFC 3261 §10.3 step 7's
--   ordering of refreshes, kept so another switch applies it too.
-- * source_transport/source_host/source_port: where the REGISTER came from
--   (host a numeric IP literal, IPv6 without brackets). A phone behind NAT
--   is reached there, not at its Contact. A tcp/tls row is reached over the
--   connection its REGISTER came on, which only node_id (the switch that
--   holds it: credit.node_id or its SIP address) has; another switch, or the
--   same one after a restart, can only open a new connection to that address
--   (works for a phone with a reachable address, not for one behind NAT).
-- * device_registration_id/user_id: the device_registrations row whose
--   sip_username is the address of record's user part (the digest username
--   that authenticated the REGISTER, docs/registrar.md), NULL when none
--   matches (authentication = "none"). on delete cascade: a device or user
--   removed in the portal loses its bindings on every switch (the trigger
--   below tells them).
-- * node_id is text, like credit_holds.node_id (0011).
-- * Changes are announced by a row trigger: NOTIFY didtron_registrations
--   with the address of record as payload (folded per transaction by
--   PostgreSQL). Each switch LISTENs and re-reads that address of record's
--   rows (its own writes included, which keeps it in step). Separate from
--   didtron_reload: a REGISTER must never reload the snapshot.
-- * Sizes are capped (a NOTIFY payload must stay under 8000 bytes; the
--   switch's header limits keep real values far below): the switch drops
--   (and logs) a change the table refuses rather than retrying it forever.
-- * device_registrations.last_seen_at is set by the switch when a device
--   registers, at most once a minute per device (the UPDATE's own WHERE,
--   so several switches together also write it once a minute); the 0013
--   reload trigger ignores that column.

create table registrar_bindings (
    address_of_record text not null check (length(address_of_record) between 5 and 2048),
    contact text not null check (length(contact) between 1 and 4096),
    expires_at timestamptz not null,
    q_thousandths integer check (q_thousandths between 0 and 1000),
    call_id text not null check (length(call_id) <= 1024),
    cseq bigint not null check (cseq between 0 and 4294967295),
    source_transport text not null check (source_transport in ('udp', 'tcp', 'tls')),
    source_host text not null check (length(source_host) between 1 and 64),
    source_port integer not null check (source_port between 1 and 65535),
    device_registration_id bigint references device_registrations on delete cascade,
    user_id bigint references users on delete cascade,
    node_id text not null check (length(node_id) between 1 and 256),
    registered_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (address_of_record, contact)
);

create index idx_registrar_bindings_expires_at on registrar_bindings (expires_at);
create index idx_registrar_bindings_device on registrar_bindings (device_registration_id)
    where device_registration_id is not null;

create function didtron_notify_registrations() returns trigger
language plpgsql as $$
begin
    perform pg_notify('didtron_registrations',
        case when TG_OP = 'DELETE' then old.address_of_record else new.address_of_record end);
    return null;
end;
$$;

comment on function didtron_notify_registrations() is
    'NOTIFY didtron_registrations, payload = the address of record whose bindings changed';

create trigger registrar_bindings_notify
    after insert or update or delete on registrar_bindings
    for each row execute function didtron_notify_registrations();
