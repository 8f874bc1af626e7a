-- Attempts at signing in and recovering access, counted in fixed windows per
-- IP address and per account, shared by every replica. Accounts are keyed by
-- a SHA-256 of the normalised identifier, not the address itself.
CREATE TABLE auth_attempts (
    bucket       text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    attempts     integer NOT NULL CHECK (attempts > 0)
);

CREATE INDEX auth_attempts_window_idx ON auth_attempts (window_start);
