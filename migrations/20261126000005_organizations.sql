-- Organizations (tenants), their members, and the audit trail of every change.
CREATE TABLE organizations (
    id            uuid PRIMARY KEY,
    slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 3 AND 40),
    name          text NOT NULL CHECK (length(name) BETWEEN 2 AND 100),
    country       text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    billing_email text NOT NULL CHECK (length(billing_email) BETWEEN 3 AND 320),
    state         text NOT NULL CHECK (state IN ('pending_approval', 'active', 'suspended', 'closed')),
    -- Why it is suspended or closed, in words the customer sees.
    state_reason  text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    -- Optimistic concurrency: every update checks and bumps it.
    version       integer NOT NULL DEFAULT 1
);

CREATE INDEX organizations_state_idx ON organizations (state);
CREATE INDEX organizations_name_idx ON organizations (lower(name));

CREATE TABLE memberships (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- The Kratos identity id.
    identity_id     uuid NOT NULL,
    -- The e-mail at the time of joining, for lists and the audit trail.
    email           text NOT NULL,
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'learner')),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (organization_id, identity_id)
);

CREATE INDEX memberships_identity_idx ON memberships (identity_id);

-- Written in the same transaction as the change it records.
CREATE TABLE audit_events (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL,
    -- The identity id of who did it, or `system`.
    actor           text NOT NULL,
    actor_email     text,
    organization_id uuid REFERENCES organizations (id),
    action          text NOT NULL,
    target          text NOT NULL,
    before          jsonb,
    after           jsonb,
    request_id      text,
    ip              inet
);

CREATE INDEX audit_events_organization_idx ON audit_events (organization_id, at DESC);
CREATE INDEX audit_events_at_idx ON audit_events (at DESC);
CREATE INDEX audit_events_action_idx ON audit_events (action, at DESC);
