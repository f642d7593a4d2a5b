-- 0019 Wallets pay for their users' calls, and ask for a recharge (issue 18
-- items 3, 4, 6).
--
-- Design decisions
-- * ADDITION wallets.credit_limit: how far below zero calls may take the
--   wallet's balance (seed 002's billing account credit limit; the seeds put
--   the balance of a user in its one wallet, so the limit sits beside it).
--   numeric(20,6), not null, default 0 = prepaid (calls stop at a balance of
--   0); a positive limit L lets calls take the balance down to -L. Negative
--   limits are refused by a check (and named by the loader,
--   `wallets row <id>`).
-- * The wallet a call charges is the one of the authenticated user
--   (wallets.user_id is unique, 0005). A user with no wallet row is refused
--   `402 No Wallet` (docs/softphones.md); a wallet whose currency is unknown
--   or inactive fails the load (docs/credit.md).
-- * Wallet events (item 6): the switch asks the portal to recharge (it
--   charges no card) and warns of a low balance, once per crossing, like
--   carrier credit alerts (0011):
--   - auto_recharge: a wallet with auto_recharge whose settled balance (the
--     stored one less this switch's journalled, uncommitted charges) drops
--     below auto_recharge_threshold;
--   - low_balance: ADDITION wallets.low_balance_threshold (numeric, NULL =
--     no warning): the settled balance drops below it.
--   ADDITION wallets.auto_recharge_requested_at / low_balance_notified_at
--   (timestamptz, NULL = armed): set when the event fires, back to NULL when
--   the balance is at or above the threshold again (a recharge re-arms it).
--   `UPDATE wallets SET <column> = now() WHERE id = .. AND <column> IS NULL`
--   decides who writes the event, so two switches firing the same crossing
--   write one row.
-- * ADDITION wallet_events: one row per firing (wallet, user, event_type
--   auto_recharge | low_balance, threshold, the balance that crossed it,
--   currency, auto_recharge_amount for a recharge, the switch's node id,
--   created_at); its insert trigger sends NOTIFY didtron_wallet_event with
--   the event's id as payload. Rows are kept (the portal may mark what it did
--   in processed_at).
-- * Reloads: a wallet created, deleted, moved to another user, or whose
--   currency, credit_limit or event settings (auto_recharge,
--   auto_recharge_threshold, low_balance_threshold) change notifies
--   didtron_reload (0007), so the switch loads its account and the user's
--   wallet. Balance changes do not reload: they are read by the credit sync
--   (0011's balance_version and NOTIFY didtron_balance).

alter table wallets
    add column credit_limit numeric(20,6) not null default 0
        constraint wallets_credit_limit_not_negative check (credit_limit >= 0),
    add column low_balance_threshold numeric(20,6),
    add column auto_recharge_requested_at timestamptz,
    add column low_balance_notified_at timestamptz;

create trigger wallets_notify_reload
    after insert or delete or truncate
        or update of user_id, currency, credit_limit, auto_recharge, auto_recharge_threshold,
                     low_balance_threshold
    on wallets
    for each statement execute function didtron_notify_reload();

create table wallet_events (
    id bigserial primary key,
    wallet_id bigint not null references wallets on delete cascade,
    user_id bigint not null references users on delete cascade,
    event_type text not null check (event_type in ('auto_recharge', 'low_balance')),
    threshold numeric(20,6) not null,
    balance numeric(20,6) not null,
    currency text not null,
    auto_recharge_amount numeric(20,6),
    node_id text not null,
    processed_at timestamptz,
    created_at timestamptz not null default now()
);
create index idx_wallet_events_wallet on wallet_events (wallet_id, created_at desc);

create function didtron_notify_wallet_event() returns trigger
language plpgsql as $$
begin
    perform pg_notify('didtron_wallet_event', new.id::text);
    return null;
end;
$$;

comment on function didtron_notify_wallet_event() is
    'NOTIFY didtron_wallet_event, payload = wallet_events.id';

create trigger wallet_events_notify after insert on wallet_events for each row
    execute function didtron_notify_wallet_event();
