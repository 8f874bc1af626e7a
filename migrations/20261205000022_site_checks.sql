-- Whether each live site (a shop, a training space) answered the
-- reconciler's last check through the ingress, and since when it has
-- answered or not: its page says "not reachable since 10:42".
CREATE TABLE site_checks (
    subscription_id uuid PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
    -- NULL: it answers; else why not (`SiteProblem` as JSON text).
    problem text,
    -- When the current answer began: kept while the answer stays the same.
    since timestamptz NOT NULL,
    checked_at timestamptz NOT NULL
);

-- The page shows the answer and since when, not when it was last asked:
-- only a new answer is announced.
CREATE TRIGGER organization_changed AFTER INSERT OR DELETE ON site_checks
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('subscription');
CREATE TRIGGER organization_changed_answer AFTER UPDATE ON site_checks
    FOR EACH ROW WHEN (OLD.problem IS DISTINCT FROM NEW.problem)
    EXECUTE FUNCTION announce_organization_change('subscription');
