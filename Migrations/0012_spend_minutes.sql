-- 0012 24-hour spend by the minute: the rolling window of 0011 without
-- summing a day of carrier_transactions on every batch.
--
-- Design decisions
-- * carrier_spend_minutes holds, per carrier, side ('customer' | 'supplier')
--   and minute (date_trunc('minute', created_at)), the sum of the call rows of
--   carrier_transactions created in that minute. A statement-level trigger on
--   carrier_transactions keeps it: every INSERT adds its call rows to their
--   minutes (INSERT ... ON CONFLICT DO UPDATE), in the same transaction, so a
--   minute is exactly the sum of its committed rows. Rows of carrier_transactions
--   that are later changed or deleted are not taken out again (the switch only
--   inserts; a correction is a new row).
-- * customer_24hr_spend / supplier_24hr_spend: the switch adds each batch's
--   charges to them in the UPDATE that moves the balances (no sum over the
--   window per batch, which at 1,000 calls/s meant summing up to 86 million
--   rows a batch), and every credit.spend_refresh_seconds recomputes them from
--   the minutes from date_trunc('minute', now() - 24 hours) on: at most 1,441
--   rows per carrier side. Between refreshes the figure is high, never low
--   (old spend leaves it at the refresh; new spend is in it at once); the
--   minute at the window's start counts whole, which also errs high.
-- * The refresh deletes minutes older than 25 hours.
-- * Existing rows: the minutes of the last 25 hours are filled from
--   carrier_transactions here.

create table carrier_spend_minutes (
    carrier_id uuid not null references carriers on delete cascade,
    side text not null check (side in ('customer', 'supplier')),
    minute timestamptz not null,
    amount numeric(20,6) not null check (amount >= 0),

    primary key (carrier_id, side, minute)
);

create function didtron_add_spend_minutes() returns trigger
language plpgsql as $$
begin
    insert into carrier_spend_minutes (carrier_id, side, minute, amount)
    select carrier_id, side, date_trunc('minute', created_at), sum(amount)
    from new_rows
    where category = 'call'
    group by 1, 2, 3
    order by 1, 2, 3
    on conflict (carrier_id, side, minute)
        do update set amount = carrier_spend_minutes.amount + excluded.amount;
    return null;
end;
$$;

create trigger carrier_transactions_spend_minutes
    after insert on carrier_transactions
    referencing new table as new_rows
    for each statement execute function didtron_add_spend_minutes();

insert into carrier_spend_minutes (carrier_id, side, minute, amount)
select carrier_id, side, date_trunc('minute', created_at), sum(amount)
from carrier_transactions
where category = 'call' and created_at > now() - interval '25 hours'
group by 1, 2, 3;
