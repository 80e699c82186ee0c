-- 002_ledger_retention_and_purge.sql: ledger indexes that match its queries, payments that
-- outlive a deleted account (anonymised), and rate-limit rows that say when they may be purged.


-- ---------------------------------------------------------------------------------------------
-- Ledger indexes
-- ---------------------------------------------------------------------------------------------

-- Ledger.entries pages a user's history by id (user_id = $1 [AND id < $2] ORDER BY id DESC
-- LIMIT n). This index returns rows in that order, so a page reads n index entries instead of
-- sorting all of the user's rows. Its leading user_id also serves Ledger.sum and the cascade
-- when an account is deleted.
CREATE INDEX transactions_user_id_idx ON transactions (user_id, id DESC);
-- Nothing sorts the ledger by created_at; the index above replaces this one.
DROP INDEX transactions_user_created_idx;

-- Deleting a generation sets generation_id to NULL on its ledger rows (ON DELETE SET NULL). The
-- one-usage and one-refund indexes are partial on kind, so they cannot serve that lookup and it
-- scanned the whole ledger for every deleted image. Rows that never had a generation (payments,
-- grants, bonuses) are left out of the index.
CREATE INDEX transactions_generation_id_idx ON transactions (generation_id) WHERE generation_id IS NOT NULL;


-- ---------------------------------------------------------------------------------------------
-- Deleting an account keeps its payments, anonymised
-- ---------------------------------------------------------------------------------------------
-- Purchases and subscriptions are real money: bookkeeping, refunds and Stripe disputes need the
-- amount, date and Stripe event after the person is gone, but nothing may tie them to the person
-- any more. The foreign key still cascades, so every other row of a deleted account (bonus, usage,
-- refund, grant, revoke) goes with it; the append-only trigger below turns the cascade's DELETE
-- of a payment row into clearing its user_id. Done in that trigger rather than with ON DELETE
-- SET NULL plus a trigger on users, so the rule "a ledger row may only change once its account
-- is gone" needs no flag that other code could set.

ALTER TABLE transactions ALTER COLUMN user_id DROP NOT NULL;
-- Only a payment outlives its account; every other row always has one.
ALTER TABLE transactions ADD CONSTRAINT transactions_user_or_payment
    CHECK (user_id IS NOT NULL OR kind IN ('purchase', 'subscription'));
COMMENT ON COLUMN transactions.user_id IS
    'NULL only on a purchase or subscription kept, anonymised, after its account was deleted.';

-- A new row must change a live account's balance. Without the NOT FOUND check a row inserted with
-- user_id NULL would pass the foreign key and add money that no balance accounts for; anonymous
-- rows are made only by deleting an account.
CREATE OR REPLACE FUNCTION transactions_apply_to_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET credits = credits + NEW.amount, updated_at = now() WHERE id = NEW.user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a transactions row must belong to an existing user'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;

-- The ledger stays append-only. Besides inserts, only the database's own bookkeeping may touch a
-- row, and only in these ways:
--   * ON DELETE SET NULL of generation_id when an image is deleted;
--   * the cascade from a deleted account (its users row is already gone when this runs): a
--     payment row is kept with user_id set to NULL, any other row is deleted.
-- users.credits keeps equalling the sum of each user's rows: nothing here inserts, and rows only
-- change or go once their user no longer exists. Everything else, including edits and deletes of
-- anonymised rows, is refused.
CREATE OR REPLACE FUNCTION transactions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    account_gone boolean := OLD.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Compared as JSON so columns added by later migrations are covered automatically.
        IF to_jsonb(NEW) - '{generation_id,user_id}'::text[] = to_jsonb(OLD) - '{generation_id,user_id}'::text[]
           AND (NEW.generation_id IS NOT DISTINCT FROM OLD.generation_id OR NEW.generation_id IS NULL)
           AND (NEW.user_id IS NOT DISTINCT FROM OLD.user_id OR (NEW.user_id IS NULL AND account_gone))
           AND (NEW.generation_id, NEW.user_id) IS DISTINCT FROM (OLD.generation_id, OLD.user_id) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the credit ledger is append-only: transactions rows cannot be updated'
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Insert a correcting row (grant, revoke or refund) instead.';
    END IF;
    -- DELETE
    IF NOT account_gone THEN
        RAISE EXCEPTION 'the credit ledger is append-only: transactions rows cannot be deleted'
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Rows go only when their account is deleted, and payments stay even then.';
    END IF;
    IF OLD.kind IN ('purchase', 'subscription') THEN
        -- RETURN NULL skips this row's delete; the UPDATE comes back through the branch above.
        UPDATE transactions SET user_id = NULL WHERE id = OLD.id;
        RETURN NULL;
    END IF;
    RETURN OLD;
END
$$;

-- Row triggers do not see TRUNCATE, which would empty the ledger behind the balances' back.
CREATE FUNCTION transactions_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the credit ledger is append-only: transactions cannot be truncated'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER transactions_refuse_truncate
    BEFORE TRUNCATE ON transactions
    FOR EACH STATEMENT EXECUTE FUNCTION transactions_refuse_truncate();


-- ---------------------------------------------------------------------------------------------
-- Rate-limit windows know when they end
-- ---------------------------------------------------------------------------------------------
-- Housekeeping (run by `pictor worker`) deletes a counter once its window is over. Windows differ
-- in length (60 s for generations, accounts.login_window for logins), so the writer records the
-- end instead of the purge guessing it from the key. The default is the longest window the config
-- allows (one day): rows that exist now, and rows from a binary that does not set the column yet
-- (during a rolling deploy), are kept too long rather than purged while they still count.
ALTER TABLE rate_limits ADD COLUMN expires_at timestamptz NOT NULL DEFAULT now() + interval '1 day';
CREATE INDEX rate_limits_expires_at_idx ON rate_limits (expires_at);
-- Nothing deletes or looks up rows by window_start alone; the primary key covers (key, window_start).
DROP INDEX rate_limits_window_start_idx;
