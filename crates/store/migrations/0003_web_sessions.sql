-- Sessions of the web UI. The cookie holds a random 256-bit secret; only its SHA-256 is kept
-- here, so a copy of the database does not let anyone sign in. A session ends when it has not
-- been used for the idle timeout, at its absolute expiry, or when its user signs out.

CREATE TABLE web_sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms    INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_ms);
