-- Counters for /metrics that only ever grow, whichever process or host caused them: generations
-- by model and outcome and how long they took, credits by ledger kind, Stripe events by type,
-- emails by outcome. Triggers keep them in the same transaction as the change they count, so
-- they are exact (a rolled-back change counts nothing) and no code path can forget one; and
-- they outlive the rows (a deleted image still counted as made).

CREATE TABLE metric_counters (
    -- A Prometheus metric name, e.g. pictor_generations_total.
    name    text NOT NULL,
    -- Its labels as Prometheus writes them, e.g. model="sdxl",outcome="succeeded" (escaped by
    -- metric_label below); '' for none.
    labels  text NOT NULL DEFAULT '',
    -- pg_backend_pid() % 16: transactions on different connections mostly add to different
    -- rows, so a busy counter (credits spent) does not make them wait on one row lock.
    -- /metrics adds the shards up.
    shard   smallint NOT NULL,
    value   double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (name, labels, shard)
);

-- A label value as Prometheus's text format wants it: backslash, quote and newline escaped.
CREATE FUNCTION metric_label(value text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT replace(replace(replace(value, E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n') $$;

CREATE FUNCTION metric_add(metric text, metric_labels text, amount double precision) RETURNS void
    LANGUAGE sql
    AS $$
        INSERT INTO metric_counters (name, labels, shard, value)
        VALUES (metric, metric_labels, pg_backend_pid() % 16, amount)
        ON CONFLICT (name, labels, shard) DO UPDATE SET value = metric_counters.value + EXCLUDED.value
    $$;

-- Upper bounds (seconds) of the histogram of how long a generation took from a job worker
-- claiming it to its end: the provider's answer, thumbnails, storage.
CREATE FUNCTION metric_generation_buckets() RETURNS double precision[]
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT ARRAY[0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300]::double precision[] $$;

CREATE FUNCTION generations_count_metrics() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    model_label text := 'model="' || metric_label(NEW.model) || '"';
    seconds double precision;
    bound double precision;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM metric_add('pictor_generations_requested_total', model_label, 1);
        RETURN NULL;
    END IF;
    PERFORM metric_add('pictor_generations_total', model_label || ',outcome="' || NEW.status || '"', 1);
    IF NEW.started_at IS NOT NULL AND NEW.completed_at IS NOT NULL THEN
        seconds := greatest(0, extract(epoch FROM NEW.completed_at - NEW.started_at));
        -- Prometheus buckets are cumulative: the generation counts in every bucket it fits.
        FOREACH bound IN ARRAY metric_generation_buckets() LOOP
            IF seconds <= bound THEN
                PERFORM metric_add('pictor_generation_seconds_bucket', model_label || ',le="' || bound || '"', 1);
            END IF;
        END LOOP;
        PERFORM metric_add('pictor_generation_seconds_bucket', model_label || ',le="+Inf"', 1);
        PERFORM metric_add('pictor_generation_seconds_sum', model_label, seconds);
        PERFORM metric_add('pictor_generation_seconds_count', model_label, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER generations_count_requested
    AFTER INSERT ON generations
    FOR EACH ROW EXECUTE FUNCTION generations_count_metrics();

CREATE TRIGGER generations_count_finished
    AFTER UPDATE OF status ON generations
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('succeeded', 'failed'))
    EXECUTE FUNCTION generations_count_metrics();

-- Credits moved, by ledger kind, as positive amounts: kind="usage" is credits spent.
CREATE FUNCTION transactions_count_metrics() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM metric_add('pictor_credits_total', 'kind="' || NEW.kind || '"', abs(NEW.amount));
    RETURN NULL;
END
$$;

CREATE TRIGGER transactions_count_metrics
    AFTER INSERT ON transactions
    FOR EACH ROW EXECUTE FUNCTION transactions_count_metrics();

-- Stripe events received (each once: a replay hits the primary key and inserts nothing).
CREATE FUNCTION stripe_events_count_metrics() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM metric_add('pictor_stripe_events_total', 'type="' || metric_label(NEW.type) || '"', 1);
    RETURN NULL;
END
$$;

CREATE TRIGGER stripe_events_count_metrics
    AFTER INSERT ON stripe_events
    FOR EACH ROW EXECUTE FUNCTION stripe_events_count_metrics();

-- Mail by how it ended: sent over SMTP, given up on, or written to the log (no SMTP configured).
CREATE FUNCTION email_outbox_count_metrics() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM metric_add('pictor_emails_total', 'outcome="' || NEW.status || '"', 1);
    RETURN NULL;
END
$$;

CREATE TRIGGER email_outbox_count_metrics
    AFTER UPDATE OF status ON email_outbox
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('sent', 'failed', 'logged'))
    EXECUTE FUNCTION email_outbox_count_metrics();

-- The id of the request that asked for the image (nginx's $request_id, X-Request-ID), which the
-- job worker sends on to the provider: one id follows an image from nginx's log to the
-- provider's. NULL for images asked for before this column existed.
ALTER TABLE generations ADD COLUMN request_id text;
