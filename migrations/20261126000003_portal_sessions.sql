-- The portal's own sessions: tower-sessions' PostgreSQL store layout, created
-- here rather than at start-up so that every replica and test database has it.
CREATE SCHEMA IF NOT EXISTS tower_sessions;

CREATE TABLE tower_sessions.session (
    id          text PRIMARY KEY,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);

CREATE INDEX session_expiry_idx ON tower_sessions.session (expiry_date);

-- Which portal session came from which Hydra login session and which Kratos
-- session, so that an OpenID back-channel logout (naming the login session
-- `sid` and the subject) or a revoked Kratos session ends the portal
-- sessions it concerns. No token is kept here.
CREATE TABLE portal_logins (
    session_id        text PRIMARY KEY,
    hydra_sid         text,
    kratos_session_id text,
    subject           text NOT NULL,
    signed_in_at      timestamptz NOT NULL
);

CREATE INDEX portal_logins_kratos_idx ON portal_logins (kratos_session_id);

CREATE INDEX portal_logins_sid_idx ON portal_logins (hydra_sid);
CREATE INDEX portal_logins_subject_idx ON portal_logins (subject);
