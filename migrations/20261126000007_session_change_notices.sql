-- Each replica keeps the portal sessions it has read in memory. Any change to
-- a session row (a save elsewhere, a sign-out, a back-channel logout, the
-- janitor's pruning) is announced, so that every replica forgets its copy as
-- soon as the change is committed.
CREATE FUNCTION tower_sessions.announce_session_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portal_session_changed', OLD.id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER session_changed
    AFTER UPDATE OR DELETE ON tower_sessions.session
    FOR EACH ROW EXECUTE FUNCTION tower_sessions.announce_session_change();
