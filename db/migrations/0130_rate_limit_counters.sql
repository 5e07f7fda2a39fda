-- Brute-force limit counters shared by every app process and node when
-- SOUK_RATELIMIT_STORAGE_URL=database (app/limits.py's PostgresStorage):
-- stateless app nodes without a Redis. UNLOGGED: no WAL, so counting costs
-- little and never reaches the replicas; a crash of the server empties the
-- table, which only forgives the attempts of the current window.
CREATE UNLOGGED TABLE rate_limit_counters (
    key text PRIMARY KEY,
    count integer NOT NULL,
    expires_at timestamptz NOT NULL
);
-- The occasional sweep of windows long over.
CREATE INDEX rate_limit_counters_expires_at ON rate_limit_counters (expires_at);
