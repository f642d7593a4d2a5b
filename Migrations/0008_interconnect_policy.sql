-- 0008 interconnect policy: the values of the settings columns that seed 001
-- names without listing them, the CPS limits of carrier services, and a burst
-- size for every CPS limit. docs/policy.md says what each value does on a
-- call; the switch checks every row again when it loads its snapshot (a
-- regular expression that does not compile, a rule list it cannot parse, a
-- release-cause mapping with a bad status), and a row it refuses fails the
-- reload with a log line naming the table and row, so the previous snapshot
-- stays in use.
--
-- Design decisions
-- * interconnect_validation_settings.tech_prefix: when not empty, it is the
--   tech prefix ingress calls must carry on this interconnect, instead of
--   carrier_interconnects.tech_prefix (one prefix is used for identification;
--   this one wins). Same alphabet as there.
-- * from_uri, contact_uri: regular expressions (the switch's syntax, see
--   docs/policy.md), searched in the URI as `sip:user@host[:port]`; NULL or ''
--   = no check. Not checked here: PostgreSQL's regex dialect is not the
--   switch's; the loader compiles them.
-- * trunk_group: `TGRP` or `TGRP;trunk-context=CONTEXT` (RFC 4904).
-- * test_system_control: 'allow' (default when NULL), 'block', 'only'.
-- * ADDITION max_cps_burst (validation settings and carrier_services): the
--   token bucket's size, i.e. how many calls may arrive at once after a quiet
--   spell; NULL = max_cps (one second's worth).
-- * ADDITION carrier_services.max_cps / max_cps_enabled: the same CPS limit
--   per carrier service (seed 001 has it only per interconnect).
-- * interconnect_translation_settings: origination_preference is a comma
--   list of 'from', 'pai', 'rpid' (first present wins; NULL = 'from');
--   origination_validation is 'none', 'reject', 'strip' or
--   'replace:<number>'; set_pai_header is 'keep', 'add', 'replace' or
--   'remove'; the three rule lists are text in the rule language of
--   docs/policy.md.
-- * interconnect_codecs.ptime: 10 to 120 ms; codec_name not empty.
-- * interconnect_media_settings: dtmf_detection 'rfc2833', 'sip_info',
--   'inband' or 'auto'; media_relay 'off', 'on' or 'auto'. Both inert until a
--   media relay is integrated (docs/policy.md).
-- * interconnect_signalling_settings: privacy_method 'none' (untrusted peer),
--   'pai' (trusted, RFC 3325) or 'rpid' (trusted, Remote-Party-ID);
--   session_timer_interval at least 90 s (RFC 4028 Min-SE); NULL with timers
--   enabled = 1800; release_cause_mapping a JSON object.

alter table interconnect_validation_settings
    add constraint interconnect_validation_settings_tech_prefix_check
        check (tech_prefix ~ '^[0-9#*]*$'),
    add constraint interconnect_validation_settings_test_system_control_check
        check (test_system_control in ('allow', 'block', 'only')),
    add column max_cps_burst integer
        constraint interconnect_validation_settings_max_cps_burst_check check (max_cps_burst > 0);

alter table carrier_services
    add column max_cps integer constraint carrier_services_max_cps_check check (max_cps > 0),
    add column max_cps_enabled boolean not null default false,
    add column max_cps_burst integer
        constraint carrier_services_max_cps_burst_check check (max_cps_burst > 0),
    add constraint carrier_services_cps_needs_max check (not max_cps_enabled or max_cps is not null);

alter table interconnect_translation_settings
    add constraint interconnect_translation_settings_origination_preference_check
        check (origination_preference ~ '^(from|pai|rpid)(,(from|pai|rpid))*$'),
    add constraint interconnect_translation_settings_origination_validation_check
        check (origination_validation ~ '^(none|reject|strip|replace:\+?[0-9]+)$'),
    add constraint interconnect_translation_settings_set_pai_header_check
        check (set_pai_header in ('keep', 'add', 'replace', 'remove'));

alter table interconnect_codecs
    add constraint interconnect_codecs_codec_name_check check (codec_name <> ''),
    drop constraint interconnect_codecs_ptime_check,
    add constraint interconnect_codecs_ptime_check check (ptime between 10 and 120);

alter table interconnect_media_settings
    add constraint interconnect_media_settings_dtmf_detection_check
        check (dtmf_detection in ('rfc2833', 'sip_info', 'inband', 'auto')),
    add constraint interconnect_media_settings_media_relay_check
        check (media_relay in ('off', 'on', 'auto'));

alter table interconnect_signalling_settings
    add constraint interconnect_signalling_settings_privacy_method_check
        check (privacy_method in ('none', 'pai', 'rpid')),
    drop constraint interconnect_signalling_settings_session_timer_interval_check,
    add constraint interconnect_signalling_settings_session_timer_interval_check
        check (session_timer_interval >= 90),
    add constraint interconnect_signalling_settings_release_cause_mapping_check
        check (jsonb_typeof(release_cause_mapping) = 'object');
