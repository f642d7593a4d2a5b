-- 0011 credit control: balance versions and change notifications, the
-- carriers' transaction ledger, alert state and alert events, and the holds
-- each switch node reports so that several nodes share one balance.
--
-- Design decisions
-- * The account rule (docs/credit.md). A carrier gives two accounts, its
--   customer side and its supplier side; a wallet gives one.
--     partner_type customer or supplier:
--       customer side: customer_balance; floor 0 when customer_credit_type is
--         prepaid, else -customer_credit_limit; limit customer_24hr_spend_limit;
--         the active carrier_credit_alerts with direction 'customer'.
--       supplier side: supplier_balance, debited by the cost of the calls the
--         carrier carries; floor 0 when supplier_credit_type is prepaid, none
--         when postpaid (a postpaid supplier is never stopped for money);
--         limit supplier_24hr_spend_limit; alerts with direction 'supplier'.
--     partner_type bilateral: both sides move bilateral_balance. The customer
--       side is debited, floor 0 when customer_credit_type is prepaid, else
--       -bilateral_credit_limit; the supplier side is credited (the cost raises
--       the balance: the switch owes it), no floor. Limits and alerts as above.
--     currency: currencies.code of primary_currency_id, 'USD' when it is NULL.
--     A wallet (wallets.id): wallets.balance, floor 0, wallets.currency, no
--       spend limit, no alerts.
--   A carrier row with a negative credit limit or 24-hour spend limit, a credit
--   type other than prepaid/postpaid or an unknown or inactive currency is
--   refused when the switch loads the accounts (the checks here prevent most
--   of that already; the switch checks again).
-- * balance_version (carriers, wallets) is raised by one by a BEFORE UPDATE
--   trigger whenever a balance column changes, whoever changes it, so a reader
--   never replaces a newer balance with an older one. After such a change an
--   AFTER UPDATE trigger sends NOTIFY didtron_balance with payload
--   'carrier:<uuid>' or 'wallet:<id>', delivered at commit: a top-up in the
--   portal reaches every switch at once (the switches also poll as a backstop).
--   The switch's own debits notify too, which is how other nodes see them.
--   These notifications ignore didtron.reload_notify (that setting only stops
--   the snapshot reload of 0007).
-- * A call's charges are applied in the transaction that inserts its calls
--   row, and only when that row is new (INSERT ... ON CONFLICT (uuid) DO
--   NOTHING RETURNING), so a replayed journal never moves a balance twice.
--   A balance moves only with the row that explains it:
--     wallets: a `transactions` row (seed 000), type debit (credit when the
--       charge raises the balance), category call, reference_type 'call',
--       reference_id = calls.id, and uuid = the call's uuid (unique, so one
--       wallet row per call);
--     carriers: a carrier_transactions row, the carriers' equivalent, with
--       side ('customer' | 'supplier': which account), balance_column (which
--       balance moved: 'customer' | 'supplier' | 'bilateral'), the charge's
--       currency, balance_after and call_uuid. Its uuid is gen_random_uuid();
--       the identity of a call's charge is (call_uuid, side), unique.
--   balance_after is the balance once the row was applied, in the order of the
--   records in the batch.
-- * customer_24hr_spend / supplier_24hr_spend are the sum of the carrier's
--   call rows of carrier_transactions on that side created in the last 24
--   hours, set when a batch charges the carrier and recomputed periodically by
--   the switch (so they also fall as rows age out).
-- * carrier_credit_alerts.triggered_at: NULL while the alert is armed; set when
--   it fires, cleared (re-armed) when its condition no longer holds, so an
--   alert fires once per crossing, not once per call, and across restarts and
--   nodes (`UPDATE ... WHERE triggered_at IS NULL` decides who fires it).
-- * credit_alert_events: one row per firing, carrying what the portal needs to
--   send it (type, direction, threshold, the value that crossed it, currency,
--   template_id, recipients) and which node fired it; an AFTER INSERT trigger
--   sends NOTIFY didtron_credit_alert with the row's id. alert_id is set NULL
--   if the alert is deleted; the event stays.
-- * credit_holds: per switch node and account, what the node holds that
--   PostgreSQL does not show yet (live reservations plus debits journalled but
--   not committed). Each node writes its own rows and reads the others' recent
--   ones (updated_at), so two nodes sharing one account overspend by at most
--   what they reserved since their last exchange. account_kind / owner_id are
--   the switch's account reference ('customer' | 'supplier' | 'wallet', the
--   carrier's uuid or the wallet's id as text).

alter table carriers add column balance_version bigint not null default 0;
alter table wallets add column balance_version bigint not null default 0;

create function didtron_raise_balance_version() returns trigger
language plpgsql as $$
begin
    new.balance_version := old.balance_version + 1;
    return new;
end;
$$;

create function didtron_notify_balance() returns trigger
language plpgsql as $$
begin
    perform pg_notify('didtron_balance', TG_ARGV[0] || ':' || new.id::text);
    return null;
end;
$$;

comment on function didtron_notify_balance() is
    'NOTIFY didtron_balance, payload = <kind>:<id> (carrier:<uuid>, wallet:<id>)';

create trigger carriers_balance_version before update on carriers for each row
    when (old.customer_balance is distinct from new.customer_balance
          or old.supplier_balance is distinct from new.supplier_balance
          or old.bilateral_balance is distinct from new.bilateral_balance)
    execute function didtron_raise_balance_version();

create trigger carriers_balance_notify after update on carriers for each row
    when (old.customer_balance is distinct from new.customer_balance
          or old.supplier_balance is distinct from new.supplier_balance
          or old.bilateral_balance is distinct from new.bilateral_balance)
    execute function didtron_notify_balance('carrier');

create trigger wallets_balance_version before update on wallets for each row
    when (old.balance is distinct from new.balance)
    execute function didtron_raise_balance_version();

create trigger wallets_balance_notify after update on wallets for each row
    when (old.balance is distinct from new.balance)
    execute function didtron_notify_balance('wallet');

create table carrier_transactions (
    id bigserial primary key,
    uuid uuid not null unique default gen_random_uuid(),
    carrier_id uuid not null references carriers on delete restrict,
    side text not null check (side in ('customer', 'supplier')),
    balance_column text not null check (balance_column in ('customer', 'supplier', 'bilateral')),
    type transaction_type not null,
    category transaction_category not null,
    amount numeric(20,6) not null check (amount >= 0),
    currency text not null,
    balance_after numeric(20,6) not null,
    call_uuid uuid,
    description text,
    created_at timestamptz not null default now(),

    constraint carrier_transactions_call_side_key unique (call_uuid, side)
);
create index carrier_transactions_carrier_side_created_idx
    on carrier_transactions (carrier_id, side, created_at);

alter table carrier_credit_alerts add column triggered_at timestamptz;

create table credit_alert_events (
    id bigserial primary key,
    alert_id uuid references carrier_credit_alerts on delete set null,
    carrier_id uuid not null,
    alert_type text,
    direction text,
    threshold numeric(20,6),
    value numeric(20,6),
    currency text,
    template_id text,
    recipients jsonb not null default '[]',
    node_id text,
    created_at timestamptz not null default now()
);

create function didtron_notify_credit_alert() returns trigger
language plpgsql as $$
begin
    perform pg_notify('didtron_credit_alert', new.id::text);
    return null;
end;
$$;

comment on function didtron_notify_credit_alert() is
    'NOTIFY didtron_credit_alert, payload = credit_alert_events.id';

create trigger credit_alert_events_notify after insert on credit_alert_events for each row
    execute function didtron_notify_credit_alert();

create table credit_holds (
    node_id text not null,
    account_kind text not null check (account_kind in ('customer', 'supplier', 'wallet')),
    owner_id text not null,
    held numeric(20,6) not null check (held >= 0),
    updated_at timestamptz not null default now(),
    primary key (node_id, account_kind, owner_id)
);
