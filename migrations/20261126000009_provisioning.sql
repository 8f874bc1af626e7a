-- What the backends reflect of each subscription, as the provisioning engine
-- last left them: nothing, something (a provisioning or closing job ran
-- part way), the running service, or the suspended service. The dispatcher
-- queues the job that brings this to what the subscription's state asks.
ALTER TABLE subscriptions
    ADD COLUMN applied_state text NOT NULL DEFAULT 'none'
        CHECK (applied_state IN ('none', 'partial', 'running', 'suspended'));

-- A subscription's jobs run one after another: at most one unfinished job each.
CREATE UNIQUE INDEX jobs_one_open_per_subscription_idx ON jobs (subscription_id)
    WHERE subscription_id IS NOT NULL AND state IN ('queued', 'running', 'waiting');

-- Jobs in the order they were queued (timestamps tie under a fixed clock).
ALTER TABLE jobs ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;

-- Wakes the dispatchers of every replica when a subscription may need a job.
CREATE FUNCTION announce_subscription_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('subscription_changed', NEW.id::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER subscriptions_announce_change
    AFTER INSERT OR UPDATE OF state, applied_state ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION announce_subscription_change();

-- What a step's remote run printed (an AWX job's output), for admins.
ALTER TABLE job_steps ADD COLUMN output text;
