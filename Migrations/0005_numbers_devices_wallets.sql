-- 0005 seed 000's retail tables: phone numbers (DIDs) and their call rules,
-- softphone device registrations, wallets and wallet transactions.
--
-- Design decisions
-- * bigint ids (bigserial) and the seed's enums as PostgreSQL enum types:
--   phone_number_type, phone_number_status, call_rule_type, device_type,
--   transaction_type, transaction_category. The seed lists no values for
--   call_rules.rule_type; call_rule_type has the usual forwarding cases
--   (forward_always, forward_busy, forward_no_answer, forward_unavailable) and
--   do_not_disturb.
-- * The seed's indexes on these tables are all here. idx_phone_numbers_number
--   is the name of the unique constraint on phone_numbers.number (the seed's
--   "UK"), so the column is not indexed twice.
-- * One wallet per user (seed: users ||--|| wallets): wallets.user_id is
--   unique. wallets.currency references currencies(code), default 'USD'.
-- * Money is numeric(20,6). A wallet balance may go negative (postpaid), so it
--   has no check. transactions.amount is the positive size of the movement;
--   `type` (credit | debit | refund) says which way it went, and
--   balance_after is the wallet balance once it was applied (signed).
--   reference_type/reference_id say what caused it (e.g. 'call' and calls.id).
-- * transactions.uuid is unique: the writer derives the uuid from what it
--   records (the call's uuid). Its insert has no ON CONFLICT: it runs, in the
--   transaction that inserts the calls row, only when that calls insert
--   (ON CONFLICT (uuid) DO NOTHING) found the row new, so a retried batch never
--   applies a debit twice, and a duplicate uuid fails rather than charges.
-- * Deleting a user: devices and call rules go with it; phone numbers and
--   call history stay (user_id set NULL); wallets and transactions are
--   financial records (7-year retention in the seed) and block the delete.
-- * device_registrations.sip_username is unique: a SIP username (digest
--   authentication) names exactly one device.

create type phone_number_type as enum ('local', 'toll_free', 'mobile');
create type phone_number_status as enum ('active', 'inactive', 'porting', 'released');
create type call_rule_type as enum (
    'forward_always', 'forward_busy', 'forward_no_answer', 'forward_unavailable',
    'do_not_disturb');
create type device_type as enum ('android', 'ios', 'web');
create type transaction_type as enum ('credit', 'debit', 'refund');
create type transaction_category as enum (
    'recharge', 'call', 'sms', 'mms', 'number_purchase', 'number_renewal', 'porting');

create table phone_numbers (
    id bigserial primary key,
    user_id bigint references users on delete set null,
    number text not null,
    country_code text,
    type phone_number_type not null default 'local',
    status phone_number_status not null default 'active',
    is_primary boolean not null default false,
    capabilities jsonb not null default '{}',
    monthly_cost numeric(20,6) not null default 0 check (monthly_cost >= 0),
    purchased_at timestamptz,
    expires_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint idx_phone_numbers_number unique (number)
);
create index idx_phone_numbers_user on phone_numbers (user_id, status);

create table call_rules (
    id bigserial primary key,
    phone_number_id bigint not null references phone_numbers on delete cascade,
    rule_type call_rule_type not null,
    is_active boolean not null default true,
    forward_to text,
    timeout_seconds integer check (timeout_seconds > 0),
    schedule jsonb,
    priority integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index call_rules_phone_number_idx on call_rules (phone_number_id, priority);

create table device_registrations (
    id bigserial primary key,
    user_id bigint not null references users on delete cascade,
    device_id text not null,
    device_type device_type not null,
    push_token text,
    sip_username text unique,
    sip_password text,
    is_active boolean not null default true,
    last_seen_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint device_registrations_user_device_key unique (user_id, device_id)
);
create index idx_device_registrations_user on device_registrations (user_id, is_active);

create table wallets (
    id bigserial primary key,
    user_id bigint not null unique references users on delete restrict,
    balance numeric(20,6) not null default 0,
    currency text not null default 'USD' references currencies (code) on update cascade,
    auto_recharge boolean not null default false,
    auto_recharge_amount numeric(20,6) check (auto_recharge_amount > 0),
    auto_recharge_threshold numeric(20,6),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),

    constraint wallets_auto_recharge_needs_amount
        check (not auto_recharge or auto_recharge_amount is not null)
);

create table transactions (
    id bigserial primary key,
    uuid uuid not null unique default gen_random_uuid(),
    user_id bigint not null references users on delete restrict,
    wallet_id bigint not null references wallets on delete restrict,
    type transaction_type not null,
    category transaction_category not null,
    amount numeric(20,6) not null check (amount >= 0),
    balance_after numeric(20,6) not null,
    reference_type text,
    reference_id bigint,
    description text,
    created_at timestamptz not null default now()
);
create index idx_transactions_user on transactions (user_id, created_at desc);
create index idx_transactions_wallet on transactions (wallet_id, created_at desc);
