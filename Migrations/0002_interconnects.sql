-- 0002 interconnects: a carrier's SIP trunks, the addresses they are known by,
-- and their five kinds of settings (validation, translation, codecs, media,
-- signalling).
--
-- Design decisions
-- * carrier_interconnects.direction: 'ingress' (calls arrive from it),
--   'egress' (calls are sent to it) or 'both'.
-- * tech_prefix: digits (plus # and *) that prefix the called number on this
--   trunk; '' = none. For ingress the switch uses it to tell apart trunks that
--   share an address and strips it; for egress it is prepended.
-- * ip_address + sip_port: the host (IP or DNS name) and port the switch sends
--   egress calls to. Ingress interconnects are found by the rows of
--   interconnect_ip_addresses instead, and may leave ip_address NULL.
-- * ADDITION transport ('udp' | 'tcp', default 'udp'): for egress, the
--   transport used to reach ip_address:sip_port; for ingress, the transport
--   calls must arrive on to be identified as this interconnect (a call from a
--   listed address over the other transport does not match).
-- * interconnect_ip_addresses.ip_address stays text, as in the seed: an IPv4 or
--   IPv6 address, or a CIDR block such as 10.0.0.0/24. With is_range, it is the
--   first address of a range and range_end (required then) the last. The
--   switch parses these values when it loads its snapshot; a value it cannot
--   parse makes the whole reload fail and the previous snapshot stays in use
--   (the error names the row), so a typo never silently opens or closes a
--   trunk. Only address_type 'transport' rows identify SIP traffic; 'media'
--   rows list where the carrier's RTP comes from.
-- * ADDITION interconnect_ip_addresses.sip_port: the source port calls must
--   come from; NULL = any port.
-- * The validation, translation, media and signalling settings are one row per
--   interconnect (unique interconnect_id); codecs are many per interconnect
--   (one per codec name). All cascade when their interconnect is deleted.
-- * interconnect_signalling_settings."100relEnabled" becomes rel100_enabled:
--   an unquoted SQL identifier cannot start with a digit.
-- * Free-text settings whose values the seed does not list (dtmf_detection,
--   privacy_method, the translation rules ...) stay text without a check; the
--   switch validates them at load, with the same fail-and-keep rule as above.
-- * (id, carrier_id) is unique so carrier_services can check by foreign key
--   that a service's interconnect belongs to the service's carrier.

create table carrier_interconnects (
    id uuid primary key default gen_random_uuid(),
    short_code text unique,
    carrier_id uuid not null references carriers on delete cascade,
    name text not null,
    direction text not null check (direction in ('ingress', 'egress', 'both')),
    currency_code text references currencies (code) on update cascade,
    protocol text not null default 'SIP',
    capacity_mode capacity_mode not null default 'unrestricted',
    capacity_limit integer check (capacity_limit >= 0),
    is_active boolean not null default true,
    tech_prefix text not null default '' check (tech_prefix ~ '^[0-9#*]*$'),
    ip_address text,
    sip_port integer not null default 5060 check (sip_port between 1 and 65535),
    transport text not null default 'udp' check (transport in ('udp', 'tcp')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint carrier_interconnects_id_carrier_id_key unique (id, carrier_id),
    constraint carrier_interconnects_capped_needs_limit
        check (capacity_mode <> 'capped' or capacity_limit is not null)
);
create index carrier_interconnects_carrier_id_idx on carrier_interconnects (carrier_id);

create table interconnect_ip_addresses (
    id uuid primary key default gen_random_uuid(),
    interconnect_id uuid not null references carrier_interconnects on delete cascade,
    ip_address text not null,
    is_range boolean not null default false,
    range_end text,
    address_type text not null default 'transport'
        check (address_type in ('transport', 'media')),
    is_active boolean not null default true,
    sip_port integer check (sip_port between 1 and 65535),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint interconnect_ip_addresses_range_needs_end
        check (not is_range or range_end is not null)
);
create index interconnect_ip_addresses_interconnect_id_idx
    on interconnect_ip_addresses (interconnect_id);

create table interconnect_validation_settings (
    id uuid primary key default gen_random_uuid(),
    interconnect_id uuid not null unique references carrier_interconnects on delete cascade,
    tech_prefix text,
    from_uri text,
    contact_uri text,
    trunk_group text,
    max_cps integer check (max_cps > 0),
    max_cps_enabled boolean not null default false,
    test_system_control text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint interconnect_validation_settings_cps_needs_max
        check (not max_cps_enabled or max_cps is not null)
);

create table interconnect_translation_settings (
    id uuid primary key default gen_random_uuid(),
    interconnect_id uuid not null unique references carrier_interconnects on delete cascade,
    origination_preference text,
    origination_validation text,
    set_pai_header text,
    global_translation text,
    origin_translation text,
    destination_translation text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table interconnect_codecs (
    id uuid primary key default gen_random_uuid(),
    interconnect_id uuid not null references carrier_interconnects on delete cascade,
    codec_name text not null,
    codec_id text,
    allowed boolean not null default true,
    relay_only boolean not null default false,
    vad boolean not null default false,
    ptime integer check (ptime > 0),
    display_order integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint interconnect_codecs_interconnect_codec_key unique (interconnect_id, codec_name)
);

create table interconnect_media_settings (
    id uuid primary key default gen_random_uuid(),
    interconnect_id uuid not null unique references carrier_interconnects on delete cascade,
    dtmf_detection text,
    media_relay text,
    media_network text,
    rtp_timeout integer check (rtp_timeout > 0),
    rtp_timeout_enabled boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table interconnect_signalling_settings (
    id uuid primary key default gen_random_uuid(),
    interconnect_id uuid not null unique references carrier_interconnects on delete cascade,
    privacy_method text,
    session_timer_enabled boolean not null default false,
    session_timer_interval integer check (session_timer_interval > 0),
    max_call_duration integer check (max_call_duration > 0),
    max_call_duration_enabled boolean not null default false,
    early_media_enabled boolean not null default true,
    rel100_enabled boolean not null default false,
    release_cause_mapping jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint interconnect_signalling_settings_duration_needs_max
        check (not max_call_duration_enabled or max_call_duration is not null)
);
