-- 0015 Placeholder so that this branch's 0017 applies without a gap: 0015 is
-- another branch's migration (session 10). Delete this file when merging.
select 1;
