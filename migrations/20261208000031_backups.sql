-- Backups of subscriptions' data (issue 25). Each is sealed with its
-- organization's key (kept in Vault, never here) and stored twice: in the
-- primary storage, then off site. The job taking it says whether it is
-- under way, waiting for a retry or failed; this table records what was
-- stored.
CREATE TABLE backups (
    id                 uuid PRIMARY KEY,
    organization_id    uuid NOT NULL REFERENCES organizations (id),
    subscription_id    uuid NOT NULL REFERENCES subscriptions (id),
    -- The job (`backup.<offer>`) that takes it.
    job_id             uuid NOT NULL UNIQUE REFERENCES jobs (id),
    origin             text NOT NULL CHECK (origin IN ('scheduled', 'on_demand')),
    -- Who asked for it (an identity); none for the schedule.
    requested_by       uuid,
    created_at         timestamptz NOT NULL,
    -- The sealed object's name, the same in both storages.
    object_key         text NOT NULL UNIQUE,
    -- Set once the primary copy is complete: the plaintext's size and
    -- SHA-256 (checked again on every read), and the sealed object's size.
    stored_at          timestamptz,
    size_bytes         bigint CHECK (size_bytes >= 0),
    sealed_bytes       bigint CHECK (sealed_bytes >= 0),
    sha256             text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    offsite_at         timestamptz,
    -- From the plan's retention when it was taken; pruned after.
    expires_at         timestamptz NOT NULL,
    pruned_at          timestamptz,
    CHECK ((stored_at IS NULL) = (sha256 IS NULL) AND (stored_at IS NULL) = (size_bytes IS NULL))
);

CREATE INDEX backups_subscription_idx ON backups (subscription_id, created_at DESC);
CREATE INDEX backups_organization_idx ON backups (organization_id, created_at DESC);
CREATE INDEX backups_expiry_idx ON backups (expires_at) WHERE pruned_at IS NULL;

-- A restore of a backup into its service, or a drill (restored aside,
-- checked, torn down): which backup the job puts back, and how it ended.
CREATE TABLE backup_restores (
    job_id        uuid PRIMARY KEY REFERENCES jobs (id),
    backup_id     uuid NOT NULL REFERENCES backups (id),
    kind          text NOT NULL CHECK (kind IN ('restore', 'drill')),
    requested_by  uuid,
    created_at    timestamptz NOT NULL,
    -- A drill's check: when it opened, or why it did not.
    checked_at    timestamptz,
    check_error   text
);

CREATE INDEX backup_restores_backup_idx ON backup_restores (backup_id, created_at DESC);

-- When the owner wants the daily backup taken (UTC).
ALTER TABLE subscriptions ADD COLUMN backup_time time NOT NULL DEFAULT '02:00';
