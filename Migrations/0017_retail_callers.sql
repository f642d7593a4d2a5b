-- 0017 Softphone users as callers: which ingress service routes and rates
-- their calls, and reloads when a user's numbers or carrier change.
--
-- Design decisions (docs/softphones.md)
-- * A user's call runs through the same call pipeline as a carrier's. The
--   retail platform is a customer carrier (users.carrier_id, seed 000), and
--   the ingress carrier service of that carrier names the routing plan and
--   the rating plan of its users' calls; so routing, LCR, margin, carrier
--   assignments, CPS and capacity limits, supplier costs, credit and the
--   record's charges apply exactly as for that carrier's trunk calls. The
--   service is picked as identification picks one for an interconnect:
--   status active or testing, the lowest priority number, then the lowest id.
-- * ADDITION users.carrier_service_id: an ingress carrier service that routes
--   and rates this user's calls in place of its carrier's (another plan for
--   one user). It must be an ingress service; one that is not, or whose
--   carrier is paused or disabled, makes the user's calls get 403 with a
--   reason phrase naming it. A user with neither column set cannot call out
--   (403 "User Has No Carrier"); on-net calls need no service.
-- * The number presented as caller id is the user's active phone_numbers row
--   with is_primary, else its active row with the lowest id, else none (the
--   call leaves anonymous); calls.phone_number_id names it.
-- * Reloads: the snapshot holds users with digest credentials, their devices
--   and their active numbers, so a change of a user's carrier_id or
--   carrier_service_id, and any change of phone_numbers' number, owner,
--   status or is_primary, notifies didtron_reload (0007). users_notify_reload
--   (0013) is recreated with the two new columns.

alter table users
    add column carrier_service_id uuid references carrier_services on delete set null;

drop trigger users_notify_reload on users;
create trigger users_notify_reload
    after delete or truncate or update of status, carrier_id, carrier_service_id
    on users
    for each statement execute function didtron_notify_reload();

create trigger phone_numbers_notify_reload
    after insert or delete or truncate or update of number, user_id, status, is_primary
    on phone_numbers
    for each statement execute function didtron_notify_reload();
