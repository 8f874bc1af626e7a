-- Invitations to join an organization, subscriptions to the catalog's plans,
-- and per-tenant quota overrides.

-- A single-use, expiring invitation. Only the SHA-256 of the token is kept:
-- the link in the e-mail is the secret, and the database never holds it.
CREATE TABLE invitations (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email            text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    role             text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'learner')),
    token_sha256     bytea NOT NULL UNIQUE,
    invited_by       uuid NOT NULL,
    invited_by_email text NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    accepted_at      timestamptz,
    accepted_by      uuid,
    revoked_at       timestamptz,
    CHECK (expires_at > created_at)
);

-- One open invitation per address and organization: inviting again replaces it.
CREATE UNIQUE INDEX invitations_open_idx ON invitations (organization_id, lower(email))
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

CREATE TABLE subscriptions (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    offer_kind      text NOT NULL REFERENCES offers (kind),
    plan_id         uuid NOT NULL REFERENCES plans (id),
    state           text NOT NULL CHECK (state IN ('requested', 'awaiting_approval', 'provisioning', 'active',
                                                   'suspended', 'deprovisioning', 'closed', 'failed')),
    -- Why it is suspended or failed (or a plan change was refused), in words the customer sees.
    state_reason    text,
    -- A plan change waiting for a platform admin's approval: the running
    -- service keeps `plan_id` until then.
    pending_plan_id uuid REFERENCES plans (id),
    -- The state a tenant's suspension interrupted, restored when it is resumed.
    suspended_from  text CHECK (suspended_from IN ('requested', 'provisioning', 'active')),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         integer NOT NULL DEFAULT 1
);

-- An organization holds at most one live subscription per offer.
CREATE UNIQUE INDEX subscriptions_one_per_offer_idx ON subscriptions (organization_id, offer_kind)
    WHERE state <> 'closed';
CREATE INDEX subscriptions_plan_idx ON subscriptions (plan_id);
CREATE INDEX subscriptions_state_idx ON subscriptions (state);

-- The devices an IoT subscription has registered (they count against its
-- devices quota; the provisioning engine gives each its MQTT credentials).
CREATE TABLE devices (
    id              uuid PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    created_at      timestamptz NOT NULL,
    UNIQUE (subscription_id, name)
);

-- A platform admin's override of one quota of one subscription; the
-- effective quota is the override when there is one, else the plan's.
CREATE TABLE quota_overrides (
    subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    quota           text NOT NULL CHECK (quota IN ('cpu_millicores', 'memory_mib', 'storage_gib', 'seats', 'devices',
                                                   'backup_retention_days', 'openstack_vcpus', 'openstack_ram_mib',
                                                   'openstack_instances')),
    value           integer NOT NULL CHECK (value >= 0),
    set_by          text NOT NULL,
    set_at          timestamptz NOT NULL,
    PRIMARY KEY (subscription_id, quota)
);

-- Audit listings: newest first by (at, id), also per organization; filters
-- by an action's prefix and by the start of the actor's e-mail.
DROP INDEX audit_events_at_idx;
DROP INDEX audit_events_organization_idx;
CREATE INDEX audit_events_at_id_idx ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_organization_at_id_idx ON audit_events (organization_id, at DESC, id DESC);
CREATE INDEX audit_events_action_prefix_idx ON audit_events (action text_pattern_ops);
CREATE INDEX audit_events_actor_prefix_idx ON audit_events (lower(actor_email) text_pattern_ops);
