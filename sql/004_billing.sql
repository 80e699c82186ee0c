-- 004_billing.sql: Stripe payments in the ledger (each paid-for thing credits once), what a
-- Stripe event did, and the Free plan's monthly credits.


-- ---------------------------------------------------------------------------------------------
-- Stripe ids on ledger rows
-- ---------------------------------------------------------------------------------------------
-- A Checkout Session credits once and an invoice credits once, whichever event brings them and
-- however often Stripe delivers it: checkout.session.completed and the first invoice.paid name
-- the same invoice, and Stripe sends both invoice.paid and invoice.payment_succeeded for every
-- paid invoice. The ledger inserts with ON CONFLICT DO NOTHING against these indexes.

ALTER TABLE transactions
    ADD COLUMN stripe_checkout_session_id text,
    ADD COLUMN stripe_invoice_id text,
    ADD COLUMN stripe_subscription_id text;

COMMENT ON COLUMN transactions.stripe_checkout_session_id IS
    'The Checkout Session (cs_…) that paid for a pack or a plan''s first month.';
COMMENT ON COLUMN transactions.stripe_invoice_id IS
    'The invoice (in_…) that paid for a plan''s month: the first one (with its Checkout Session) or a renewal.';
COMMENT ON COLUMN transactions.stripe_subscription_id IS
    'The subscription (sub_…) a plan''s monthly credits belong to.';

CREATE UNIQUE INDEX transactions_stripe_checkout_session_key ON transactions (stripe_checkout_session_id)
    WHERE stripe_checkout_session_id IS NOT NULL;
CREATE UNIQUE INDEX transactions_stripe_invoice_key ON transactions (stripe_invoice_id)
    WHERE stripe_invoice_id IS NOT NULL;


-- ---------------------------------------------------------------------------------------------
-- What each Stripe event did
-- ---------------------------------------------------------------------------------------------
-- Written in the transaction that applied the event, so support can answer "where are my
-- credits?" from the table: e.g. 'credited 500 to user 12', 'ignored: type not handled'.

ALTER TABLE stripe_events ADD COLUMN outcome text;


-- ---------------------------------------------------------------------------------------------
-- The Free plan's monthly credits
-- ---------------------------------------------------------------------------------------------
-- `pictor worker` tops Free users back up to the plan's monthly credits once a calendar month
-- (UTC). An 'allowance' row records each top-up; like a bonus it is not money, so it goes with
-- a deleted account.

ALTER TABLE transactions DROP CONSTRAINT transactions_kind_valid;
ALTER TABLE transactions ADD CONSTRAINT transactions_kind_valid
    CHECK (kind IN ('bonus', 'usage', 'refund', 'purchase', 'subscription', 'grant', 'revoke', 'allowance'));

-- The first day of the last month whose Free credits the user has had. A new account's sign-up
-- bonus stands for its first month; accounts older than this column get theirs on the next run.
ALTER TABLE users ADD COLUMN free_credits_month date;
ALTER TABLE users ALTER COLUMN free_credits_month SET DEFAULT (date_trunc('month', now() AT TIME ZONE 'UTC'))::date;
-- The refill looks for Free users not yet served this month.
CREATE INDEX users_free_credits_month_idx ON users (free_credits_month) WHERE plan = 'free';
