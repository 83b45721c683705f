-- Sign-in attempts counted in the database, so every web process sees the same count: a throttle
-- kept in one process's memory lets an attacker spread guesses over the processes.
CREATE TABLE rate_limit_hits (
  key text PRIMARY KEY,
  hits integer NOT NULL,
  reset_at timestamptz NOT NULL
);
CREATE INDEX rate_limit_hits_reset ON rate_limit_hits (reset_at);
