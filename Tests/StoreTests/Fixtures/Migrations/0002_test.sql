-- A second step, so that "one migration missing" can be tested.
CREATE INDEX calls_started_at_idx ON calls (started_at);
