-- PLACEHOLDER: another branch of session 11 owns migration 0023; dropped at merge.
select 1;
