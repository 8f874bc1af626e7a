-- Platform administrators (Bibind operators). Identities live in Kratos; the
-- portal keeps who may administer the platform, keyed by Kratos identity id.
CREATE TABLE platform_admins (
    identity_id uuid PRIMARY KEY,
    -- the e-mail at the time of the grant, for people reading the table
    email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    granted_at  timestamptz NOT NULL,
    -- who granted it: "cli" for `bibind admin grant`, else an identity id
    granted_by  text NOT NULL
);
