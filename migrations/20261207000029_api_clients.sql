-- An organization's API clients (ApiBibind): OAuth2 clients of Hydra using
-- the client-credentials grant, created by the organization's owners and
-- admins. Hydra holds the secret (hashed); Bibind keeps who may do what.
CREATE TABLE api_clients (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Hydra's client id.
    client_id        text NOT NULL UNIQUE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    -- The role it acts with in its organization, never above its creator's.
    role             text NOT NULL CHECK (role IN ('admin', 'member')),
    -- OAuth2 scopes (`members:read`): what its tokens may ask for.
    scopes           text[] NOT NULL,
    created_by       uuid NOT NULL,
    created_by_email text NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz,
    last_used_at     timestamptz,
    revoked_at       timestamptz
);

CREATE INDEX api_clients_organization_idx ON api_clients (organization_id, created_at);

-- Each replica keeps the API clients whose tokens it has seen in memory; a
-- revocation (or any change) is announced so that every replica refuses the
-- client's tokens at once.
CREATE FUNCTION announce_api_client_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('api_client_changed', OLD.client_id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_client_changed
    AFTER UPDATE OF revoked_at, expires_at, role, scopes OR DELETE ON api_clients
    FOR EACH ROW EXECUTE FUNCTION announce_api_client_change();
