//! A shop's modules: the owner adds one its plan offers and removes it
//! again, each applied in its Odoo by the engine (`change_modules`) and
//! audited; what the plan does not offer, and anyone but owners and
//! admins, is refused with nothing written; a module uninstalled behind the
//! engine's back is put back by the reconciler.

use control::{
    domain::{FieldError, FieldProblem, ModuleView, OdooModule, OfferKind, Refusal},
    tenancy::modules::ModuleChange,
    Caller,
};

use crate::support::{
    browser::Person,
    odoo::{module_states, odoo_admin_call},
    provisioning::Harness,
};

async fn modules_seen(harness: &Harness, who: &Caller, slug: &str) -> (Vec<ModuleView>, bool) {
    for _ in 0..250 {
        let page = harness
            .control()
            .organization_overview(who, slug)
            .await
            .unwrap()
            .unwrap();
        let shop = &page.subscriptions[0];
        if !shop.modules.is_empty() {
            return (shop.modules.clone(), shop.modules_changing);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the page never listed the shop's modules");
}

async fn succeeded_kinds(harness: &Harness, subscription: uuid::Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM jobs WHERE subscription_id = $1 AND state = 'succeeded' ORDER BY seq",
    )
    .bind(subscription)
    .fetch_all(&harness.app.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_adds_and_removes_a_module_the_plan_offers_and_the_engine_applies_it() {
    let harness = Harness::for_browsers().await;
    let (owner, slug, subscription) = harness.shop_owner("ACME").await;
    let instance = control::domain::instance_name(&slug, OfferKind::Ecommerce);
    let wishlist = OdooModule::Wishlist.technical_name();

    // The starter plan includes none and offers three, none installed.
    let (modules, _) = modules_seen(&harness, &owner, &slug).await;
    let offered: Vec<(OdooModule, bool, Option<bool>)> = modules
        .iter()
        .map(|m| (m.module, m.included, m.installed))
        .collect();
    assert_eq!(
        offered,
        [
            (OdooModule::Wishlist, false, Some(false)),
            (OdooModule::ProductComparison, false, Some(false)),
            (OdooModule::Blog, false, Some(false)),
        ]
    );

    // Added: a job installs it, and the page says so.
    let added = harness
        .control()
        .change_module(&owner, &slug, subscription, wishlist, ModuleChange::Add)
        .await
        .unwrap();
    assert_eq!(added, Ok(()));
    harness.settle().await;
    assert_eq!(
        module_states(&harness, &instance, &[wishlist]).await,
        ["installed"]
    );
    assert_eq!(
        succeeded_kinds(&harness, subscription).await,
        ["provision.ecommerce", "change_modules.ecommerce"]
    );
    let (modules, changing) = modules_seen(&harness, &owner, &slug).await;
    assert!(!changing);
    assert_eq!((modules[0].wanted, modules[0].installed), (true, Some(true)));

    // Asked twice: nothing more to do.
    let again = harness
        .control()
        .change_module(&owner, &slug, subscription, wishlist, ModuleChange::Add)
        .await
        .unwrap();
    assert_eq!(again, Ok(()));
    harness.settle().await;
    assert_eq!(succeeded_kinds(&harness, subscription).await.len(), 2);

    // Uninstalled behind the engine's back: the reconciler puts it back.
    let ids = odoo_admin_call(
        &harness,
        &instance,
        "ir.module.module",
        "search",
        serde_json::json!([[["name", "=", wishlist]]]),
        serde_json::json!({}),
    )
    .await;
    odoo_admin_call(
        &harness,
        &instance,
        "ir.module.module",
        "button_immediate_uninstall",
        serde_json::json!([ids]),
        serde_json::json!({}),
    )
    .await;
    harness.reconcile().await;
    harness.settle().await;
    assert_eq!(
        module_states(&harness, &instance, &[wishlist]).await,
        ["installed"]
    );
    assert_eq!(succeeded_kinds(&harness, subscription).await.len(), 3);

    // Removed: uninstalled.
    let removed = harness
        .control()
        .change_module(&owner, &slug, subscription, wishlist, ModuleChange::Remove)
        .await
        .unwrap();
    assert_eq!(removed, Ok(()));
    harness.settle().await;
    assert_eq!(
        module_states(&harness, &instance, &[wishlist]).await,
        ["uninstalled"]
    );

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE action LIKE 'module.%' AND target = $1 ORDER BY id",
    )
    .bind(format!("module:{wishlist}"))
    .fetch_all(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(actions, ["module.add", "module.remove"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_plan_does_not_offer_and_who_may_not_change_modules_are_refused() {
    let harness = Harness::for_browsers().await;
    let (owner, slug, subscription) = harness.shop_owner("ACME").await;
    let change = |who: Caller, module: &'static str| {
        let harness = &harness;
        let slug = slug.clone();
        async move {
            harness
                .control()
                .change_module(&who, &slug, subscription, module, ModuleChange::Add)
                .await
                .unwrap()
        }
    };
    let field = |problem| Err(Refusal::Fields(vec![FieldError::new("module", problem)]));
    // Stock availability comes with bigger plans only; course forums with training.
    assert_eq!(
        change(owner.clone(), "website_sale_stock").await,
        field(FieldProblem::NotOffered)
    );
    assert_eq!(
        change(owner.clone(), "website_slides_forum").await,
        field(FieldProblem::Unknown)
    );
    assert_eq!(change(owner.clone(), "base").await, field(FieldProblem::Unknown));
    // A stranger does not learn the organization exists.
    let stranger = Person::signed_in(&harness.app.base_url, "stranger")
        .await
        .caller();
    assert_eq!(change(stranger, "website_blog").await, Err(Refusal::NotFound));
    let untouched: (i32, i64) = sqlx::query_as(
        "SELECT s.modules_version, (SELECT count(*) FROM subscription_modules m WHERE m.subscription_id = s.id)
           FROM subscriptions s WHERE s.id = $1",
    )
    .bind(subscription)
    .fetch_one(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(untouched, (0, 0));
}
