-- 007_sign_in_with_providers.sql: signing in with Google and GitHub (OAuth 2.0 with PKCE). An
-- account may now have no password (made by a provider sign-in), one or more linked provider
-- identities, and sign-ins under way wait in oauth_attempts between the redirect to the provider
-- and its answer.


-- ---------------------------------------------------------------------------------------------
-- Accounts without a password
-- ---------------------------------------------------------------------------------------------

-- NULL: the account was made by signing in with a provider and has never set a password; only
-- its providers (or a password reset link, which sets one) sign it in.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;


-- ---------------------------------------------------------------------------------------------
-- Linked provider identities
-- ---------------------------------------------------------------------------------------------

CREATE TABLE user_identities (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 'google' or 'github'.
    provider    text NOT NULL,
    -- The provider's stable id of the person: Google's `sub`, GitHub's numeric user id. Email
    -- addresses change; this does not.
    subject     text NOT NULL,
    -- The verified address the provider gave at the last sign-in (shown on /account).
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),

    -- One provider account signs into one Pictor account.
    CONSTRAINT user_identities_provider_subject_key UNIQUE (provider, subject),
    CONSTRAINT user_identities_provider_valid CHECK (provider IN ('google', 'github')),
    CONSTRAINT user_identities_subject_present CHECK (subject <> '' AND char_length(subject) <= 255)
);
CREATE INDEX user_identities_user_id_idx ON user_identities (user_id);


-- ---------------------------------------------------------------------------------------------
-- Sign-ins under way
-- ---------------------------------------------------------------------------------------------

CREATE TABLE oauth_attempts (
    -- SHA-256 of the `state` sent to the provider; the browser holds the state itself in a
    -- short-lived HttpOnly cookie, so an answer only counts in the browser that asked.
    state_hash    bytea PRIMARY KEY,
    provider      text NOT NULL,
    -- The PKCE secret: only its SHA-256 (the challenge) went to the provider, and only Pictor's
    -- token request proves it, so a stolen code is useless to anyone else.
    code_verifier text NOT NULL,
    -- Where to go once signed in (a local path).
    next_path     text,
    -- Set when a signed-in user connects a provider from /account: the identity joins this
    -- account instead of signing in.
    link_user_id  bigint REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,

    CONSTRAINT oauth_attempts_state_hash_length CHECK (octet_length(state_hash) = 32),
    CONSTRAINT oauth_attempts_provider_valid CHECK (provider IN ('google', 'github'))
);
-- Housekeeping deletes attempts never finished through this.
CREATE INDEX oauth_attempts_expires_at_idx ON oauth_attempts (expires_at);
