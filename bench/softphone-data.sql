-- bench/run-bench.py --softphone: applied (psql) after etc/demo-data.sql,
-- before the run. Millions of zero-hold calls must never be refused for
-- credit in either mode, so the demo user 1001's wallet (which pays the
-- user's calls once wallet debits are in, issue 18 items 3-4) and the demo
-- customer carrier's prepaid balance (which pays the trunk's calls, and the
-- user's calls until then) are funded far beyond what a run can spend.
-- Running it again resets both balances.
begin;

update wallets set balance = 1000000000.000000, updated_at = now()
where user_id = (select user_id from device_registrations where sip_username = '1001');

update carriers set customer_balance = 1000000000.000000, updated_at = now()
where code = 'DEMO-CUSTOMER';

commit;
