-- +goose Up
-- User accounts: who may log in, with which roles, acting for which business.
CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    -- Stored lower-cased and trimmed, so one person has one account whatever
    -- the case they type.
    email         text        NOT NULL CONSTRAINT users_email_key UNIQUE
                              CONSTRAINT users_email_lower CHECK (email = lower(btrim(email)) AND email LIKE '%_@_%'),
    display_name  text        NOT NULL CHECK (btrim(display_name) <> ''),
    -- bcrypt ($2a$/$2b$); never the password itself.
    password_hash text        NOT NULL CHECK (password_hash LIKE '$2%'),
    roles         text[]      NOT NULL DEFAULT '{}'
                              CONSTRAINT users_roles_known CHECK (roles <@ ARRAY['business','licensing_officer','procurement_officer','finance','auditor','admin']::text[]),
    -- The business (its id in licensing's registry) the user acts for; NULL
    -- for officers and for a business user who has not registered one yet.
    org           uuid,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE users;
