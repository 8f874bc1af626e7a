-- A shop's or training space's own domain (control/src/domain/custom_domains.rs):
-- one per subscription, each domain claimed by one subscription at most.
CREATE TABLE custom_domains (
    subscription_id uuid PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
    domain text NOT NULL UNIQUE,
    -- The TXT record's value proving control of the name (public: it is
    -- published in DNS).
    token text NOT NULL,
    created_at timestamptz NOT NULL,
    -- When its records were found to hold; NULL while pending.
    verified_at timestamptz,
    checked_at timestamptz,
    -- Why the last check did not pass (`DomainProblem` as JSON text).
    problem text
);

-- Each change of a subscription's own domain (verified, removed) counts
-- one; the engine records the count it applied, and the dispatcher queues
-- `apply_domain` while they differ.
ALTER TABLE subscriptions
    ADD COLUMN domain_version integer NOT NULL DEFAULT 0,
    ADD COLUMN domain_applied integer NOT NULL DEFAULT 0;

CREATE TRIGGER subscriptions_announce_domain_change
    AFTER UPDATE OF domain_version ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION announce_subscription_change();

-- The page shows the state, when it was last checked and why it failed.
CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON custom_domains
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('subscription');
