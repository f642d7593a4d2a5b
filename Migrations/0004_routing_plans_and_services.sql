-- 0004 routing plans and carrier services: what connects an interconnect to a
-- rating plan and a routing plan, and where a routing plan sends each prefix.
--
-- Design decisions
-- * carrier_services (seed 001, "the key linkage"): an ingress service says
--   which routing plan and which (customer) rating plan calls arriving on its
--   interconnect use; an egress service is a route target: its interconnect is
--   where the call goes, its rating plan what the call costs. direction is
--   'ingress' or 'egress' (a 'both' interconnect carries one service of each).
--   The seed's routingPlanId (a bare varchar) becomes a foreign key to the new
--   routing_plans table. A composite foreign key (interconnect_id, carrier_id)
--   makes sure the interconnect belongs to the same carrier. Services go with
--   their carrier/interconnect (on delete cascade), but a service that a
--   routing plan still uses cannot be deleted (routing_plan_entry_services has
--   no cascade): deleting a supplier that still carries traffic must be an
--   explicit decision, not a side effect.
-- * NEW routing_plans: code (unique), name, failover_codes. A call always moves
--   to the next route on 408, any 5xx, a timeout or a transport error;
--   failover_codes lists extra final statuses (400..699) that do too, e.g. 404
--   or 486 for a plan that wants them. routing_plan_entries.failover_codes
--   overrides it per prefix (NULL = the plan's).
-- * NEW routing_plan_entries: one row per (plan, prefix). prefix is digits,
--   '' = the default route; the switch uses the longest prefix of the called
--   number (after translation) that has an entry.
-- * NEW routing_plan_entry_services: the routes of an entry. priority: lower
--   is tried first; weight: among services of equal priority, the share of
--   calls each gets first (as in DNS SRV; 0 = picked first only when every
--   sibling has weight 0). Only egress services belong here: a foreign key
--   cannot check a column of the referenced row, so the loader checks it.
-- * Built for a million prefixes per plan: one narrow row per prefix (no
--   arrays of prefixes, no per-digit tree tables), a bigint surrogate key so
--   the routes table stays narrow, and a btree unique index on
--   (routing_plan_id, prefix) that both rejects duplicates and hands the
--   switch the plan already sorted in one index scan (prefix is
--   `collate "C"`: byte order whatever the database's locale, and cheap
--   comparisons). Bulk loads are COPY into a staging table, then one
--   INSERT ... SELECT for the entries and one for the routes (joined back on
--   prefix), so no id ever travels to the client. The
--   switch loads the whole plan into a sorted array/trie on reload; it never
--   queries these tables per call.

create table routing_plans (
    id uuid primary key default gen_random_uuid(),
    code text not null unique,
    name text not null,
    failover_codes integer[] not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint routing_plans_failover_codes_valid check (
        array_position(failover_codes, null) is null
        and 400 <= all (failover_codes) and 699 >= all (failover_codes))
);

create table carrier_services (
    id uuid primary key default gen_random_uuid(),
    short_code text unique,
    carrier_id uuid not null references carriers on delete cascade,
    interconnect_id uuid not null,
    name text not null,
    direction text not null check (direction in ('ingress', 'egress')),
    status route_status not null default 'active',
    rating_plan_id uuid references customer_rating_plans on delete restrict,
    routing_plan_id uuid references routing_plans on delete restrict,
    tech_prefix text not null default '' check (tech_prefix ~ '^[0-9#*]*$'),
    priority integer not null default 1,
    weight integer not null default 1 check (weight >= 0),
    capacity_mode capacity_mode not null default 'unrestricted',
    capacity_limit integer check (capacity_limit >= 0),
    enforcement_policy text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint carrier_services_interconnect_fkey
        foreign key (interconnect_id, carrier_id)
        references carrier_interconnects (id, carrier_id) on delete cascade,
    constraint carrier_services_capped_needs_limit
        check (capacity_mode <> 'capped' or capacity_limit is not null)
);
create index carrier_services_carrier_id_idx on carrier_services (carrier_id);
create index carrier_services_interconnect_id_idx on carrier_services (interconnect_id);
create index carrier_services_routing_plan_id_idx on carrier_services (routing_plan_id);
create index carrier_services_rating_plan_id_idx on carrier_services (rating_plan_id);

create table routing_plan_entries (
    id bigserial primary key,
    routing_plan_id uuid not null references routing_plans on delete cascade,
    prefix text collate "C" not null check (prefix ~ '^[0-9]*$'),
    failover_codes integer[],

    constraint routing_plan_entries_plan_prefix_key unique (routing_plan_id, prefix),
    constraint routing_plan_entries_failover_codes_valid check (
        failover_codes is null
        or (array_position(failover_codes, null) is null
            and 400 <= all (failover_codes) and 699 >= all (failover_codes)))
);

create table routing_plan_entry_services (
    routing_plan_entry_id bigint not null references routing_plan_entries on delete cascade,
    carrier_service_id uuid not null references carrier_services on delete restrict,
    priority integer not null default 1,
    weight integer not null default 1 check (weight >= 0),

    primary key (routing_plan_entry_id, carrier_service_id)
);
-- lets deleting a carrier service check its uses without scanning a million rows
create index routing_plan_entry_services_carrier_service_id_idx
    on routing_plan_entry_services (carrier_service_id);
