-- 0013 Digest credentials of softphones: the registrar's reference data.
--
-- Design decisions
-- * The registrar (docs/registrar.md) authenticates a REGISTER with RFC 3261
--   §22 digest against device_registrations: sip_username is the digest
--   username and the user part of the address of record it may register
--   (sip:<sip_username>@<registrar domain>), sip_password the password, in
--   clear text as seed 000 defines it (a digest verifier needs the password
--   or H(username:realm:password) per realm and algorithm; keeping the seed's
--   column means one row serves every domain and both MD5 and SHA-256).
-- * A device counts when it is active, has both columns, and its user's
--   status is 'active'. The switch loads them with the snapshot, so a change
--   takes effect at the next reload.
-- * Reloads: statement triggers NOTIFY didtron_reload (0007) when a device's
--   credentials or state change, and when a user's status changes or a user
--   is deleted. last_seen_at, push_token and the users' other columns change
--   often (logins, pushes) and do not reload the snapshot.
-- * sip_username may not be empty or hold characters a digest username
--   cannot carry unquoted-escaped in a SIP URI user part (space, '@', ':',
--   '"', '\', control characters): checked here.

alter table device_registrations
    add constraint device_registrations_sip_username_check
    check (sip_username is null or sip_username ~ '^[^][:space:][:cntrl:]@:"\\]+$');

create index idx_device_registrations_sip_credentials
    on device_registrations (sip_username)
    where is_active and sip_username is not null and sip_password is not null;

create trigger device_registrations_notify_reload
    after insert or delete or truncate
        or update of sip_username, sip_password, is_active, user_id
    on device_registrations
    for each statement execute function didtron_notify_reload();

create trigger users_notify_reload
    after delete or truncate or update of status
    on users
    for each statement execute function didtron_notify_reload();
