-- SIP registrations of users' devices, persisted so that a restart does not take every agent
-- offline. The registrar keeps the live copy in memory and writes changes here in batches.

CREATE TABLE registrations (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The Contact URI as the device registered it.
    contact      TEXT NOT NULL,
    -- Where requests to the device are sent: the source of the REGISTER (NAT-safe).
    transport    TEXT NOT NULL CHECK (transport IN ('udp', 'tcp')),
    source       TEXT NOT NULL,
    call_id      TEXT NOT NULL,
    cseq         INTEGER NOT NULL,
    user_agent   TEXT,
    expires_ms   INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL,
    PRIMARY KEY (user_id, contact)
);
CREATE INDEX registrations_by_expiry ON registrations (expires_ms);
