//! Conformance of the OpenStack backend: the real client
//! (`control::backends::openstack::OpenStackClient`) against the REAL
//! Keystone that `cargo xtask test` starts (TEST_KEYSTONE_*), with Nova,
//! Cinder and Neutron quotas served in-process by `sim openstack`, which
//! validates every token at that Keystone. Raw HTTP checks the simulator's
//! own fidelity (fault shapes, validation, microversions, policy) and makes
//! drift the way an operator with the `openstack` CLI would.

// Helpers outside `#[test]` functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use control::backends::{
    openstack::{OpenStack, OpenStackClient, OpenStackSettings, ProjectQuota},
    BackendError,
};
use reqwest::Method;
use serde_json::{json, Value};
use sim::{
    faults::Fault,
    openstack::{catalog, OpenStackSim},
    Served,
};

const TIMEOUT: Duration = Duration::from_secs(2);

const QUOTA: ProjectQuota = ProjectQuota {
    vcpus: 8,
    ram_mib: 16384,
    instances: 4,
    volumes: 6,
    gigabytes: 200,
    networks: 2,
};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `cargo xtask test`, which starts Keystone (or source .data/test-services.env)")
    })
}

/// The subscription the tests' projects are made for.
const SUBSCRIPTION: uuid::Uuid = uuid::Uuid::from_u128(0xb1b1d);

/// A subscription's instance name, as the engine gives it (`tenant-…`).
fn unique_slug() -> String {
    format!("tenant-t{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

fn settings() -> OpenStackSettings {
    OpenStackSettings {
        keystone_url: env("TEST_KEYSTONE_URL"),
        username: env("TEST_KEYSTONE_ADMIN_USER"),
        password: env("TEST_KEYSTONE_ADMIN_PASSWORD"),
        user_domain: env("TEST_KEYSTONE_DOMAIN"),
        project: env("TEST_KEYSTONE_ADMIN_PROJECT"),
        project_domain: env("TEST_KEYSTONE_DOMAIN"),
        region: None,
        compute_url: None,
        volume_url: None,
        network_url: None,
        timeout: TIMEOUT,
    }
}

struct Harness {
    sim: OpenStackSim,
    served: Served,
    client: OpenStackClient,
    keystone: Keystone,
}

async fn harness() -> Harness {
    let sim = OpenStackSim::new(&env("TEST_KEYSTONE_URL")).expect("simulator");
    let served = sim::serve(sim.router()).await.expect("serve the simulator");
    let client = OpenStackClient::new(configured(&served)).expect("client");
    let keystone = Keystone::admin().await;
    Harness {
        sim,
        served,
        client,
        keystone,
    }
}

/// Settings with the quota services' URLs pointing at `served`.
fn configured(served: &Served) -> OpenStackSettings {
    let base = served.url();
    OpenStackSettings {
        compute_url: Some(format!("{base}/compute/v2.1")),
        volume_url: Some(format!("{base}/volume/v3/%(project_id)s")),
        network_url: Some(format!("{base}/network")),
        ..settings()
    }
}

/// Raw calls to Keystone and to the simulator with a token of its own.
struct Keystone {
    http: reqwest::Client,
    url: String,
    token: String,
    project_id: String,
}

impl Keystone {
    async fn admin() -> Self {
        Self::login(
            &env("TEST_KEYSTONE_ADMIN_USER"),
            &env("TEST_KEYSTONE_ADMIN_PASSWORD"),
            &env("TEST_KEYSTONE_ADMIN_PROJECT"),
        )
        .await
    }

    async fn login(user: &str, password: &str, project: &str) -> Self {
        let url = env("TEST_KEYSTONE_URL")
            .trim_end_matches('/')
            .trim_end_matches("/v3")
            .to_owned();
        let domain = env("TEST_KEYSTONE_DOMAIN");
        let http = reqwest::Client::new();
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {"name": user, "domain": {"name": domain}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": domain}}}
        }});
        let response = http
            .post(format!("{url}/v3/auth/tokens"))
            .json(&body)
            .send()
            .await
            .expect("Keystone answers");
        assert_eq!(response.status(), 201, "authenticating {user}");
        let token = response.headers()["x-subject-token"]
            .to_str()
            .expect("token")
            .to_owned();
        let body: Value = response.json().await.expect("token body");
        let project_id = body["token"]["project"]["id"]
            .as_str()
            .expect("project id")
            .to_owned();
        Self {
            http,
            url,
            token,
            project_id,
        }
    }

    async fn call(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, url).header("X-Auth-Token", &self.token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn identity(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(method, &format!("{}{path}", self.url), &[], body).await
    }

    async fn project_by_name(&self, name: &str) -> Vec<Value> {
        let (status, body) = self
            .identity(Method::GET, &format!("/v3/projects?name={name}"), None)
            .await;
        assert_eq!(status, 200);
        body["projects"].as_array().expect("projects").clone()
    }

    /// Deletes a project (disabled first), whatever its tags.
    async fn purge_project(&self, id: &str) {
        self.identity(
            Method::PATCH,
            &format!("/v3/projects/{id}"),
            Some(json!({"project": {"enabled": false}})),
        )
        .await;
        self.identity(Method::DELETE, &format!("/v3/projects/{id}"), None)
            .await;
    }
}

/// What a project uses, through the simulator's test hook.
async fn set_usage(served: &Served, service: &str, project_id: &str, usage: Value) {
    let response = reqwest::Client::new()
        .put(format!("{}/_sim/usage/{service}/{project_id}", served.url()))
        .json(&usage)
        .send()
        .await
        .expect("usage");
    assert_eq!(response.status(), 204);
}

fn is_transient(result: &Result<impl std::fmt::Debug, BackendError>) -> bool {
    matches!(result, Err(BackendError::Transient { .. }))
}

fn refused_detail<T: std::fmt::Debug>(result: Result<T, BackendError>) -> String {
    match result {
        Err(BackendError::Refused { detail, .. }) => detail,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_project_is_created_once_given_quotas_observed_and_removed() {
    let h = harness().await;
    let slug = unique_slug();
    let id = h
        .client
        .ensure_project(&slug, SUBSCRIPTION, "Acme e-commerce")
        .await
        .expect("create");
    let again = h
        .client
        .ensure_project(&slug, SUBSCRIPTION, "Acme e-commerce")
        .await
        .expect("ensure again");
    assert_eq!(id, again);
    let found = h.keystone.project_by_name(&slug).await;
    assert_eq!(found.len(), 1, "no duplicate project");
    assert_eq!(
        found[0]["tags"],
        json!(["bibind", format!("bibind-subscription-{SUBSCRIPTION}")])
    );
    assert_eq!(found[0]["description"], "Acme e-commerce");

    h.client.set_quota(&id, &QUOTA).await.expect("set quota");
    h.client.set_quota(&id, &QUOTA).await.expect("set quota again");
    let observed = h
        .client
        .observe(&slug)
        .await
        .expect("observe")
        .expect("the project");
    assert_eq!(observed.id, id);
    assert!(observed.enabled);
    assert_eq!(observed.quota, QUOTA);

    h.client
        .remove_project(&slug, SUBSCRIPTION)
        .await
        .expect("remove");
    assert_eq!(h.client.observe(&slug).await.expect("observe"), None);
    assert!(h.keystone.project_by_name(&slug).await.is_empty());
    // Quotas went back to the defaults before the project went (Cinder and
    // Neutron show any project's; Nova refuses one Keystone no longer knows).
    let base = h.served.url();
    let (status, body) = h
        .keystone
        .call(
            Method::GET,
            &format!("{base}/volume/v3/os-quota-sets/{id}"),
            &[],
            None,
        )
        .await;
    assert_eq!((status, body["quota_set"]["volumes"].clone()), (200, json!(10)));
    let (status, body) = h
        .keystone
        .call(
            Method::GET,
            &format!("{base}/network/v2.0/quotas/{id}"),
            &[],
            None,
        )
        .await;
    assert_eq!((status, body["quota"]["network"].clone()), (200, json!(100)));
    let (status, body) = h
        .keystone
        .call(
            Method::GET,
            &format!("{base}/compute/v2.1/os-quota-sets/{id}"),
            &[],
            None,
        )
        .await;
    assert_eq!(
        (status, body["badRequest"]["message"].clone()),
        (400, json!(format!("Project ID {id} is not a valid project.")))
    );
    h.client
        .remove_project(&slug, SUBSCRIPTION)
        .await
        .expect("removing again is a success");
}

#[tokio::test]
async fn drift_in_keystone_and_in_the_quotas_is_corrected() {
    let h = harness().await;
    let slug = unique_slug();
    let id = h
        .client
        .ensure_project(&slug, SUBSCRIPTION, "first")
        .await
        .expect("create");
    h.client.set_quota(&id, &QUOTA).await.expect("quota");

    // An operator changes the description and raises Nova's and Neutron's limits by hand.
    let (status, _) = h
        .keystone
        .identity(
            Method::PATCH,
            &format!("/v3/projects/{id}"),
            Some(json!({"project": {"description": "edited"}})),
        )
        .await;
    assert_eq!(status, 200);
    let base = h.served.url();
    let (status, _) = h
        .keystone
        .call(
            Method::PUT,
            &format!("{base}/compute/v2.1/os-quota-sets/{id}"),
            &[],
            Some(json!({"quota_set": {"cores": 64, "instances": -1}})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = h
        .keystone
        .call(
            Method::PUT,
            &format!("{base}/network/v2.0/quotas/{id}"),
            &[],
            Some(json!({"quota": {"network": 50}})),
        )
        .await;
    assert_eq!(status, 200);
    let drifted = h.client.observe(&slug).await.expect("observe").expect("project");
    assert_eq!(drifted.quota.vcpus, 64);
    assert_eq!(
        drifted.quota.instances,
        u32::MAX,
        "unlimited reads as the largest limit"
    );
    assert_eq!(drifted.quota.networks, 50);

    assert_eq!(
        h.client
            .ensure_project(&slug, SUBSCRIPTION, "first")
            .await
            .expect("ensure"),
        id
    );
    h.client.set_quota(&id, &QUOTA).await.expect("correct the quota");
    let found = h.keystone.project_by_name(&slug).await;
    assert_eq!(found[0]["description"], "first");
    assert_eq!(
        h.client
            .observe(&slug)
            .await
            .expect("observe")
            .expect("project")
            .quota,
        QUOTA
    );
    h.client
        .remove_project(&slug, SUBSCRIPTION)
        .await
        .expect("remove");
}

#[tokio::test]
async fn a_project_is_suspended_and_resumed() {
    let h = harness().await;
    let slug = unique_slug();
    let id = h
        .client
        .ensure_project(&slug, SUBSCRIPTION, "suspend me")
        .await
        .expect("create");
    h.client.set_project_enabled(&id, false).await.expect("disable");
    h.client
        .set_project_enabled(&id, false)
        .await
        .expect("disable again");
    assert!(
        !h.client
            .observe(&slug)
            .await
            .expect("observe")
            .expect("project")
            .enabled
    );
    // Ensuring does not resume a suspended project.
    h.client
        .ensure_project(&slug, SUBSCRIPTION, "suspend me")
        .await
        .expect("ensure");
    assert!(
        !h.client
            .observe(&slug)
            .await
            .expect("observe")
            .expect("project")
            .enabled
    );
    h.client.set_project_enabled(&id, true).await.expect("enable");
    assert!(
        h.client
            .observe(&slug)
            .await
            .expect("observe")
            .expect("project")
            .enabled
    );
    // A disabled project is removed too.
    h.client.set_project_enabled(&id, false).await.expect("disable");
    h.client
        .remove_project(&slug, SUBSCRIPTION)
        .await
        .expect("remove");
    let gone = h.client.set_project_enabled(&id, true).await;
    assert!(refused_detail(gone).contains("does not exist"));
}

#[tokio::test]
async fn concurrent_ensures_converge_on_one_project() {
    let h = harness().await;
    let other = OpenStackClient::new(configured(&h.served)).expect("second client");
    let slug = unique_slug();
    let (first, second) = tokio::join!(
        h.client.ensure_project(&slug, SUBSCRIPTION, "race"),
        other.ensure_project(&slug, SUBSCRIPTION, "race")
    );
    assert_eq!(first.expect("first"), second.expect("second"));
    assert_eq!(h.keystone.project_by_name(&slug).await.len(), 1);
    h.client
        .remove_project(&slug, SUBSCRIPTION)
        .await
        .expect("remove");
}

#[tokio::test]
async fn a_project_without_the_bibind_tag_is_left_alone() {
    let h = harness().await;
    let slug = unique_slug();
    let (status, body) = h
        .keystone
        .identity(
            Method::POST,
            "/v3/projects",
            Some(json!({"project": {"name": slug.clone(), "domain_id": "default", "description": "theirs"}})),
        )
        .await;
    assert_eq!(status, 201);
    let id = body["project"]["id"].as_str().expect("id").to_owned();
    let not_ours = "exists and is not ours";
    let detail = refused_detail(h.client.ensure_project(&slug, SUBSCRIPTION, "ours").await);
    assert!(detail.contains(not_ours), "{detail}");
    let detail = refused_detail(h.client.remove_project(&slug, SUBSCRIPTION).await);
    assert!(detail.contains(not_ours), "{detail}");
    assert!(refused_detail(h.client.observe(&slug).await).contains(not_ours));
    let found = &h.keystone.project_by_name(&slug).await[0];
    assert_eq!(
        (&found["description"], &found["enabled"], &found["tags"]),
        (&json!("theirs"), &json!(true), &json!([])),
        "nothing changed on it"
    );
    h.keystone.purge_project(&id).await;
}

#[tokio::test]
async fn another_subscriptions_project_of_the_same_name_is_never_taken_over() {
    let h = harness().await;
    let slug = unique_slug();
    let other = uuid::Uuid::from_u128(0xdead);
    let id = h
        .client
        .ensure_project(&slug, other, "the other subscription's")
        .await
        .expect("create");
    let detail = refused_detail(h.client.ensure_project(&slug, SUBSCRIPTION, "ours").await);
    assert!(detail.contains("exists and is not ours"), "{detail}");
    let detail = refused_detail(h.client.remove_project(&slug, SUBSCRIPTION).await);
    assert!(detail.contains("exists and is not ours"), "{detail}");
    let found = &h.keystone.project_by_name(&slug).await[0];
    assert_eq!(
        (&found["id"], &found["description"], &found["enabled"]),
        (&json!(id), &json!("the other subscription's"), &json!(true)),
        "nothing changed on it"
    );
    h.client
        .remove_project(&slug, other)
        .await
        .expect("its owner removes it");
}

#[tokio::test]
async fn a_project_bibind_made_before_projects_named_their_subscription_is_adopted_and_marked() {
    let h = harness().await;
    let slug = unique_slug();
    let (status, body) = h
        .keystone
        .identity(
            Method::POST,
            "/v3/projects",
            Some(json!({"project": {"name": slug.clone(), "domain_id": "default", "description": "older", "tags": ["bibind"]}})),
        )
        .await;
    assert_eq!(status, 201);
    let id = body["project"]["id"].as_str().expect("id").to_owned();
    let ensured = h
        .client
        .ensure_project(&slug, SUBSCRIPTION, "adopted")
        .await
        .expect("adopted");
    assert_eq!(ensured, id);
    let found = &h.keystone.project_by_name(&slug).await[0];
    assert_eq!(
        found["tags"],
        json!(["bibind", format!("bibind-subscription-{SUBSCRIPTION}")])
    );
    assert_eq!(found["description"], "adopted");
    h.client
        .remove_project(&slug, SUBSCRIPTION)
        .await
        .expect("remove");
}

#[tokio::test]
async fn bad_names_and_bad_credentials_are_refused_without_leaking_the_password() {
    let h = harness().await;
    assert!(
        refused_detail(h.client.ensure_project("Bad Name", SUBSCRIPTION, "x").await)
            .contains("cannot name a project")
    );
    let wrong = OpenStackClient::new(OpenStackSettings {
        password: "not-the-password".into(),
        ..configured(&h.served)
    })
    .expect("client");
    let detail = refused_detail(wrong.ensure_project(&unique_slug(), SUBSCRIPTION, "x").await);
    assert!(detail.contains("401"), "{detail}");
    assert!(!detail.contains("not-the-password"));
    assert!(!detail.contains(&env("TEST_KEYSTONE_ADMIN_PASSWORD")));
}

#[tokio::test]
async fn injected_faults_are_transient_or_refused_and_a_hang_times_out() {
    let h = harness().await;
    let slug = unique_slug();
    let id = h
        .client
        .ensure_project(&slug, SUBSCRIPTION, "faults")
        .await
        .expect("create");
    let faults = h.sim.faults();

    let once = |status: u16| Fault {
        status: Some(status),
        times: Some(1),
        ..Fault::default()
    };
    faults.set("nova_update_quota", once(503));
    assert!(is_transient(&h.client.set_quota(&id, &QUOTA).await));
    faults.set("neutron_update_quota", once(500));
    assert!(is_transient(&h.client.set_quota(&id, &QUOTA).await));
    faults.set("cinder_update_quota", once(409));
    assert!(is_transient(&h.client.set_quota(&id, &QUOTA).await));
    faults.set("cinder_update_quota", once(429));
    assert!(is_transient(&h.client.set_quota(&id, &QUOTA).await));
    h.client
        .set_quota(&id, &QUOTA)
        .await
        .expect("succeeds once the faults are spent");

    faults.set("nova_show_quota", once(403));
    let detail = refused_detail(h.client.observe(&slug).await);
    assert!(
        detail.contains("forbidden"),
        "the service's own fault is kept: {detail}"
    );
    faults.set("neutron_show_quota", once(404));
    assert!(refused_detail(h.client.observe(&slug).await).contains("HTTPNotFound"));
    // Quotas already gone count as reset.
    faults.set("nova_delete_quota", once(404));

    // A 401 makes the client authenticate again, once.
    faults.set("cinder_show_quota", once(401));
    assert_eq!(
        h.client
            .observe(&slug)
            .await
            .expect("retried with a new token")
            .expect("project")
            .quota,
        QUOTA
    );
    faults.set(
        "cinder_show_quota",
        Fault {
            status: Some(401),
            times: Some(2),
            ..Fault::default()
        },
    );
    assert!(refused_detail(h.client.observe(&slug).await).contains("401"));

    faults.set(
        "neutron_show_quota",
        Fault {
            hang: true,
            times: Some(1),
            ..Fault::default()
        },
    );
    let started = Instant::now();
    assert!(is_transient(&h.client.observe(&slug).await));
    assert!(started.elapsed() < TIMEOUT * 3, "ended by the client's timeout");

    h.client
        .remove_project(&slug, SUBSCRIPTION)
        .await
        .expect("remove");
}

#[tokio::test]
async fn lowering_a_limit_below_the_usage_is_refused() {
    let h = harness().await;
    let slug = unique_slug();
    let id = h
        .client
        .ensure_project(&slug, SUBSCRIPTION, "usage")
        .await
        .expect("create");
    for (service, usage) in [
        ("compute", json!({"cores": 12})),
        ("volume", json!({"volumes": 9})),
        ("network", json!({"network": 3})),
    ] {
        set_usage(&h.served, service, &id, usage).await;
    }
    let detail = refused_detail(h.client.set_quota(&id, &QUOTA).await);
    assert!(detail.contains("already used and reserved 12"), "{detail}");
    let generous = ProjectQuota { vcpus: 12, ..QUOTA };
    let detail = refused_detail(h.client.set_quota(&id, &generous).await);
    assert!(detail.contains("Current usage is 9"), "{detail}");
    let generous = ProjectQuota {
        vcpus: 12,
        volumes: 9,
        ..QUOTA
    };
    let detail = refused_detail(h.client.set_quota(&id, &generous).await);
    assert!(
        detail.contains("HTTPBadRequest") && detail.contains("already used 3"),
        "{detail}"
    );
    let generous = ProjectQuota {
        vcpus: 12,
        volumes: 9,
        networks: 3,
        ..QUOTA
    };
    h.client
        .set_quota(&id, &generous)
        .await
        .expect("limits at the usage are fine");
    h.client
        .remove_project(&slug, SUBSCRIPTION)
        .await
        .expect("remove");
}

/// The test stack's admin, as the simulator's registration signs in.
fn admin() -> catalog::Admin {
    catalog::Admin {
        user: env("TEST_KEYSTONE_ADMIN_USER"),
        password: env("TEST_KEYSTONE_ADMIN_PASSWORD"),
        project: env("TEST_KEYSTONE_ADMIN_PROJECT"),
        domain: env("TEST_KEYSTONE_DOMAIN"),
    }
}

/// The public endpoints of the catalog's services in `region`, by type.
async fn catalog_in(keystone: &Keystone, region: &str) -> Vec<(String, String)> {
    let (status, services) = keystone.identity(Method::GET, "/v3/services", None).await;
    assert_eq!(status, 200);
    let (status, endpoints) = keystone
        .identity(
            Method::GET,
            &format!("/v3/endpoints?interface=public&region_id={region}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let kind_of = |service_id: &Value| {
        services["services"]
            .as_array()
            .expect("services")
            .iter()
            .find(|service| service["id"] == *service_id)
            .map(|service| service["type"].as_str().expect("type").to_owned())
            .expect("the endpoint's service")
    };
    let mut found: Vec<(String, String)> = endpoints["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|endpoint| {
            (
                kind_of(&endpoint["service_id"]),
                endpoint["url"].as_str().expect("url").to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn the_client_finds_the_quota_services_in_keystones_catalog() {
    let h = harness().await;
    let base = h.served.url();
    // A region of this test's own: parallel tests register theirs.
    let region = format!("test-{}", unique_slug());
    let registered = catalog::register(&env("TEST_KEYSTONE_URL"), &admin(), &region, &base)
        .await
        .expect("registered");
    let again = catalog::register(&env("TEST_KEYSTONE_URL"), &admin(), &region, &base)
        .await
        .expect("registered again");
    assert_eq!(registered, again, "registering again changes nothing");
    let expected: Vec<(String, String)> = [
        ("block-storage", "/volume/v3"),
        ("compute", "/compute/v2.1"),
        ("network", "/network"),
        ("volumev3", "/volume/v3"),
    ]
    .iter()
    .map(|(kind, path)| ((*kind).to_owned(), format!("{base}{path}")))
    .collect();
    assert_eq!(catalog_in(&h.keystone, &region).await, expected);

    // No URL configured: all three services come from the catalog.
    let from_catalog = OpenStackClient::new(OpenStackSettings {
        region: Some(region.clone()),
        ..settings()
    })
    .expect("client");
    let slug = unique_slug();
    let id = from_catalog
        .ensure_project(&slug, SUBSCRIPTION, "catalog")
        .await
        .expect("create");
    from_catalog
        .set_quota(&id, &QUOTA)
        .await
        .expect("quota through the catalog's endpoints");
    assert_eq!(
        from_catalog
            .observe(&slug)
            .await
            .expect("observe")
            .expect("project")
            .quota,
        QUOTA
    );

    // Cinder under its older type, with the project in its URL (Keystone
    // puts the token's project in).
    let endpoint_of = |kind: &str| {
        registered
            .iter()
            .find(|endpoint| endpoint.service_type == kind)
            .map(|endpoint| endpoint.endpoint_id.clone())
            .expect("registered")
    };
    let (status, _) = h
        .keystone
        .identity(
            Method::DELETE,
            &format!("/v3/endpoints/{}", endpoint_of("block-storage")),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = h
        .keystone
        .identity(
            Method::PATCH,
            &format!("/v3/endpoints/{}", endpoint_of("volumev3")),
            Some(json!({"endpoint": {"url": format!("{base}/volume/v3/$(project_id)s")}})),
        )
        .await;
    assert_eq!(status, 200);
    let older = OpenStackClient::new(OpenStackSettings {
        region: Some(region.clone()),
        ..settings()
    })
    .expect("client");
    let larger = ProjectQuota { volumes: 7, ..QUOTA };
    older
        .set_quota(&id, &larger)
        .await
        .expect("quota through volumev3");
    assert_eq!(
        older
            .observe(&slug)
            .await
            .expect("observe")
            .expect("project")
            .quota,
        larger
    );
    older.remove_project(&slug, SUBSCRIPTION).await.expect("remove");

    // Not in a region without endpoints.
    let elsewhere = OpenStackClient::new(OpenStackSettings {
        region: Some("nowhere".into()),
        ..settings()
    })
    .expect("client");
    let detail = refused_detail(elsewhere.set_quota(&id, &QUOTA).await);
    assert!(
        detail.contains("no public compute endpoint in region nowhere"),
        "{detail}"
    );

    // The services stay (other regions may use them); this region goes.
    let remaining = catalog::register(&env("TEST_KEYSTONE_URL"), &admin(), &region, &base)
        .await
        .expect("registered once more");
    for endpoint in remaining {
        h.keystone
            .identity(
                Method::DELETE,
                &format!("/v3/endpoints/{}", endpoint.endpoint_id),
                None,
            )
            .await;
    }
    let (status, _) = h
        .keystone
        .identity(Method::DELETE, &format!("/v3/regions/{region}"), None)
        .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn discovery_leads_to_the_versioned_endpoints() {
    let h = harness().await;
    let base = h.served.url();
    let http = reqwest::Client::new();
    let anonymous = |path: &str| {
        let request = http.get(format!("{base}{path}"));
        async move {
            let response = request.send().await.expect("an answer");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    let (status, body) = anonymous("/compute/").await;
    assert_eq!(status, 200);
    assert_eq!(body["versions"][1]["id"], "v2.1");
    assert_eq!(body["versions"][1]["min_version"], "2.1");
    assert_eq!(body["versions"][1]["version"], "2.96");
    assert_eq!(
        body["versions"][1]["links"][0],
        json!({"rel": "self", "href": format!("{base}/compute/v2.1/")})
    );
    let (status, body) = anonymous("/compute/v2.1/").await;
    assert_eq!(
        (status, body["version"]["status"].clone()),
        (200, json!("CURRENT"))
    );
    assert_eq!(
        body["version"]["links"][0]["href"],
        format!("{base}/compute/v2.1/")
    );

    let (status, body) = anonymous("/volume/").await;
    assert_eq!(status, 300, "Cinder's root answers Multiple Choices");
    assert_eq!(body["versions"][0]["id"], "v3.0");
    assert_eq!(body["versions"][0]["version"], "3.71");
    assert_eq!(
        body["versions"][0]["links"][1]["href"],
        format!("{base}/volume/v3/")
    );
    let (status, _) = anonymous("/volume/v3/").await;
    assert_eq!(status, 401, "behind keystonemiddleware");
    let (status, body) = h
        .keystone
        .call(Method::GET, &format!("{base}/volume/v3/"), &[], None)
        .await;
    assert_eq!(
        (status, body["versions"][0]["min_version"].clone()),
        (200, json!("3.0"))
    );

    let (status, body) = anonymous("/network").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["versions"],
        json!([{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": format!("{base}/network/v2.0/")}]}])
    );
    let (status, _) = anonymous("/network/v2.0/").await;
    assert_eq!(status, 401);
    let (status, body) = h
        .keystone
        .call(Method::GET, &format!("{base}/network/v2.0/"), &[], None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["resources"][0],
        json!({"name": "network", "collection": "networks", "links": [{"rel": "self", "href": format!("{base}/network/v2.0/networks")}]})
    );

    // Paths the services do not have: keystonemiddleware's 401 first, then
    // 404 in each one's shape.
    for path in [
        "/compute/v2.1/os-hypervisors",
        "/network/v2.0/floatingips",
        "/network/v2.0",
    ] {
        assert_eq!(anonymous(path).await.0, 401, "{path}");
    }
    let (status, body) = h
        .keystone
        .call(
            Method::GET,
            &format!("{base}/compute/v2.1/os-hypervisors"),
            &[],
            None,
        )
        .await;
    assert_eq!(
        (status, body["itemNotFound"]["message"].clone()),
        (404, json!("The resource could not be found."))
    );
    for path in ["/network/v2.0/floatingips", "/network/v2.0"] {
        let (status, body) = h
            .keystone
            .call(Method::GET, &format!("{base}{path}"), &[], None)
            .await;
        assert_eq!(
            (status, body["NeutronError"]["type"].clone()),
            (404, json!("HTTPNotFound")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_simulated_nova_validates_as_nova_does() {
    let h = harness().await;
    let k = &h.keystone;
    let slug = unique_slug();
    let project = h
        .client
        .ensure_project(&slug, SUBSCRIPTION, "nova")
        .await
        .expect("project");
    let url = format!("{}/compute/v2.1/os-quota-sets/{project}", h.served.url());
    let v257 = [("OpenStack-API-Version", "compute 2.57")];

    // Nova asks Keystone whether the project exists.
    let unknown = uuid::Uuid::new_v4().simple().to_string();
    for path in ["", "/detail", "/defaults"] {
        let (status, body) = k
            .call(
                Method::GET,
                &format!("{}/compute/v2.1/os-quota-sets/{unknown}{path}", h.served.url()),
                &v257,
                None,
            )
            .await;
        assert_eq!(
            (status, body["badRequest"]["message"].clone()),
            (
                400,
                json!(format!("Project ID {unknown} is not a valid project."))
            ),
            "{path}"
        );
    }

    let (status, body) = k
        .call(
            Method::PUT,
            &url,
            &v257,
            Some(json!({"quota_set": {"cores": -2}})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["badRequest"]["code"], 400);
    assert!(body["badRequest"]["message"]
        .as_str()
        .expect("message")
        .contains("less than the minimum of -1"));
    let (status, body) = k
        .call(
            Method::PUT,
            &url,
            &v257,
            Some(json!({"quota_set": {"injected_files": 1}})),
        )
        .await;
    assert_eq!(status, 400, "injected_files left at 2.57: {body}");
    let (status, _) = k
        .call(
            Method::PUT,
            &url,
            &[],
            Some(json!({"quota_set": {"injected_files": 1}})),
        )
        .await;
    assert_eq!(status, 200, "2.1 still has injected_files");
    let (status, body) = k
        .call(
            Method::PUT,
            &url,
            &v257,
            Some(json!({"quota_set": {"cores": "6", "ram": -1}})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["quota_set"]["cores"].clone(), body["quota_set"].get("id")),
        (json!(6), None)
    );

    set_usage(&h.served, "compute", &project, json!({"cores": 5})).await;
    let (status, _) = k
        .call(Method::PUT, &url, &v257, Some(json!({"quota_set": {"cores": 4}})))
        .await;
    assert_eq!(status, 400);
    let (status, _) = k
        .call(
            Method::PUT,
            &url,
            &v257,
            Some(json!({"quota_set": {"cores": 4, "force": true}})),
        )
        .await;
    assert_eq!(status, 200, "force skips the usage check");
    let (status, body) = k.call(Method::GET, &format!("{url}/detail"), &v257, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["quota_set"]["cores"],
        json!({"in_use": 5, "limit": 4, "reserved": 0})
    );
    assert_eq!(body["quota_set"]["id"], json!(project));

    let (status, body) = k
        .call(
            Method::GET,
            &url,
            &[("OpenStack-API-Version", "compute 2.200")],
            None,
        )
        .await;
    assert_eq!(status, 406);
    assert!(body["computeFault"]["message"]
        .as_str()
        .expect("message")
        .contains("not supported"));
    let (status, body) = k.call(Method::DELETE, &url, &v257, None).await;
    assert_eq!((status, body), (202, Value::Null));
    let (_, body) = k.call(Method::GET, &url, &v257, None).await;
    assert_eq!(body["quota_set"]["cores"], 20);
    assert_eq!(body["quota_set"].get("injected_files"), None);
    h.client
        .remove_project(&slug, SUBSCRIPTION)
        .await
        .expect("remove");
}

#[tokio::test]
async fn the_simulated_cinder_and_neutron_validate_as_they_do() {
    let h = harness().await;
    let k = &h.keystone;
    let project = uuid::Uuid::new_v4().simple().to_string();
    let cinder = format!(
        "{}/volume/v3/{}/os-quota-sets/{project}",
        h.served.url(),
        k.project_id
    );

    let (status, body) = k
        .call(
            Method::PUT,
            &cinder,
            &[],
            Some(json!({"quota_set": {"volumes": 3, "bogus": 1}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["badRequest"]["message"]
        .as_str()
        .expect("message")
        .contains("Bad key(s) in quota set: bogus"));
    let (status, _) = k
        .call(
            Method::PUT,
            &cinder,
            &[],
            Some(json!({"quota_set": {"volumes": 3}, "skip_validation": false})),
        )
        .await;
    assert_eq!(status, 400, "the body holds only quota_set");
    let (status, _) = k
        .call(
            Method::PUT,
            &cinder,
            &[],
            Some(json!({"quota_set": {"volumes": -2}})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, body) = k
        .call(
            Method::PUT,
            &cinder,
            &[],
            Some(json!({"quota_set": {"volumes": 3}})),
        )
        .await;
    assert_eq!((status, body["quota_set"]["volumes"].clone()), (200, json!(3)));
    let (_, body) = k
        .call(Method::GET, &format!("{cinder}?usage=True"), &[], None)
        .await;
    assert_eq!(
        body["quota_set"]["volumes"],
        json!({"in_use": 0, "limit": 3, "reserved": 0})
    );
    let other_admin_project = format!("{}/volume/v3/{project}/os-quota-sets/{project}", h.served.url());
    let (status, body) = k.call(Method::GET, &other_admin_project, &[], None).await;
    assert_eq!(
        (status, body["badRequest"]["message"].clone()),
        (400, json!("Malformed request url"))
    );
    // Without the project in the URL (Cinder routes both): the same quotas.
    let projectless = format!("{}/volume/v3/os-quota-sets/{project}", h.served.url());
    let (status, _) = k
        .call(
            Method::PUT,
            &projectless,
            &[],
            Some(json!({"quota_set": {"gigabytes": 40}})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = k.call(Method::GET, &cinder, &[], None).await;
    assert_eq!(
        (
            body["quota_set"]["volumes"].clone(),
            body["quota_set"]["gigabytes"].clone()
        ),
        (json!(3), json!(40))
    );
    let (status, _) = k.call(Method::DELETE, &cinder, &[], None).await;
    assert_eq!(status, 200);
    let (_, body) = k.call(Method::GET, &projectless, &[], None).await;
    assert_eq!(body["quota_set"]["volumes"], 10);

    let neutron = format!("{}/network/v2.0/quotas/{project}", h.served.url());
    let (status, body) = k
        .call(
            Method::PUT,
            &neutron,
            &[],
            Some(json!({"quota": {"network": 1, "bogus": 1}})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["NeutronError"]["type"], "HTTPBadRequest");
    assert_eq!(
        body["NeutronError"]["message"],
        "Unrecognized attribute(s) 'bogus'"
    );
    let (status, body) = k
        .call(
            Method::PUT,
            &neutron,
            &[],
            Some(json!({"quota": {"network": -5}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["NeutronError"]["message"]
        .as_str()
        .expect("message")
        .contains("too small"));
    let (status, body) = k
        .call(
            Method::PUT,
            &format!("{neutron}.json"),
            &[],
            Some(json!({"quota": {"network": 7}})),
        )
        .await;
    assert_eq!((status, body["quota"]["network"].clone()), (200, json!(7)));
    let (_, body) = k
        .call(Method::GET, &format!("{neutron}/details.json"), &[], None)
        .await;
    assert_eq!(
        body["quota"]["network"],
        json!({"limit": 7, "used": 0, "reserved": 0})
    );
    let (_, body) = k
        .call(Method::GET, &format!("{neutron}/default"), &[], None)
        .await;
    assert_eq!(body["quota"]["network"], 100);
    // From 2025.1 Neutron checks the usage unless forced (`check_limit`
    // is no longer needed), and only a JSON `true` forces.
    set_usage(&h.served, "network", &project, json!({"network": 3})).await;
    for body in [
        json!({"quota": {"network": 2}}),
        json!({"quota": {"network": 2, "force": "true"}}),
    ] {
        let (status, answer) = k.call(Method::PUT, &neutron, &[], Some(body)).await;
        assert_eq!(
            (status, answer["NeutronError"]["message"].clone()),
            (
                400,
                json!("Quota limit 2 for network must be greater than or equal to already used 3")
            )
        );
    }
    let (status, body) = k
        .call(
            Method::PUT,
            &neutron,
            &[],
            Some(json!({"quota": {"network": 2, "force": true}})),
        )
        .await;
    assert_eq!((status, body["quota"]["network"].clone()), (200, json!(2)));
    let (status, _) = k.call(Method::DELETE, &neutron, &[], None).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn the_simulator_checks_tokens_at_keystone_and_roles() {
    let h = harness().await;
    let k = &h.keystone;
    let http = reqwest::Client::new();
    let url = format!("{}/compute/v2.1/os-quota-sets/{}", h.served.url(), k.project_id);
    for token in [None, Some("gAAAAABnot-a-real-token")] {
        let mut request = http.get(&url);
        if let Some(token) = token {
            request = request.header("X-Auth-Token", token);
        }
        let response = request.send().await.expect("answer");
        assert_eq!(response.status(), 401);
        assert!(response.headers()["www-authenticate"]
            .to_str()
            .expect("header")
            .starts_with("Keystone uri="));
        let body: Value = response.json().await.expect("body");
        assert_eq!(body["error"]["title"], "Unauthorized");
    }

    // A member of a tenant project may read its own quotas, not change them.
    let slug = unique_slug();
    let project_id = h
        .client
        .ensure_project(&slug, SUBSCRIPTION, "members")
        .await
        .expect("project");
    let user = format!("member-{slug}");
    let password = uuid::Uuid::new_v4().to_string();
    let (status, body) = k
        .identity(
            Method::POST,
            "/v3/users",
            Some(json!({"user": {"name": user, "domain_id": "default", "password": password}})),
        )
        .await;
    assert_eq!(status, 201);
    let user_id = body["user"]["id"].as_str().expect("user id").to_owned();
    let (_, roles) = k.identity(Method::GET, "/v3/roles?name=member", None).await;
    let role_id = roles["roles"][0]["id"].as_str().expect("member role").to_owned();
    let (status, _) = k
        .identity(
            Method::PUT,
            &format!("/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);

    let member = Keystone::login(&user, &password, &slug).await;
    let own = format!("{}/compute/v2.1/os-quota-sets/{project_id}", h.served.url());
    let (status, _) = member.call(Method::GET, &own, &[], None).await;
    assert_eq!(status, 200);
    let (status, body) = member
        .call(Method::PUT, &own, &[], Some(json!({"quota_set": {"cores": 99}})))
        .await;
    assert_eq!(status, 403);
    assert!(body["forbidden"]["message"]
        .as_str()
        .expect("message")
        .contains("os-quota-sets:update"));
    let (status, body) = member
        .call(
            Method::PUT,
            &format!("{}/network/v2.0/quotas/{project_id}", h.served.url()),
            &[],
            Some(json!({"quota": {"network": 99}})),
        )
        .await;
    assert_eq!(
        (status, body["NeutronError"]["type"].clone()),
        (403, json!("PolicyNotAuthorized"))
    );

    k.identity(Method::DELETE, &format!("/v3/users/{user_id}"), None)
        .await;
    h.client
        .remove_project(&slug, SUBSCRIPTION)
        .await
        .expect("remove");
}
