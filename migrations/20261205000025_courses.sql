-- A training space's courses, as its Odoo last listed them
-- (`slide.channel`): trainers author them in Odoo, the portal assigns
-- learners to them and shows their progress.
CREATE TABLE courses (
    subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    -- The course's id in Odoo.
    odoo_id         bigint NOT NULL,
    name            text NOT NULL,
    -- Its published contents (`total_slides`).
    contents        integer NOT NULL CHECK (contents >= 0),
    -- Its page on the eLearning site, `/slides/<slug>-<id>`.
    website_path    text NOT NULL,
    published       boolean NOT NULL,
    PRIMARY KEY (subscription_id, odoo_id)
);

-- When the courses and the progress were last read from Odoo; NULL: never.
ALTER TABLE subscriptions ADD COLUMN courses_read_at timestamptz;

-- Which members trainers put in which course: what the engine makes the
-- course's memberships in Odoo (`slide.channel.partner`). A removal is
-- kept (`removed_at`) so that the engine takes that membership away and
-- leaves alone the ones people took in Odoo themselves.
CREATE TABLE course_assignments (
    subscription_id uuid NOT NULL,
    course_id       bigint NOT NULL,
    organization_id uuid NOT NULL,
    identity_id     uuid NOT NULL,
    assigned_at     timestamptz NOT NULL,
    removed_at      timestamptz,
    PRIMARY KEY (subscription_id, course_id, identity_id),
    FOREIGN KEY (subscription_id, course_id) REFERENCES courses (subscription_id, odoo_id) ON DELETE CASCADE,
    -- A member who leaves loses their Odoo user: their assignments go too.
    FOREIGN KEY (organization_id, identity_id) REFERENCES memberships (organization_id, identity_id) ON DELETE CASCADE
);

CREATE INDEX course_assignments_identity_idx ON course_assignments (identity_id);

-- Each person's progress in each course, as Odoo last reported it. Kept
-- after they leave the organization: its records of who learned what.
CREATE TABLE course_progress (
    subscription_id uuid NOT NULL,
    course_id       bigint NOT NULL,
    identity_id     uuid NOT NULL,
    -- The address they had, for the records once they left.
    email           text NOT NULL,
    completion      integer NOT NULL CHECK (completion BETWEEN 0 AND 100),
    -- When the portal first saw the course finished.
    completed_at    timestamptz,
    -- The membership's last change in Odoo (a content done, a join).
    last_activity   timestamptz,
    -- Whether their membership in Odoo is active.
    enrolled        boolean NOT NULL,
    PRIMARY KEY (subscription_id, course_id, identity_id),
    FOREIGN KEY (subscription_id, course_id) REFERENCES courses (subscription_id, odoo_id) ON DELETE CASCADE
);

CREATE INDEX course_progress_identity_idx ON course_progress (identity_id);

-- The members a subscription's Odoo users are made from, and for training
-- who is put in or taken out of which course: the engine's users and
-- courses steps apply both. Without any assignment the value is the one
-- of before (no service is synced again for this migration).
CREATE OR REPLACE FUNCTION odoo_members_fingerprint(organization uuid, offer text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT md5(
        coalesce((SELECT string_agg(m.identity_id::text || ':' || m.role, ',' ORDER BY m.identity_id)
                    FROM memberships m
                   WHERE m.organization_id = organization AND (offer = 'training' OR m.role <> 'learner')), '')
        || coalesce((SELECT '|' || string_agg(a.course_id::text || ':' || a.identity_id::text
                                              || CASE WHEN a.removed_at IS NULL THEN '+' ELSE '-' END,
                                              ',' ORDER BY a.course_id, a.identity_id)
                       FROM course_assignments a JOIN subscriptions s ON s.id = a.subscription_id
                      WHERE a.organization_id = organization AND s.offer_kind = offer), ''))
$$;

-- An assignment changed: the dispatcher of the running training space
-- brings its Odoo in line.
CREATE FUNCTION announce_assignment_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('subscription_changed', s.id::text)
       FROM subscriptions s
      WHERE s.id = COALESCE(NEW.subscription_id, OLD.subscription_id)
        AND s.applied_state = 'running';
    RETURN NULL;
END;
$$;

CREATE TRIGGER course_assignments_announce_change
    AFTER INSERT OR DELETE OR UPDATE OF removed_at ON course_assignments
    FOR EACH ROW EXECUTE FUNCTION announce_assignment_change();
