-- 005_email_and_account_tokens.sql: mail as sent (an HTML alternative, a Message-ID kept across
-- retries), single-use links for password resets and address verification, and verified
-- addresses.


-- ---------------------------------------------------------------------------------------------
-- The outbox
-- ---------------------------------------------------------------------------------------------

ALTER TABLE email_outbox
    ADD COLUMN body_html text,
    -- Chosen when the mail is queued, so every retry sends the same message and a receiving
    -- server that got it once already can tell.
    ADD COLUMN message_id text;

-- 'logged': no SMTP server is configured; `pictor worker` wrote the mail to its log instead.
ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_status_valid;
ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_status_valid CHECK (status IN ('pending', 'sent', 'failed', 'logged'));

COMMENT ON COLUMN users.low_credit_notified_at IS
    'When the last low-credit email was queued: one per crossing of the balance below the threshold.';


-- ---------------------------------------------------------------------------------------------
-- Single-use links sent by email
-- ---------------------------------------------------------------------------------------------

CREATE TABLE account_tokens (
    -- SHA-256 of the random token in the link: a database leak hands out no working link.
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    -- Set when the link is used; a used link never works again.
    used_at     timestamptz,

    CONSTRAINT account_tokens_purpose_valid CHECK (purpose IN ('password_reset', 'email_verification')),
    CONSTRAINT account_tokens_token_hash_length CHECK (octet_length(token_hash) = 32)
);
CREATE INDEX account_tokens_user_id_idx ON account_tokens (user_id);
-- Housekeeping deletes expired links through this.
CREATE INDEX account_tokens_expires_at_idx ON account_tokens (expires_at);

-- When the owner proved the address is theirs by following the link sent at sign-up.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
-- Housekeeping deletes mail sent more than 30 days ago through this.
CREATE INDEX email_outbox_sent_at_idx ON email_outbox (sent_at) WHERE status IN ('sent', 'logged');
