-- 0001 reference data: the seed-001 enums, currencies, customer categories and
-- groups, carriers with their contacts, credit alerts and assignments, and the
-- one users table that serves both seeds.
--
-- Design decisions
-- * Names are the seeds' words in snake_case (primaryCurrencyId ->
--   primary_currency_id, customer24HrSpendLimit -> customer_24hr_spend_limit).
-- * Seed 001 ids are "varchar (UUID)": here they are real `uuid` columns with a
--   gen_random_uuid() default (built into PostgreSQL 13+, no extension).
-- * Money is numeric(20,6): exact, and six decimals are enough for per-minute
--   rates of a fraction of a cent. Limits can't be negative (check); balances
--   can (a postpaid carrier owes money), so they have no check. A NULL 24-hour
--   spend limit means "no limit"; the running 24-hour spend is not checked
--   because the switch may correct it downwards.
-- * capacity_mode 'capped' needs a capacity_limit (check); 'unrestricted'
--   ignores it.
-- * Credit type defaults: customer 'prepaid' (nobody gets credit without
--   someone choosing it), supplier 'postpaid' (the usual wholesale terms).
-- * currencies is keyed by uuid as the seed's FK implies (carriers point at it
--   by id) and also has a unique ISO 4217 `code`, which the text currency
--   columns elsewhere (interconnects, rating plans, wallets) reference. USD,
--   EUR and GBP are inserted here: they are reference data that the wallets
--   default ('USD') relies on.
-- * users: seed 000 has `id bigint` + `uuid uuid unique`; seed 001 has a
--   varchar UUID id. The merged table keeps seed 000's bigint `id` (what
--   phone_numbers, calls, wallets, transactions and device_registrations point
--   at) and its `uuid`, which plays the part of seed 001's UUID id. Every
--   column of both seeds is kept once: email, phone, password (a hash), pin
--   (seed 000); first_name, last_name, role, email_verified, two-factor
--   fields, customer_id, carrier_id, last_login_at (seed 001). The two status
--   sets are merged into one enum user_status: pending | active | suspended |
--   deleted (seed 001's pending + seed 000's deleted); the default is
--   'pending'. seed 001's customer_id points at a `customers` table that no
--   seed defines, so it is a plain uuid without a foreign key.
-- * Text columns that the seeds give a fixed value list for
--   (carrier_credit_alerts.alert_type/direction, carrier_assignments
--   .assignment_type) are text with a check, as the seed writes them as text.
-- * route_status (carriers.status, carrier_services.status; interconnects have
--   only is_active) 'testing': a carrier or service in 'testing' is used only
--   for calls that arrive from that carrier's own configured addresses (its
--   ingress interconnects' IP addresses); everyone else sees it as not
--   available. 'paused' refuses new calls but lets running calls end;
--   'disabled' is the same for the switch, and says it is not coming back.

create type carrier_partner_type as enum ('customer', 'supplier', 'bilateral');
create type credit_type as enum ('prepaid', 'postpaid');
create type capacity_mode as enum ('unrestricted', 'capped');
create type route_status as enum ('active', 'paused', 'disabled', 'testing');
create type user_status as enum ('pending', 'active', 'suspended', 'deleted');

create table currencies (
    id uuid primary key default gen_random_uuid(),
    code text not null unique check (code ~ '^[A-Z]{3}$'),
    name text not null,
    symbol text,
    minor_units integer not null default 2 check (minor_units between 0 and 6),
    is_active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

insert into currencies (code, name, symbol, minor_units) values
    ('USD', 'US Dollar', '$', 2),
    ('EUR', 'Euro', '€', 2),
    ('GBP', 'Pound Sterling', '£', 2);

create table customer_categories (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    code text not null unique,
    description text,
    icon text,
    display_order integer not null default 0,
    is_active boolean not null default true,
    show_on_website boolean not null default false,
    default_billing_type credit_type not null default 'prepaid',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table customer_groups (
    id uuid primary key default gen_random_uuid(),
    category_id uuid references customer_categories on delete restrict,
    name text not null,
    code text not null unique,
    description text,
    display_order integer not null default 0,
    is_active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index customer_groups_category_id_idx on customer_groups (category_id);

create table carriers (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    code text not null unique,
    partner_type carrier_partner_type not null,
    status route_status not null default 'active',

    -- credit control
    primary_currency_id uuid references currencies on delete restrict,
    customer_credit_type credit_type not null default 'prepaid',
    customer_credit_limit numeric(20,6) not null default 0 check (customer_credit_limit >= 0),
    customer_balance numeric(20,6) not null default 0,
    supplier_credit_type credit_type not null default 'postpaid',
    supplier_balance numeric(20,6) not null default 0,
    bilateral_balance numeric(20,6) not null default 0,
    bilateral_credit_limit numeric(20,6) not null default 0 check (bilateral_credit_limit >= 0),

    -- 24-hour spend (limit NULL = no limit)
    customer_24hr_spend_limit numeric(20,6) check (customer_24hr_spend_limit >= 0),
    customer_24hr_spend numeric(20,6) not null default 0,
    supplier_24hr_spend_limit numeric(20,6) check (supplier_24hr_spend_limit >= 0),
    supplier_24hr_spend numeric(20,6) not null default 0,

    -- capacity (concurrent calls)
    capacity_mode capacity_mode not null default 'unrestricted',
    capacity_limit integer check (capacity_limit >= 0),
    circular_routing boolean not null default false,

    -- accounting
    customer_account_number text,
    supplier_account_number text,
    tax_code text,
    bill_to text,
    ship_to text,

    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint carriers_capped_needs_limit
        check (capacity_mode <> 'capped' or capacity_limit is not null)
);

create table carrier_contacts (
    id uuid primary key default gen_random_uuid(),
    carrier_id uuid not null references carriers on delete cascade,
    name text,
    title text,
    first_name text,
    last_name text,
    job_title text,
    telephone text,
    mobile text,
    email text,
    portal_access boolean not null default false,
    is_primary boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index carrier_contacts_carrier_id_idx on carrier_contacts (carrier_id);

create table carrier_credit_alerts (
    id uuid primary key default gen_random_uuid(),
    carrier_id uuid not null references carriers on delete cascade,
    alert_type text not null
        check (alert_type in ('low_balance', 'high_balance', '24hr_spend_breach')),
    -- a threshold may be negative (a postpaid balance alert), so no sign check
    threshold numeric(20,6) not null,
    direction text not null check (direction in ('customer', 'supplier')),
    template_id text,
    recipients jsonb not null default '[]',
    is_active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index carrier_credit_alerts_carrier_id_idx on carrier_credit_alerts (carrier_id);

create table carrier_assignments (
    id uuid primary key default gen_random_uuid(),
    carrier_id uuid not null references carriers on delete cascade,
    assignment_type text not null default 'all'
        check (assignment_type in ('all', 'categories', 'groups', 'customers')),
    category_ids jsonb not null default '[]',
    group_ids jsonb not null default '[]',
    customer_ids jsonb not null default '[]',
    created_at timestamptz not null default now()
);
create index carrier_assignments_carrier_id_idx on carrier_assignments (carrier_id);

create table users (
    id bigserial primary key,
    uuid uuid not null unique default gen_random_uuid(),
    email text unique,
    phone text,
    password text,
    pin text,
    first_name text,
    last_name text,
    role text,
    status user_status not null default 'pending',
    email_verified boolean not null default false,
    two_factor_enabled boolean not null default false,
    two_factor_secret text,
    customer_id uuid,
    carrier_id uuid references carriers on delete set null,
    last_login_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index users_carrier_id_idx on users (carrier_id) where carrier_id is not null;
