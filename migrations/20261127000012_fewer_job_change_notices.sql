-- Migration 11 announced an organization's change from two job triggers.
-- Every change of a step's state is committed together with its job's state
-- or current step (control/src/jobs.rs), and the job's trigger announces the
-- same organization: the step's trigger only repeated the lookup, once per
-- step and attempt. Jobs with no subscription (maintenance) are on no page,
-- so their trigger need not run at all.

DROP TRIGGER organization_changed ON job_steps;

DROP TRIGGER organization_changed ON jobs;
-- Not on lease renewals: the page shows a job's state and step, not its lease.
CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OF state, current_step ON jobs
    FOR EACH ROW WHEN (NEW.subscription_id IS NOT NULL)
    EXECUTE FUNCTION announce_organization_change('subscription');
CREATE TRIGGER organization_changed_by_removal AFTER DELETE ON jobs
    FOR EACH ROW WHEN (OLD.subscription_id IS NOT NULL)
    EXECUTE FUNCTION announce_organization_change('subscription');
