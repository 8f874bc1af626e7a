-- Each device has its own identity on the broker (issue 22): a client and
-- a role only it holds, its password in Vault (never here). What the owner
-- wants (enabled, the credentials' version a rotation counts up, removed)
-- and what the broker was last given (applied_*: NULL, nothing yet) are
-- levels the dispatcher compares: a difference queues `sync_devices`.
ALTER TABLE devices
    ADD COLUMN enabled             boolean NOT NULL DEFAULT true,
    ADD COLUMN credentials_version integer NOT NULL DEFAULT 1 CHECK (credentials_version > 0),
    ADD COLUMN applied_version     integer,
    ADD COLUMN applied_enabled     boolean,
    -- The version whose password was shown (once) to its owner.
    ADD COLUMN shown_version       integer,
    -- Removed by its owner: kept until its client is gone from the broker.
    ADD COLUMN removed_at          timestamptz;

-- A removed device's name is free at once (its client goes first).
ALTER TABLE devices DROP CONSTRAINT devices_subscription_id_name_key;
CREATE UNIQUE INDEX devices_name_idx ON devices (subscription_id, name) WHERE removed_at IS NULL;

-- A device whose broker identity lags behind: the dispatcher's question.
CREATE INDEX devices_pending_idx ON devices (subscription_id)
    WHERE removed_at IS NOT NULL OR applied_version IS DISTINCT FROM credentials_version
          OR applied_enabled IS DISTINCT FROM enabled;

-- A device changed: the dispatcher of its running subscription wakes.
CREATE FUNCTION announce_device_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('subscription_changed', COALESCE(NEW.subscription_id, OLD.subscription_id)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER devices_announce_change
    AFTER INSERT OR UPDATE OF enabled, credentials_version, removed_at ON devices
    FOR EACH ROW EXECUTE FUNCTION announce_device_change();
