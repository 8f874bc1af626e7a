-- E-mail notices to customers (a service active, failed or closed; an
-- organization suspended, resumed or closed; someone joined), queued in the
-- transaction of the change that causes them and sent by the engine's
-- workers: one `notification` job per change, one row per recipient, marked
-- when its mail is sent so that a retried job does not send it twice. The
-- letter is written when sent, in the recipient's language; `details` holds
-- what it names (an offer, a reason, who joined), never a secret.
CREATE TABLE notifications (
    id                 uuid PRIMARY KEY,
    job_id             uuid NOT NULL REFERENCES jobs (id),
    organization_id    uuid NOT NULL REFERENCES organizations (id),
    kind               text NOT NULL CHECK (kind IN ('service_active', 'service_failed', 'service_closed',
                                                    'organization_suspended', 'organization_resumed',
                                                    'organization_closed', 'member_joined')),
    details            jsonb NOT NULL,
    recipient_identity uuid NOT NULL,
    recipient_email    text NOT NULL,
    created_at         timestamptz NOT NULL,
    sent_at            timestamptz
);

CREATE INDEX notifications_job_idx ON notifications (job_id);
