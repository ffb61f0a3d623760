-- What an account's outbound calls may do and show. `country` (ISO 3166-1 alpha-2) says how
-- its people dial national numbers and, while `allowed_prefixes` is NULL, the only country
-- code that forwarded, transferred and outbound calls may reach. `allowed_prefixes` is a JSON
-- array of country prefixes (digits, no `+`); `max_outbound_legs` NULL means the server's
-- `[billing] max_outbound_legs`. `default_number_id` is the caller ID of outbound calls for
-- users who chose none (when it is assigned to them), the user's own choice coming first.

ALTER TABLE accounts ADD COLUMN country TEXT NOT NULL DEFAULT 'ES';
ALTER TABLE accounts ADD COLUMN allowed_prefixes TEXT;
ALTER TABLE accounts ADD COLUMN max_outbound_legs INTEGER;
ALTER TABLE accounts ADD COLUMN default_number_id TEXT REFERENCES numbers (id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN default_number_id TEXT REFERENCES numbers (id) ON DELETE SET NULL;
