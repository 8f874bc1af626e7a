-- Issue 25, continued. A backup downloaded through a time-limited link: the
-- link's token is shown once; only its SHA-256 is kept, so the table
-- holds nothing that opens a backup.
CREATE TABLE backup_downloads (
    token_sha256 text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    backup_id    uuid NOT NULL REFERENCES backups (id),
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);

CREATE INDEX backup_downloads_expiry_idx ON backup_downloads (expires_at);

-- Three backups of a service failing in a row: its owners are told.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('service_active', 'service_failed', 'service_closed', 'organization_suspended',
                    'organization_resumed', 'organization_closed', 'member_joined', 'backups_failing'));
