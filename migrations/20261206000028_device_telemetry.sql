-- What devices send (issue 22). The portal consumes the organizations'
-- device topics with one shared subscription and keeps, per device: the
-- messages (numeric fields and the raw payload) for the plan's retention,
-- arrivals and drops per minute (the rate limits' counters), and when it
-- was last heard.

-- The plan's limits on telemetry: messages a minute per device and per
-- organization (over them, messages are dropped and counted), and how long
-- messages are kept. NULL for plans without devices.
ALTER TABLE plans
    ADD COLUMN device_messages_per_minute       integer CHECK (device_messages_per_minute > 0),
    ADD COLUMN organization_messages_per_minute integer CHECK (organization_messages_per_minute > 0),
    ADD COLUMN telemetry_retention_days         integer CHECK (telemetry_retention_days > 0);

UPDATE plans SET device_messages_per_minute = 60,  organization_messages_per_minute = 3000,
                 telemetry_retention_days = 7  WHERE code = 'iot-lab';
UPDATE plans SET device_messages_per_minute = 120, organization_messages_per_minute = 120000,
                 telemetry_retention_days = 30 WHERE code = 'iot-fleet';
UPDATE plans SET device_messages_per_minute = 600, organization_messages_per_minute = 2000000,
                 telemetry_retention_days = 90 WHERE code = 'iot-industry';
-- Any other plan with devices (made by an admin) gets the smallest limits.
UPDATE plans SET device_messages_per_minute = 60, organization_messages_per_minute = 3000,
                 telemetry_retention_days = 7
 WHERE devices IS NOT NULL AND device_messages_per_minute IS NULL;

-- Messages, partitioned by day of arrival: a day past every retention is
-- dropped whole, a shorter retention deletes inside the old days only.
-- No foreign key: a removed device's messages stay for the retention.
CREATE TABLE device_messages (
    subscription_id uuid NOT NULL,
    device_id       uuid NOT NULL,
    -- When the portal stored it (its batch's time).
    received_at     timestamptz NOT NULL,
    -- The topic below the device's own (`telemetry`, `env/temperature`).
    topic           text NOT NULL,
    -- The payload as text (lossy UTF-8), cut at 1 KiB.
    payload         text NOT NULL,
    -- Its numeric fields by name; NULL when it is not JSON.
    numbers         jsonb
) PARTITION BY RANGE (received_at);

CREATE INDEX device_messages_device_idx ON device_messages (subscription_id, device_id, received_at DESC);

-- Messages arriving before their day's partition exists are not lost.
CREATE TABLE device_messages_default PARTITION OF device_messages DEFAULT;

-- Creates the partitions of `days` days from `first` (those missing).
CREATE FUNCTION ensure_device_message_partitions(first date, days integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    day date;
    name text;
BEGIN
    FOR i IN 0 .. days - 1 LOOP
        day := first + i;
        name := 'device_messages_' || to_char(day, 'YYYYMMDD');
        IF to_regclass(name) IS NULL THEN
            -- Two replicas at once: the second waits, then finds it.
            PERFORM pg_advisory_xact_lock(hashtext(name));
            IF to_regclass(name) IS NULL THEN
                BEGIN
                    EXECUTE format('CREATE TABLE %I PARTITION OF device_messages FOR VALUES FROM (%L) TO (%L)',
                                   name, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
                EXCEPTION WHEN check_violation THEN
                    -- The default partition already holds rows of that day
                    -- (nobody made it in time): they stay there, and the
                    -- retention deletes them there.
                    RAISE NOTICE 'device_messages: % stays in the default partition', day;
                END;
            END IF;
        END IF;
    END LOOP;
END;
$$;

-- Arrivals (what the rate limits count) and drops per device and minute.
CREATE TABLE device_minutes (
    device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    minute    timestamptz NOT NULL,
    received  integer NOT NULL DEFAULT 0,
    dropped   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, minute)
);

CREATE INDEX device_minutes_minute_idx ON device_minutes (minute);

-- The same for a whole organization (what passed its devices' limits).
CREATE TABLE organization_minutes (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    minute          timestamptz NOT NULL,
    received        integer NOT NULL DEFAULT 0,
    dropped         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, minute)
);

CREATE INDEX organization_minutes_minute_idx ON organization_minutes (minute);

-- When each device was last heard (apart from `devices`, whose changes
-- wake the dispatcher and the organization's pages).
CREATE TABLE device_activity (
    device_id    uuid PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    last_seen_at timestamptz NOT NULL
);

-- Commands sent from the portal, and what the broker answered.
CREATE TABLE device_commands (
    id         uuid PRIMARY KEY,
    device_id  uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    sent_at    timestamptz NOT NULL,
    payload    text NOT NULL,
    outcome    text NOT NULL CHECK (outcome IN ('delivered', 'no_listener', 'refused', 'unreachable'))
);

CREATE INDEX device_commands_device_idx ON device_commands (device_id, sent_at DESC);
