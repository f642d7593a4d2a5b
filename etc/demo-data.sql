-- Demo data: one customer calling through the switch to one supplier with two
-- trunks, all on 127.0.0.1 (SIPp UAC -> switch -> SIPp UAS on 5080 / 5082).
--
--   psql "$(scripts/pg-local url DIR PORT)" -v ON_ERROR_STOP=1 -f etc/demo-data.sql
--
-- Idempotent: rows with fixed ids are upserted (ON CONFLICT (id) DO UPDATE, so
-- running it again also puts edited demo rows back), and the demo routing plan
-- entries and rates are deleted and inserted again. One transaction, so the
-- switch sees one reload (NOTIFY didtron_reload) when it commits.
--
-- Fixed ids (tests may refer to them):
--   00000000-0000-4000-8000-000000000001  carrier DEMO-CUSTOMER (customer, prepaid, balance 100 USD)
--   00000000-0000-4000-8000-000000000002  carrier DEMO-SUPPLIER (supplier, postpaid)
--   00000000-0000-4000-8000-000000000011  interconnect I1: DEMO-CUSTOMER ingress, udp
--   00000000-0000-4000-8000-000000000012  interconnect I2: DEMO-SUPPLIER egress 127.0.0.1:5080 udp
--   00000000-0000-4000-8000-000000000013  interconnect I3: DEMO-SUPPLIER egress 127.0.0.1:5082 udp
--   00000000-0000-4000-8000-000000000021  I1's address: 127.0.0.1, any port, transport
--   00000000-0000-4000-8000-000000000031  service S1: I1 ingress -> routing plan DEMO, rating plan P1
--   00000000-0000-4000-8000-000000000032  service S2: I2 egress (5080), rating plan P2
--   00000000-0000-4000-8000-000000000033  service S3: I3 egress (5082), rating plan P2
--   00000000-0000-4000-8000-000000000041  routing plan DEMO
--   00000000-0000-4000-8000-000000000051  rating plan P1 (customer prices)
--   00000000-0000-4000-8000-000000000052  rating plan P2 (supplier costs)
--
-- Routing plan DEMO (route_order 'priority'):
--                      prefix '1'  -> S2 (priority 1), S3 (priority 2)
--                      prefix '44' -> S3
--                      prefix ''   -> S2 (default route)
-- Rates (USD/minute):  P1: '1' 0.010, '44' 0.020 (30 s then 6 s), '' 0.050
--                      P2: '1' 0.005, '44' 0.012 (30 s then 6 s), '' 0.030
--
-- A softphone user (docs/softphones.md), routed and rated like the demo
-- customer (users.carrier_id = DEMO-CUSTOMER, so its ingress service S1):
--   users id 1001 (active), device_registrations sip_username '1001',
--   sip_password 'demo1001', a USD wallet of 10.00, phone number
--   15550001001 (primary: the caller id suppliers see). scripts/run-switch
--   makes demo.didtron.test the registrar domain, MD5 challenged first.
--   The demo customer's trunk is 127.0.0.1 (any port): a softphone must
--   call from another address (e.g. 127.0.0.2) to be taken for a user.
--   A call from the demo customer's trunk to 15550001001 rings 1001's
--   registered devices (docs/dids.md). call_rules id 1001: 15550001001
--   forwards to 15551234 when no device answers in 10 s
--   (forward_no_answer), inserted DISABLED: switch it on with
--     update call_rules set is_active = true where id = 1001;

begin;

insert into currencies (code, name, symbol, minor_units)
values ('USD', 'US Dollar', '$', 2)
on conflict (code) do nothing;

insert into customer_rating_plans (id, short_code, name, currency, initial_interval, recurring_interval)
values
    ('00000000-0000-4000-8000-000000000051', 'P1', 'Demo customer prices', 'USD', 1, 1),
    ('00000000-0000-4000-8000-000000000052', 'P2', 'Demo supplier costs', 'USD', 1, 1)
on conflict (id) do update set
    short_code = excluded.short_code, name = excluded.name, currency = excluded.currency,
    initial_interval = excluded.initial_interval,
    recurring_interval = excluded.recurring_interval, time_zone = null, margin_enforcement = null,
    min_margin = null, period_exception_template = null, updated_at = now();

delete from rating_plan_rates
where rating_plan_id in ('00000000-0000-4000-8000-000000000051',
                         '00000000-0000-4000-8000-000000000052');
insert into rating_plan_rates
    (rating_plan_id, prefix, destination_name, rate_per_minute, initial_interval, recurring_interval)
values
    ('00000000-0000-4000-8000-000000000051', '1', 'North America', 0.010000, null, null),
    ('00000000-0000-4000-8000-000000000051', '44', 'United Kingdom', 0.020000, 30, 6),
    ('00000000-0000-4000-8000-000000000051', '', 'Rest of world', 0.050000, null, null),
    ('00000000-0000-4000-8000-000000000052', '1', 'North America', 0.005000, null, null),
    ('00000000-0000-4000-8000-000000000052', '44', 'United Kingdom', 0.012000, 30, 6),
    ('00000000-0000-4000-8000-000000000052', '', 'Rest of world', 0.030000, null, null);

insert into routing_plans (id, code, name)
values ('00000000-0000-4000-8000-000000000041', 'DEMO', 'Demo routing plan')
on conflict (id) do update set
    code = excluded.code, name = excluded.name, failover_codes = '{}', route_order = 'priority',
    updated_at = now();

insert into carriers
    (id, code, name, partner_type, status, primary_currency_id,
     customer_credit_type, customer_credit_limit, customer_balance)
values
    ('00000000-0000-4000-8000-000000000001', 'DEMO-CUSTOMER', 'Demo customer', 'customer', 'active',
     (select id from currencies where code = 'USD'), 'prepaid', 0, 100.000000),
    ('00000000-0000-4000-8000-000000000002', 'DEMO-SUPPLIER', 'Demo supplier', 'supplier', 'active',
     (select id from currencies where code = 'USD'), 'prepaid', 0, 0)
on conflict (id) do update set
    code = excluded.code, name = excluded.name, partner_type = excluded.partner_type,
    status = excluded.status, primary_currency_id = excluded.primary_currency_id,
    customer_credit_type = excluded.customer_credit_type,
    customer_credit_limit = excluded.customer_credit_limit,
    customer_balance = excluded.customer_balance,
    supplier_credit_type = 'postpaid', capacity_mode = 'unrestricted', capacity_limit = null,
    circular_routing = false, customer_category_id = null, customer_group_id = null, updated_at = now();

insert into carrier_interconnects
    (id, short_code, carrier_id, name, direction, currency_code, tech_prefix,
     ip_address, sip_port, transport)
values
    ('00000000-0000-4000-8000-000000000011', 'I1', '00000000-0000-4000-8000-000000000001',
     'Demo customer trunk', 'ingress', 'USD', '', null, 5060, 'udp'),
    ('00000000-0000-4000-8000-000000000012', 'I2', '00000000-0000-4000-8000-000000000002',
     'Demo supplier trunk A', 'egress', 'USD', '', '127.0.0.1', 5080, 'udp'),
    ('00000000-0000-4000-8000-000000000013', 'I3', '00000000-0000-4000-8000-000000000002',
     'Demo supplier trunk B', 'egress', 'USD', '', '127.0.0.1', 5082, 'udp')
on conflict (id) do update set
    short_code = excluded.short_code, carrier_id = excluded.carrier_id, name = excluded.name,
    direction = excluded.direction, currency_code = excluded.currency_code,
    tech_prefix = excluded.tech_prefix, ip_address = excluded.ip_address,
    sip_port = excluded.sip_port, transport = excluded.transport, is_active = true,
    protocol = 'SIP', capacity_mode = 'unrestricted', capacity_limit = null, updated_at = now();

insert into interconnect_ip_addresses (id, interconnect_id, ip_address, sip_port, address_type)
values ('00000000-0000-4000-8000-000000000021', '00000000-0000-4000-8000-000000000011',
        '127.0.0.1', null, 'transport')
on conflict (id) do update set
    interconnect_id = excluded.interconnect_id, ip_address = excluded.ip_address,
    sip_port = excluded.sip_port, address_type = excluded.address_type,
    is_range = false, range_end = null, is_active = true, updated_at = now();

insert into carrier_services
    (id, short_code, carrier_id, interconnect_id, name, direction,
     rating_plan_id, routing_plan_id, tech_prefix)
values
    ('00000000-0000-4000-8000-000000000031', 'S1', '00000000-0000-4000-8000-000000000001',
     '00000000-0000-4000-8000-000000000011', 'Demo customer service', 'ingress',
     '00000000-0000-4000-8000-000000000051', '00000000-0000-4000-8000-000000000041', ''),
    ('00000000-0000-4000-8000-000000000032', 'S2', '00000000-0000-4000-8000-000000000002',
     '00000000-0000-4000-8000-000000000012', 'Demo supplier service A (5080)', 'egress',
     '00000000-0000-4000-8000-000000000052', null, ''),
    ('00000000-0000-4000-8000-000000000033', 'S3', '00000000-0000-4000-8000-000000000002',
     '00000000-0000-4000-8000-000000000013', 'Demo supplier service B (5082)', 'egress',
     '00000000-0000-4000-8000-000000000052', null, '')
on conflict (id) do update set
    short_code = excluded.short_code, carrier_id = excluded.carrier_id,
    interconnect_id = excluded.interconnect_id, name = excluded.name,
    direction = excluded.direction, rating_plan_id = excluded.rating_plan_id,
    routing_plan_id = excluded.routing_plan_id, tech_prefix = excluded.tech_prefix,
    status = 'active', priority = 1, weight = 1, capacity_mode = 'unrestricted',
    capacity_limit = null, enforcement_policy = null, updated_at = now();

-- Entries and their routes are deleted (cascade) and inserted again.
delete from routing_plan_entries where routing_plan_id = '00000000-0000-4000-8000-000000000041';
with entries as (
    insert into routing_plan_entries (routing_plan_id, prefix)
    values ('00000000-0000-4000-8000-000000000041', '1'),
           ('00000000-0000-4000-8000-000000000041', '44'),
           ('00000000-0000-4000-8000-000000000041', '')
    returning id, prefix
)
insert into routing_plan_entry_services (routing_plan_entry_id, carrier_service_id, priority, weight)
select entries.id, routes.service_id::uuid, routes.priority, 1
from entries
join (values ('1', '00000000-0000-4000-8000-000000000032', 1),
             ('1', '00000000-0000-4000-8000-000000000033', 2),
             ('44', '00000000-0000-4000-8000-000000000033', 1),
             ('', '00000000-0000-4000-8000-000000000032', 1))
     as routes (prefix, service_id, priority) using (prefix);

insert into users (id, email, first_name, status, email_verified, carrier_id)
values (1001, 'demo1001@demo.didtron.test', 'Demo softphone', 'active', true,
        '00000000-0000-4000-8000-000000000001')
on conflict (id) do update set
    email = excluded.email, first_name = excluded.first_name, status = excluded.status,
    carrier_id = excluded.carrier_id, carrier_service_id = null, updated_at = now();
do $$ begin perform setval(pg_get_serial_sequence('users', 'id'), greatest(1001, (select max(id) from users))); end $$;

insert into device_registrations (user_id, device_id, device_type, sip_username, sip_password, is_active)
values (1001, 'demo-softphone', 'web', '1001', 'demo1001', true)
on conflict on constraint device_registrations_user_device_key do update set
    sip_username = excluded.sip_username, sip_password = excluded.sip_password, is_active = true,
    updated_at = now();

insert into wallets (user_id, balance, currency)
values (1001, 10.000000, 'USD')
on conflict (user_id) do update set balance = excluded.balance, currency = excluded.currency,
    updated_at = now();

insert into phone_numbers (user_id, number, country_code, status, is_primary)
values (1001, '15550001001', '1', 'active', true)
on conflict on constraint idx_phone_numbers_number do update set
    user_id = excluded.user_id, status = excluded.status, is_primary = excluded.is_primary,
    updated_at = now();

insert into call_rules (id, phone_number_id, rule_type, is_active, forward_to, timeout_seconds, priority)
select 1001, id, 'forward_no_answer', false, '15551234', 10, 1 from phone_numbers where number = '15550001001'
on conflict (id) do update set
    phone_number_id = excluded.phone_number_id, rule_type = excluded.rule_type, is_active = false,
    forward_to = excluded.forward_to, timeout_seconds = excluded.timeout_seconds, schedule = null,
    priority = excluded.priority, updated_at = now();
do $$ begin perform setval(pg_get_serial_sequence('call_rules', 'id'), greatest(1001, (select max(id) from call_rules))); end $$;

commit;
