//! A shop's own domain, with a real resolver against an authoritative DNS
//! server on the loopback that the test controls: claimed, refused while
//! its records are missing or wrong (each problem said), verified once they
//! hold, bound (an Ingress and a cert-manager Certificate in the
//! Kubernetes simulator, Odoo's website answering it), removed (all of it
//! undone); a domain claimed by another organization, or one of Bibind's
//! own, is refused.

use control::{
    domain::{DomainProblem, DomainState, FieldError, FieldProblem, OfferKind, Refusal},
    tenancy::custom_domains::DomainCheck,
    Caller,
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{odoo::odoo_admin_call, provisioning::Harness};

const DOMAIN: &str = "shop.acme-own.example";

async fn own_domain(
    harness: &Harness,
    who: &Caller,
    slug: &str,
) -> Option<control::domain::CustomDomainView> {
    let page = harness
        .control()
        .organization_overview(who, slug)
        .await
        .unwrap()
        .unwrap();
    page.subscriptions[0].custom_domain.clone()
}

/// A namespaced object of the Kubernetes simulator, if there.
async fn kube_object(harness: &Harness, path: &str) -> Option<Value> {
    let response = reqwest::get(format!("{}{path}", harness.stack.urls.kubernetes))
        .await
        .unwrap();
    match response.status() {
        StatusCode::NOT_FOUND => None,
        _ => Some(response.json().await.unwrap()),
    }
}

async fn website_domain(harness: &Harness, instance: &str) -> Value {
    let websites = odoo_admin_call(
        harness,
        instance,
        "website",
        "search_read",
        serde_json::json!([[]]),
        serde_json::json!({"fields": ["domain"]}),
    )
    .await;
    websites[0]["domain"].clone()
}

/// The storefront's status and page when a browser asks `host` through the ingress.
async fn storefront(harness: &Harness, host: &str) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .get(format!("{}/", harness.stack.urls.odoo))
        .header("Host", host)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_own_domain_is_verified_from_its_dns_records_bound_and_removed() {
    let harness = Harness::for_browsers().await;
    let (owner, slug, subscription) = harness.shop_owner("ACME").await;
    let instance = control::domain::instance_name(&slug, OfferKind::Ecommerce);
    let shop_host = format!("{slug}.{}", harness.stack.settings.ecommerce_domain);
    let control = harness.control();
    let dns = &harness.stack.dns;

    let added = control
        .add_domain(&owner, &slug, subscription, "Shop.ACME-own.example")
        .await
        .unwrap();
    assert_eq!(added, Ok(()));
    let pending = own_domain(&harness, &owner, &slug).await.expect("claimed");
    assert_eq!(
        (pending.domain.as_str(), pending.state),
        (DOMAIN, DomainState::Pending)
    );
    let records: Vec<(String, String, String)> = pending
        .records
        .iter()
        .map(|record| (record.kind.clone(), record.name.clone(), record.value.clone()))
        .collect();
    assert_eq!(
        records[0],
        ("CNAME".into(), DOMAIN.into(), format!("{shop_host}."))
    );
    assert_eq!(records[1].1, format!("_bibind-challenge.{DOMAIN}"));
    let txt = records[1].2.clone();
    assert!(txt.starts_with("bibind-verification="), "{txt}");

    // Each missing or wrong record is said, and kept for the page.
    let check = || async {
        control
            .check_domain(&owner, &slug, subscription)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(check().await, DomainCheck::Failed(DomainProblem::TxtMissing));
    let shown = own_domain(&harness, &owner, &slug).await.expect("claimed");
    assert_eq!(shown.problem, Some(DomainProblem::TxtMissing));
    assert!(shown.checked_at.is_some());
    dns.set_txt(
        &format!("_bibind-challenge.{DOMAIN}"),
        &["bibind-verification=not-this"],
    );
    assert_eq!(check().await, DomainCheck::Failed(DomainProblem::TxtWrong));
    dns.set_txt(&format!("_bibind-challenge.{DOMAIN}"), &[&txt]);
    assert_eq!(check().await, DomainCheck::Failed(DomainProblem::CnameMissing));
    dns.set_cname(DOMAIN, "elsewhere.example");
    assert_eq!(
        check().await,
        DomainCheck::Failed(DomainProblem::CnameWrong("elsewhere.example".into()))
    );

    // Right at last: the reconciler's round verifies it, the engine binds it.
    dns.set_cname(DOMAIN, &shop_host);
    harness.reconcile().await;
    harness.settle().await;
    let bound = own_domain(&harness, &owner, &slug).await.expect("claimed");
    assert_eq!(bound.state, DomainState::Bound);
    let namespace = format!("/apis/networking.k8s.io/v1/namespaces/{instance}/ingresses/odoo-domain");
    let ingress = kube_object(&harness, &namespace)
        .await
        .expect("the domain's Ingress");
    assert_eq!(ingress["spec"]["rules"][0]["host"], DOMAIN);
    let certificate = kube_object(
        &harness,
        &format!("/apis/cert-manager.io/v1/namespaces/{instance}/certificates/odoo-domain"),
    )
    .await
    .expect("the domain's Certificate");
    assert_eq!(certificate["spec"]["dnsNames"][0], DOMAIN);
    assert_eq!(
        website_domain(&harness, &instance).await,
        format!("https://{DOMAIN}")
    );
    let (status, page) = storefront(&harness, DOMAIN).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("ACME"), "{page}");

    // Cleared behind the engine's back in Odoo: the reconciler sets it again.
    let website = odoo_admin_call(
        &harness,
        &instance,
        "website",
        "search",
        serde_json::json!([[]]),
        serde_json::json!({}),
    )
    .await;
    odoo_admin_call(
        &harness,
        &instance,
        "website",
        "write",
        serde_json::json!([website, {"domain": false}]),
        serde_json::json!({}),
    )
    .await;
    harness.reconcile().await;
    harness.settle().await;
    assert_eq!(
        website_domain(&harness, &instance).await,
        format!("https://{DOMAIN}")
    );

    // Another organization cannot claim it; nobody can claim Bibind's own.
    let (rival, rival_slug, rival_shop) = harness.shop_owner("Rival").await;
    let claim = |raw: &'static str| control.add_domain(&rival, &rival_slug, rival_shop, raw);
    let field = |problem| Err(Refusal::Fields(vec![FieldError::new("domain", problem)]));
    assert_eq!(claim(DOMAIN).await.unwrap(), field(FieldProblem::Taken));
    assert_eq!(
        claim("www.acme.shop.localhost").await.unwrap(),
        field(FieldProblem::Reserved)
    );
    assert_eq!(
        claim("acme-own.example").await.unwrap(),
        field(FieldProblem::NotASubdomain)
    );
    // Nor act on another organization's service.
    assert_eq!(
        control.remove_domain(&rival, &slug, subscription).await.unwrap(),
        Err(Refusal::NotFound)
    );

    // Removed: the Ingress, the Certificate and the website's domain go.
    assert_eq!(
        control.remove_domain(&owner, &slug, subscription).await.unwrap(),
        Ok(())
    );
    harness.settle().await;
    assert!(kube_object(&harness, &namespace).await.is_none());
    assert!(kube_object(
        &harness,
        &format!("/apis/cert-manager.io/v1/namespaces/{instance}/certificates/odoo-domain"),
    )
    .await
    .is_none());
    assert_eq!(website_domain(&harness, &instance).await, Value::Bool(false));
    assert_eq!(own_domain(&harness, &owner, &slug).await, None);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE target = $1 ORDER BY id")
            .bind(format!("domain:{DOMAIN}"))
            .fetch_all(&harness.app.pool)
            .await
            .unwrap();
    assert_eq!(actions, ["domain.add", "domain.verify", "domain.remove"]);
}
