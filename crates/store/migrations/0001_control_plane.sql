-- The control plane: accounts, users, tokens, numbers and their settings, audio, IVRs, and the
-- call history that later layers fill in. Instants are integer milliseconds since the Unix
-- epoch (UTC); ids are canonical UUID text. Documents that the domain crate validates (number
-- settings, IVRs, call events) are stored as JSON text and read back through the same rules.

CREATE TABLE operator (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    token_hash  TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    email             TEXT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    password_hash     TEXT NOT NULL,
    sip_username      TEXT NOT NULL UNIQUE,
    sip_ha1_md5       TEXT NOT NULL,
    sip_ha1_sha256    TEXT NOT NULL,
    online_switch     INTEGER NOT NULL DEFAULT 0,
    last_answered_ms  INTEGER,
    created_ms        INTEGER NOT NULL,
    UNIQUE (account_id, email)
);
CREATE INDEX users_by_account ON users (account_id, created_ms, id);
CREATE INDEX users_by_email ON users (email);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    label       TEXT,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE audio (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    size_bytes   INTEGER NOT NULL,
    created_ms   INTEGER NOT NULL
);
CREATE INDEX audio_by_account ON audio (account_id, created_ms);

CREATE TABLE ivrs (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    document    TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX ivrs_by_account ON ivrs (account_id, created_ms);

-- `settings` is the number settings document without `assigned_user_ids`, which lives in
-- `number_users` so that "numbers of this user" is a plain indexed query.
CREATE TABLE numbers (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    e164        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    settings    TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX numbers_by_account ON numbers (account_id, created_ms);

CREATE TABLE number_users (
    number_id  TEXT NOT NULL REFERENCES numbers (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (number_id, user_id)
);
CREATE INDEX number_users_by_user ON number_users (user_id);

CREATE TABLE calls (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    number_id      TEXT REFERENCES numbers (id) ON DELETE SET NULL,
    user_id        TEXT REFERENCES users (id) ON DELETE SET NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    from_party     TEXT NOT NULL,
    to_party       TEXT NOT NULL,
    status         TEXT NOT NULL,
    started_ms     INTEGER NOT NULL,
    answered_ms    INTEGER,
    ended_ms       INTEGER,
    answered_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    recording_id   TEXT,
    voicemail_id   TEXT,
    cost_amount    TEXT,
    cost_currency  TEXT
);
CREATE INDEX calls_by_account ON calls (account_id, started_ms DESC, id);
CREATE INDEX calls_by_number ON calls (number_id, started_ms DESC);
CREATE INDEX calls_in_progress ON calls (status) WHERE status = 'in_progress';

CREATE TABLE call_events (
    call_id  TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    event    TEXT NOT NULL,
    PRIMARY KEY (call_id, seq)
);

-- `file` is relative to the data directory.
CREATE TABLE recordings (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    call_id      TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    file         TEXT NOT NULL,
    channels     INTEGER NOT NULL,
    duration_ms  INTEGER,
    created_ms   INTEGER NOT NULL
);
CREATE INDEX recordings_by_call ON recordings (call_id);

CREATE TABLE voicemails (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    call_id      TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    number_id    TEXT REFERENCES numbers (id) ON DELETE SET NULL,
    from_party   TEXT NOT NULL,
    file         TEXT NOT NULL,
    duration_ms  INTEGER,
    created_ms   INTEGER NOT NULL
);
CREATE INDEX voicemails_by_account ON voicemails (account_id, created_ms DESC);

CREATE TABLE voicemail_reads (
    voicemail_id  TEXT NOT NULL REFERENCES voicemails (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_ms       INTEGER NOT NULL,
    PRIMARY KEY (voicemail_id, user_id)
);
