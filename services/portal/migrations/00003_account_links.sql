-- +goose Up
-- Sign-up: a phone number, and whether the email was shown to be the
-- person's (by a link sent to it).
ALTER TABLE users
    ADD COLUMN phone text CONSTRAINT users_phone_e164 CHECK (phone ~ '^\+62[1-9][0-9]{7,12}$'),
    ADD COLUMN email_verified_at timestamptz;
-- Accounts made before sign-up existed were made by operators (the demo
-- seeding), who vouch for their addresses.
UPDATE users SET email_verified_at = created_at;

-- The links sent by mail: verify an email, reset a password. Each is used
-- once, expires, and is stored as the SHA-256 of its secret only.
CREATE TABLE account_links (
    token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
    -- Set when the link is used, or when a newer link of the same purpose
    -- replaces it: a link works once, and only the latest one works.
    used_at    timestamptz
);
CREATE INDEX account_links_open ON account_links (user_id, purpose) WHERE used_at IS NULL;

-- +goose Down
DROP TABLE account_links;
ALTER TABLE users DROP COLUMN email_verified_at, DROP COLUMN phone;
