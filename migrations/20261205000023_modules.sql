-- Bibind's modules (control/src/domain/modules.rs): the Odoo applications
-- a plan includes with every subscription, and those its customers may
-- add. Codes are Odoo's technical names.
ALTER TABLE plans
    ADD COLUMN included_modules text[] NOT NULL DEFAULT '{}',
    ADD COLUMN optional_modules text[] NOT NULL DEFAULT '{}';

UPDATE plans SET optional_modules = '{website_sale_comparison,website_sale_wishlist,website_blog}'
 WHERE code = 'shop-starter';
UPDATE plans SET included_modules = '{website_sale_comparison,website_sale_wishlist}',
                 optional_modules = '{website_sale_stock,website_blog}'
 WHERE offer_kind = 'ecommerce' AND code <> 'shop-starter';
UPDATE plans SET optional_modules = '{website_slides_forum,website_blog}'
 WHERE code = 'learn-class';
UPDATE plans SET included_modules = '{website_slides_forum}',
                 optional_modules = '{website_slides_survey,website_blog}'
 WHERE offer_kind = 'training' AND code <> 'learn-class';

-- The modules a subscription's customer added (the plan's included ones
-- are not listed: they come with the plan).
CREATE TABLE subscription_modules (
    subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    module text NOT NULL,
    added_at timestamptz NOT NULL,
    PRIMARY KEY (subscription_id, module)
);

-- Whether each of Bibind's modules is installed in a subscription's Odoo,
-- as the engine last saw it.
CREATE TABLE odoo_module_states (
    subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    module text NOT NULL,
    installed boolean NOT NULL,
    observed_at timestamptz NOT NULL,
    PRIMARY KEY (subscription_id, module)
);

-- Each change of a subscription's added modules counts one; the engine
-- records the count it applied, and the dispatcher queues `change_modules`
-- while they differ.
ALTER TABLE subscriptions
    ADD COLUMN modules_version integer NOT NULL DEFAULT 0,
    ADD COLUMN modules_applied integer NOT NULL DEFAULT 0;

CREATE TRIGGER subscriptions_announce_modules_change
    AFTER UPDATE OF modules_version ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION announce_subscription_change();

CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON subscription_modules
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('subscription');
CREATE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON odoo_module_states
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change('subscription');
