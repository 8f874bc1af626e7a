-- The provisioning engine's jobs: an ordered list of idempotent steps.
-- Workers on every replica claim runnable jobs with FOR UPDATE SKIP LOCKED
-- and hold a lease they renew; a job whose lease ran out is taken over.
CREATE TABLE jobs (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{0,63}$'),
    subscription_id  uuid REFERENCES subscriptions (id),
    state            text NOT NULL
                     CHECK (state IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')),
    -- The step being run (or to run next); equals the step count once done.
    current_step     integer NOT NULL DEFAULT 0 CHECK (current_step >= 0),
    step_count       integer NOT NULL CHECK (step_count > 0),
    -- Attempts of the current step, the one running included.
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    run_at           timestamptz NOT NULL,
    lease_owner      text,
    lease_expires_at timestamptz,
    -- The backend's last error, for admins (customers see the step's name).
    last_error       text,
    cancel_requested boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CHECK (current_step <= step_count)
);

-- What workers look for: runnable jobs by time, and running ones by lease.
CREATE INDEX jobs_runnable_idx ON jobs (run_at) WHERE state IN ('queued', 'waiting');
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_subscription_idx ON jobs (subscription_id, created_at);

CREATE TABLE job_steps (
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position    integer NOT NULL CHECK (position >= 0),
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    started_at  timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (job_id, position)
);

-- Everything a step created on a backend: what deprovisioning removes and
-- the audit trail names. A step run twice records the same thing once.
CREATE TABLE job_resources (
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    backend     text NOT NULL,
    kind        text NOT NULL,
    external_id text NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (job_id, backend, kind, external_id)
);
