-- 001_init.sql: Pictor's initial schema — accounts, sessions, API keys, generation jobs, the
-- credit ledger, Stripe events, rate-limit counters and the email outbox.
--
-- `pictor migrate` runs this file in one transaction together with its schema_migrations row.
-- Constraints are named so the application can tell which one a write broke
-- (PostgresError.constraint), e.g. users_email_key means "email already registered".
-- Money is protected here, not only in Swift: every balance change is a ledger row, and the
-- database keeps users.credits equal to the ledger's sum and never below zero.


-- ---------------------------------------------------------------------------------------------
-- Accounts
-- ---------------------------------------------------------------------------------------------

CREATE TABLE users (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored normalised so the unique constraint is case-insensitive without citext.
    email                   text NOT NULL,
    -- scrypt parameters, salt and hash in one self-describing string.
    password_hash           text NOT NULL,
    -- Plan names come from the config file, so they are not enumerated here.
    plan                    text NOT NULL DEFAULT 'free',
    -- A cache of sum(transactions.amount), maintained only by the ledger trigger below.
    credits                 integer NOT NULL DEFAULT 0,
    stripe_customer_id      text,
    stripe_subscription_id  text,
    -- Set when the low-credit email is queued, cleared when the balance climbs back above the
    -- threshold: one email per crossing.
    low_credit_notified_at  timestamptz,
    is_admin                boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_normalized CHECK (email = lower(email) AND email = btrim(email)),
    CONSTRAINT users_email_shape CHECK (char_length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
    CONSTRAINT users_credits_nonnegative CHECK (credits >= 0),
    CONSTRAINT users_plan_present CHECK (plan <> ''),
    CONSTRAINT users_stripe_customer_id_key UNIQUE (stripe_customer_id)
);

-- customer.subscription.deleted webhooks find the user by subscription; one subscription
-- belongs to one user.
CREATE UNIQUE INDEX users_stripe_subscription_id_key ON users (stripe_subscription_id)
    WHERE stripe_subscription_id IS NOT NULL;

CREATE TABLE sessions (
    -- SHA-256 of the cookie's random token: a database leak does not hand out live sessions.
    token_hash    bytea PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,

    CONSTRAINT sessions_token_hash_length CHECK (octet_length(token_hash) = 32),
    CONSTRAINT sessions_csrf_token_present CHECK (csrf_token <> '')
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
-- Housekeeping (run by `pictor worker`) deletes expired sessions through this, without a full scan.
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE api_keys (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL,
    -- The first characters of the key (`pk_ab12…`), shown so users can tell keys apart; the
    -- secret itself is shown once and only its SHA-256 is kept.
    prefix        text NOT NULL,
    key_hash      bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    -- Revoked keys stay listed (with the date) instead of vanishing from the account page.
    revoked_at    timestamptz,

    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_key_hash_length CHECK (octet_length(key_hash) = 32),
    CONSTRAINT api_keys_name_length CHECK (char_length(name) <= 100)
);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);


-- ---------------------------------------------------------------------------------------------
-- Generations: one row per image, and also the job queue `pictor worker` claims from.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE generations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- A request with count = N creates N rows sharing one batch id.
    batch_id         uuid NOT NULL,
    status           text NOT NULL DEFAULT 'queued',
    prompt           text NOT NULL,
    negative_prompt  text NOT NULL DEFAULT '',
    model            text NOT NULL,
    provider         text NOT NULL,
    width            integer NOT NULL,
    height           integer NOT NULL,
    seed             bigint NOT NULL,
    -- What this image was charged, so a refund returns exactly that even after prices change.
    credit_cost      integer NOT NULL,
    public           boolean NOT NULL DEFAULT false,
    favorite         boolean NOT NULL DEFAULT false,
    -- Storage keys (local path or S3 object key) of the image and its two thumbnails.
    image_key        text,
    thumb_key        text,
    thumb_large_key  text,
    content_type     text,
    -- Short, user-facing reason for a failure.
    error            text,
    -- Claims so far; a job whose worker keeps dying is failed (and refunded) after a few.
    attempts         integer NOT NULL DEFAULT 0,
    -- A running job whose lease has expired belongs to a dead worker and may be reclaimed.
    lease_expires_at timestamptz,
    claimed_by       text,
    -- Not written yet: meant for the job id of a provider that is polled (PixelAPI, not built
    -- yet), so that a reclaimed job could resume polling instead of paying for the image twice.
    provider_job_id  text,
    -- Idempotency-Key header and SHA-256 of the request body: the same key with the same body
    -- returns the same generation; with another body it is a conflict.
    idempotency_key  text,
    request_hash     bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    completed_at     timestamptz,
    -- 'simple' configuration: prompts are in any language, so no stemming or stop words.
    prompt_tsv       tsvector GENERATED ALWAYS AS (to_tsvector('simple', prompt)) STORED,

    CONSTRAINT generations_status_valid CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    CONSTRAINT generations_prompt_length CHECK (char_length(prompt) BETWEEN 1 AND 1000),
    CONSTRAINT generations_negative_prompt_length CHECK (char_length(negative_prompt) <= 1000),
    CONSTRAINT generations_size_positive CHECK (width > 0 AND height > 0),
    CONSTRAINT generations_seed_range CHECK (seed BETWEEN 0 AND 4294967295),
    CONSTRAINT generations_credit_cost_nonnegative CHECK (credit_cost >= 0),
    CONSTRAINT generations_attempts_nonnegative CHECK (attempts >= 0),
    -- A succeeded job always has an image to show, a failed one always says why.
    CONSTRAINT generations_succeeded_has_image CHECK (status <> 'succeeded' OR image_key IS NOT NULL),
    CONSTRAINT generations_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL)
);

-- Gallery pages: keyset pagination on (created_at, id), newest first.
CREATE INDEX generations_user_created_idx ON generations (user_id, created_at DESC, id DESC);
-- Gallery filtered by model.
CREATE INDEX generations_user_model_created_idx ON generations (user_id, model, created_at DESC, id DESC);
-- Gallery filtered to favorites.
CREATE INDEX generations_user_favorite_created_idx ON generations (user_id, created_at DESC, id DESC)
    WHERE favorite;
-- The queue: workers claim the oldest queued job with FOR UPDATE SKIP LOCKED.
CREATE INDEX generations_queued_idx ON generations (created_at) WHERE status = 'queued';
-- The claim in JobRunner takes running jobs whose lease expired (their worker died) first.
CREATE INDEX generations_running_lease_idx ON generations (lease_expires_at) WHERE status = 'running';
-- /explore: public, finished images, newest first.
CREATE INDEX generations_explore_idx ON generations (created_at DESC, id DESC)
    WHERE public AND status = 'succeeded';
-- Prompt search (?q=).
CREATE INDEX generations_prompt_tsv_idx ON generations USING gin (prompt_tsv);
-- Idempotency-Key is scoped to the user; rows without a key are not constrained.
CREATE UNIQUE INDEX generations_user_idempotency_key ON generations (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX generations_batch_id_idx ON generations (batch_id);


-- ---------------------------------------------------------------------------------------------
-- The credit ledger. Append-only; the one source of truth for balances.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE transactions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Positive adds credits, negative spends them.
    amount           integer NOT NULL,
    kind             text NOT NULL,
    -- Deleting an image from the gallery keeps its charge in the history, unlinked.
    generation_id    uuid REFERENCES generations (id) ON DELETE SET NULL,
    stripe_event_id  text,
    reason           text,
    created_at       timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT transactions_amount_nonzero CHECK (amount <> 0),
    CONSTRAINT transactions_kind_valid
        CHECK (kind IN ('bonus', 'usage', 'refund', 'purchase', 'subscription', 'grant', 'revoke')),
    -- A sign error is a money bug: usage and revoke take credits away, everything else adds.
    CONSTRAINT transactions_amount_sign
        CHECK (CASE WHEN kind IN ('usage', 'revoke') THEN amount < 0 ELSE amount > 0 END)
);

-- Meant for the account history, which pages by id instead; 002 replaces it (transactions_user_id_idx).
CREATE INDEX transactions_user_created_idx ON transactions (user_id, created_at DESC, id DESC);
-- A generation is charged at most once and refunded at most once, however often a worker
-- crashes, retries or races the worker that reclaimed its expired lease.
CREATE UNIQUE INDEX transactions_one_usage_per_generation ON transactions (generation_id)
    WHERE kind = 'usage';
CREATE UNIQUE INDEX transactions_one_refund_per_generation ON transactions (generation_id)
    WHERE kind = 'refund';
-- A Stripe event credits at most once, even if the stripe_events guard were bypassed.
CREATE UNIQUE INDEX transactions_stripe_event_id_key ON transactions (stripe_event_id)
    WHERE stripe_event_id IS NOT NULL;

-- Applying each ledger row to the balance inside the same statement makes the invariant
-- "users.credits = sum(transactions.amount)" hold by construction, whatever code path (app,
-- webhook, admin shell, psql) writes the row. An overdraft makes this UPDATE break
-- users_credits_nonnegative, which aborts the INSERT — and with it the caller's transaction —
-- so a debit and its generation are written together or not at all. The UPDATE also takes the
-- user's row lock, so concurrent debits queue up and each sees the balance the previous one left.
CREATE FUNCTION transactions_apply_to_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET credits = credits + NEW.amount, updated_at = now() WHERE id = NEW.user_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER transactions_apply_to_balance
    AFTER INSERT ON transactions
    FOR EACH ROW EXECUTE FUNCTION transactions_apply_to_balance();

-- The ledger is append-only: editing or deleting a row would silently break the balance
-- invariant and erase history. Corrections are new rows (grant, revoke, refund). Two changes
-- are the database's own bookkeeping and stay allowed:
--   * ON DELETE SET NULL of generation_id when an image is deleted (nothing else may change);
--   * the cascade that removes a deleted account's rows (its users row is already gone);
--     002 keeps the payment rows among them, anonymised.
CREATE FUNCTION transactions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Compared as JSON so columns added by later migrations are covered automatically.
        IF NEW.generation_id IS NULL
           AND to_jsonb(NEW) - 'generation_id' = to_jsonb(OLD) - 'generation_id' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the credit ledger is append-only: transactions rows cannot be updated'
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Insert a correcting row (grant, revoke or refund) instead.';
    END IF;
    -- DELETE
    IF EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id) THEN
        RAISE EXCEPTION 'the credit ledger is append-only: transactions rows cannot be deleted'
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Rows disappear only when their account is deleted.';
    END IF;
    RETURN OLD;
END
$$;

CREATE TRIGGER transactions_append_only
    BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION transactions_append_only();

-- The other half of the invariant: users.credits changes only through the ledger trigger.
-- A new account starts at 0 (the signup bonus is a ledger row), and an UPDATE that touches
-- credits directly is refused; the ledger trigger's own UPDATE runs one trigger level deeper,
-- which is how it is told apart. Also keeps updated_at current on every change.
CREATE FUNCTION users_guard_credits() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.credits <> 0 THEN
            RAISE EXCEPTION 'a new user starts with 0 credits; add credits with a transactions row'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.credits IS DISTINCT FROM OLD.credits AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'users.credits changes only through the transactions ledger'
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Insert a transactions row (grant, revoke, …) instead.';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER users_guard_credits
    BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_guard_credits();


-- ---------------------------------------------------------------------------------------------
-- Billing, rate limiting, email
-- ---------------------------------------------------------------------------------------------

CREATE TABLE stripe_events (
    -- The Stripe event id: a replayed webhook hits this primary key, so it changes nothing.
    id            text PRIMARY KEY,
    type          text NOT NULL,
    payload       jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz
);

-- Fixed-window counters shared by every process and host: INSERT … ON CONFLICT (key,
-- window_start) DO UPDATE SET count = count + 1 RETURNING count.
CREATE TABLE rate_limits (
    key           text NOT NULL,
    window_start  timestamptz NOT NULL,
    count         integer NOT NULL,
    PRIMARY KEY (key, window_start),
    CONSTRAINT rate_limits_count_positive CHECK (count > 0)
);
-- Nothing deletes by window_start; 002 replaces this with an index on the window's end (expires_at).
CREATE INDEX rate_limits_window_start_idx ON rate_limits (window_start);

-- Mail is queued in the same transaction as the change that causes it and sent later over SMTP,
-- so a slow mail server never blocks a request and a crash never loses a message.
CREATE TABLE email_outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- SET NULL, not CASCADE: a mail queued in the same transaction as an account deletion
    -- (its confirmation) must survive it. Account deletion purges the user's other mail.
    user_id       bigint REFERENCES users (id) ON DELETE SET NULL,
    to_address    text NOT NULL,
    subject       text NOT NULL,
    body_text     text NOT NULL,
    -- What the mail is about, e.g. 'low_credit'.
    kind          text NOT NULL,
    status        text NOT NULL DEFAULT 'pending',
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    -- Retries back off by pushing this forward.
    send_after    timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,

    CONSTRAINT email_outbox_status_valid CHECK (status IN ('pending', 'sent', 'failed')),
    CONSTRAINT email_outbox_attempts_nonnegative CHECK (attempts >= 0)
);
-- The sender picks due, pending mail.
CREATE INDEX email_outbox_pending_idx ON email_outbox (send_after) WHERE status = 'pending';
