-- The answers to the API's POSTs sent with an Idempotency-Key, kept 24
-- hours (the janitor deletes older ones): the same key with the same
-- request gets the same answer. `status` is NULL while the first request
-- runs. No answer kept here holds a secret (see identity/api_idempotency.rs).
CREATE TABLE api_idempotency (
    -- The API caller (an API client's id, or a person's identity id).
    client       text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- SHA-256 of the method, path and body.
    fingerprint  bytea NOT NULL,
    claimed_at   timestamptz NOT NULL,
    status       integer,
    content_type text,
    location     text,
    etag         text,
    body         bytea,
    PRIMARY KEY (client, key)
);

CREATE INDEX api_idempotency_claimed_idx ON api_idempotency (claimed_at);
