-- Which members a running shop's or training space's Odoo users were last
-- made from: the dispatcher compares it with the members now and queues
-- the job that brings the Odoo in line (`sync_members`). NULL: never.
ALTER TABLE subscriptions ADD COLUMN members_applied text;

-- The members a subscription's Odoo users are made from, as one text:
-- everyone's identity and role, learners only for training (a shop has no
-- user for them). The engine records it with what it applied.
CREATE FUNCTION odoo_members_fingerprint(organization uuid, offer text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT md5(coalesce(string_agg(m.identity_id::text || ':' || m.role, ',' ORDER BY m.identity_id), ''))
      FROM memberships m
     WHERE m.organization_id = organization AND (offer = 'training' OR m.role <> 'learner')
$$;

-- A change of members wakes the dispatchers for the organization's
-- running services.
CREATE FUNCTION announce_membership_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('subscription_changed', s.id::text)
       FROM subscriptions s
      WHERE s.organization_id = COALESCE(NEW.organization_id, OLD.organization_id)
        AND s.applied_state = 'running';
    RETURN NULL;
END;
$$;

CREATE TRIGGER memberships_announce_change
    AFTER INSERT OR DELETE OR UPDATE OF role ON memberships
    FOR EACH ROW EXECUTE FUNCTION announce_membership_change();
