-- Each replica keeps the organization pages it has served in memory
-- (control/src/organization_pages.rs). Any change to what such a page shows
-- is announced on `organization_changed` with the organization's slug (`*`
-- when a plan or an offer changed, which many pages show), so that every
-- replica forgets its copy as soon as the change is committed. PostgreSQL
-- folds repeated announcements of one transaction into one.

-- A row that names its organization, its subscription or its job, as the
-- trigger's argument says (`organization`, `subscription`, `job`).
CREATE FUNCTION announce_organization_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb;
    organization uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := to_jsonb(OLD);
    ELSE
        changed := to_jsonb(NEW);
    END IF;
    CASE TG_ARGV[0]
        WHEN 'organization' THEN
            organization := (changed ->> 'organization_id')::uuid;
        WHEN 'subscription' THEN
            SELECT s.organization_id INTO organization
              FROM subscriptions s WHERE s.id = (changed ->> 'subscription_id')::uuid;
        WHEN 'job' THEN
            SELECT s.organization_id INTO organization
              FROM jobs j JOIN subscriptions s ON s.id = j.subscription_id
             WHERE j.id = (changed ->> 'job_id')::uuid;
    END CASE;
    PERFORM pg_notify('organization_changed', o.slug) FROM organizations o WHERE o.id = organization;
    RETURN NULL;
END;
$$;

CREATE FUNCTION announce_organization_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('organization_changed', OLD.slug);
    IF TG_OP = 'UPDATE' THEN
        PERFORM pg_notify('organization_changed', NEW.slug);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION announce_catalog_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('organization_changed', '*');
    RETURN NULL;
END;
$$;

CREATE TRIGGER organization_changed AFTER UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION announce_organization_row_change();

CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('organization');
CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON invitations
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('organization');
CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('organization');

CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('subscription');
CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON quota_overrides
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('subscription');
CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON subscription_usage
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('subscription');
-- Not on lease renewals: the page shows a job's state and step, not its lease.
CREATE TRIGGER organization_changed AFTER INSERT OR DELETE OR UPDATE OF state, current_step ON jobs
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('subscription');
CREATE TRIGGER organization_changed AFTER UPDATE OF state ON job_steps
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('job');

CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON plans
    FOR EACH STATEMENT EXECUTE FUNCTION announce_catalog_change();
CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON offers
    FOR EACH STATEMENT EXECUTE FUNCTION announce_catalog_change();
