-- 0019 Placeholder so that this branch's 0021 applies without a gap: 0019 is
-- another branch's migration (session 10). Delete this file when merging.
select 1;
