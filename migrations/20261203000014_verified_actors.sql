-- Audit events say whether the actor's address was verified when they
-- acted (the address itself is already kept in actor_email, as it was then).
ALTER TABLE audit_events ADD COLUMN actor_email_verified boolean NOT NULL DEFAULT false;

-- The limit on subscriptions asked from one address per hour counts these.
CREATE INDEX audit_events_subscriptions_by_ip_idx ON audit_events (ip, at)
    WHERE action = 'subscription.create';
