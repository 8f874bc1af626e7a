-- How a sign-in into a subscription's Odoo starts, as Odoo's own sign-in
-- page links it (OCA auth_oidc): the provider record its callback looks up
-- and the PKCE challenge of the provider's one verifier. Both are public
-- (every sign-in link carries them); the verifier itself stays in Odoo.
-- Written by the provisioning step that configures single sign-on; the
-- portal's "Open back office" reads it.
CREATE TABLE odoo_sign_ins (
    subscription_id uuid PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
    provider_id bigint NOT NULL,
    code_challenge text NOT NULL,
    recorded_at timestamptz NOT NULL
);
