-- Back-channel logout tokens already used, by `jti`, so that a captured
-- token cannot be replayed to any replica. A token is only accepted while
-- recent (its `iat`), so its `jti` is kept until then and pruned after.
CREATE TABLE seen_logout_tokens (
    jti        text PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 512),
    expires_at timestamptz NOT NULL
);

CREATE INDEX seen_logout_tokens_expiry_idx ON seen_logout_tokens (expires_at);
