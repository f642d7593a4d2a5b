-- PLACEHOLDER: another branch of session 11 owns migration 0022; dropped at merge.
select 1;
