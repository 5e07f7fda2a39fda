-- Web sessions live in PostgreSQL, so logging out ends a session on the
-- server and any app node can check any session. The signed cookie (and the
-- remember-me cookie) carry only a random token; a row here keeps its
-- SHA-256, so a leaked table cannot be replayed. Logging out deletes the
-- row; a password change or "log out everywhere" deletes a user's rows and
-- revokes their API tokens in the same transaction, which replaces the
-- session_epoch counter (a second mechanism for the same thing).
CREATE TABLE user_sessions (
    token_hash      bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
-- "A user's sessions": log out everywhere, password change, expired rows.
CREATE INDEX user_sessions_user ON user_sessions (user_id);

ALTER TABLE api_tokens DROP COLUMN session_epoch;
ALTER TABLE users DROP COLUMN session_epoch;
