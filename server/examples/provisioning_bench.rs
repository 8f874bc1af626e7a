//! Complete provisioning workflows, run by `cargo xtask bench`: the real
//! `ProvisioningRunner` and job queue provisioning subscriptions of the three
//! offers (`shop-business`, `learn-class`, `iot-lab`: requested → active) on
//! backends with zero latency. Prints, twice:
//!
//! 1. every backend simulated in this process with no added latency: the
//!    Kubernetes, Odoo, AWX (jobs take 0 s) and GitLab simulators, and
//!    in-memory fakes of Vault, Hydra, MQTT and OpenStack, which otherwise
//!    exist here only as real servers;
//! 2. the same with the real OpenBao, Hydra, Mosquitto and Keystone of the
//!    test stack (and the OpenStack quota simulator in front of Keystone).
//!
//! For each: the engine's own overhead per step (one worker: a workflow's
//! time minus the time spent inside its steps, divided by its steps; p50 and
//! p99 over workflows), the time inside a step, and complete workflows per
//! minute with several workers. Needs `TEST_DATABASE_URL` (it creates and
//! drops a database of its own) and, for the second run, the other `TEST_*`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/it/support/openstack_settings.rs"]
mod openstack_settings;
#[path = "support/stats.rs"]
mod stats;

use std::{
    collections::{BTreeMap, HashMap},
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use control::{
    backends::{
        awx::AwxClient,
        gitlab::GitlabClient,
        kubernetes::KubernetesClient,
        mqtt::{MqttAccess, MqttAdminClient, ObservedMqttTenant},
        oauth_clients::{HydraClients, OAuthClientSpec, OAuthClients, ObservedClient},
        odoo::OdooClient,
        openstack::{ObservedProject, OpenStack, OpenStackClient, ProjectQuota},
        vault::{ObservedTenantVault, SecretStore, TenantVault, VaultClient},
        BackendError,
    },
    clock::SystemClock,
    domain::{NewOrganization, RetryPolicy},
    infra::store::Db,
    jobs::{ClaimedJob, StepOutcome, StepRunner, Worker},
    provisioning::{Backends, ProvisioningRunner, ProvisioningSettings},
    Caller, Control,
};
use openstack_settings::simulated_openstack;
use sqlx::{Connection, Executor, PgConnection};
use stats::percentile;
use uuid::Uuid;

const PLANS: [&str; 3] = ["shop-business", "learn-class", "iot-lab"];
const WORKERS: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(10);
const ODOO_MASTER: &str = "bench-odoo-master";
const AWX_TOKEN: &str = "bench-awx-token";
const GITLAB_TOKEN: &str = "bench-gitlab-token";
const DATABASE_TEMPLATE: &str = "bibind-instance-database";
const DROP_DATABASE_TEMPLATE: &str = "bibind-instance-database-drop";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: `cargo xtask bench` sets it"))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ---------------------------------------------------------------------------
// In-memory fakes of the backends that run here only as real servers: no
// I/O, just what the workflows read back.

/// A tenant's secrets by name.
type TenantSecrets = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Default)]
struct FakeVault {
    tenants: Mutex<HashMap<String, TenantSecrets>>,
}

#[async_trait]
impl SecretStore for FakeVault {
    async fn ensure_tenant(&self, slug: &str) -> Result<TenantVault, BackendError> {
        lock(&self.tenants).entry(slug.to_owned()).or_default();
        Ok(TenantVault {
            policy: format!("tenant-{slug}"),
            role_id: format!("role-{slug}"),
        })
    }

    async fn ensure_generated_secret(
        &self,
        slug: &str,
        _subscription: Uuid,
        name: &str,
        keys: &[&str],
    ) -> Result<BTreeMap<String, String>, BackendError> {
        let mut tenants = lock(&self.tenants);
        let secret = tenants
            .entry(slug.to_owned())
            .or_default()
            .entry(name.to_owned())
            .or_default();
        for key in keys {
            secret
                .entry((*key).to_owned())
                .or_insert_with(|| Uuid::new_v4().simple().to_string());
        }
        Ok(secret.clone())
    }

    async fn put_secret(
        &self,
        slug: &str,
        _subscription: Uuid,
        name: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<(), BackendError> {
        lock(&self.tenants)
            .entry(slug.to_owned())
            .or_default()
            .insert(name.to_owned(), data.clone());
        Ok(())
    }

    async fn read_secret(
        &self,
        slug: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, BackendError> {
        Ok(lock(&self.tenants)
            .get(slug)
            .and_then(|secrets| secrets.get(name).cloned()))
    }

    async fn remove_secret(&self, slug: &str, _subscription: Uuid, name: &str) -> Result<(), BackendError> {
        if let Some(secrets) = lock(&self.tenants).get_mut(slug) {
            secrets.remove(name);
        }
        Ok(())
    }

    async fn ensure_organization_key(
        &self,
        _organization: Uuid,
        _name: &str,
    ) -> Result<String, BackendError> {
        Ok("00".repeat(32))
    }

    async fn ensure_platform_key(&self, _name: &str) -> Result<String, BackendError> {
        Ok("00".repeat(32))
    }

    async fn put_organization_secret(
        &self,
        _organization: Uuid,
        _name: &str,
        _data: &BTreeMap<String, String>,
    ) -> Result<(), BackendError> {
        Ok(())
    }

    async fn read_organization_secret(
        &self,
        _organization: Uuid,
        _name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, BackendError> {
        Ok(None)
    }

    async fn remove_organization_secret(&self, _organization: Uuid, _name: &str) -> Result<(), BackendError> {
        Ok(())
    }

    async fn remove_tenant(&self, slug: &str, _subscription: Uuid) -> Result<(), BackendError> {
        lock(&self.tenants).remove(slug);
        Ok(())
    }

    async fn observe(&self, slug: &str) -> Result<ObservedTenantVault, BackendError> {
        let tenants = lock(&self.tenants);
        let secrets = tenants.get(slug);
        Ok(ObservedTenantVault {
            policy_matches: secrets.is_some(),
            role: secrets.is_some(),
            secrets: secrets.map_or_else(Vec::new, |secrets| secrets.keys().cloned().collect()),
        })
    }
}

#[derive(Default)]
struct FakeHydra {
    clients: Mutex<HashMap<String, ObservedClient>>,
}

#[async_trait]
impl OAuthClients for FakeHydra {
    async fn ensure_client(&self, spec: &OAuthClientSpec, _secret: &str) -> Result<(), BackendError> {
        let mut clients = lock(&self.clients);
        let enabled = clients.get(&spec.client_id).is_none_or(|client| client.enabled);
        clients.insert(
            spec.client_id.clone(),
            ObservedClient {
                name: spec.name.clone(),
                redirect_uris: spec.redirect_uris.clone(),
                post_logout_redirect_uris: spec.post_logout_redirect_uris.clone(),
                backchannel_logout_uri: spec.backchannel_logout_uri.clone(),
                enabled,
                first_party: false,
                subscription_id: Some(spec.subscription_id.to_string()),
            },
        );
        Ok(())
    }

    async fn set_client_enabled(&self, client_id: &str, enabled: bool) -> Result<(), BackendError> {
        if let Some(client) = lock(&self.clients).get_mut(client_id) {
            client.enabled = enabled;
        }
        Ok(())
    }

    async fn remove_client(&self, client_id: &str) -> Result<(), BackendError> {
        lock(&self.clients).remove(client_id);
        Ok(())
    }

    async fn observe(&self, client_id: &str) -> Result<Option<ObservedClient>, BackendError> {
        Ok(lock(&self.clients).get(client_id).cloned())
    }
}

#[derive(Default)]
struct FakeMqtt {
    /// Per tenant: its clients (username, disabled).
    tenants: Mutex<HashMap<String, Vec<(String, bool)>>>,
}

#[async_trait]
impl MqttAccess for FakeMqtt {
    async fn ensure_tenant_role(&self, slug: &str, _subscription: Uuid) -> Result<(), BackendError> {
        lock(&self.tenants).entry(slug.to_owned()).or_default();
        Ok(())
    }

    async fn ensure_client(
        &self,
        slug: &str,
        _subscription: Uuid,
        username: &str,
        _password: &str,
    ) -> Result<(), BackendError> {
        let mut tenants = lock(&self.tenants);
        let clients = tenants.entry(slug.to_owned()).or_default();
        if !clients.iter().any(|(name, _)| name == username) {
            clients.push((username.to_owned(), false));
        }
        Ok(())
    }

    async fn ensure_device(
        &self,
        slug: &str,
        subscription: Uuid,
        device: &str,
        password: &str,
        enabled: bool,
    ) -> Result<(), BackendError> {
        let username = control::backends::mqtt::device_username(slug, device);
        self.ensure_client(slug, subscription, &username, password)
            .await?;
        self.set_device_enabled(slug, subscription, device, enabled).await
    }

    async fn set_device_enabled(
        &self,
        slug: &str,
        _subscription: Uuid,
        device: &str,
        enabled: bool,
    ) -> Result<(), BackendError> {
        let username = control::backends::mqtt::device_username(slug, device);
        if let Some(clients) = lock(&self.tenants).get_mut(slug) {
            for (_, disabled) in clients.iter_mut().filter(|(name, _)| *name == username) {
                *disabled = !enabled;
            }
        }
        Ok(())
    }

    async fn remove_device(&self, slug: &str, _subscription: Uuid, device: &str) -> Result<(), BackendError> {
        let username = control::backends::mqtt::device_username(slug, device);
        if let Some(clients) = lock(&self.tenants).get_mut(slug) {
            clients.retain(|(name, _)| *name != username);
        }
        Ok(())
    }

    async fn set_tenant_enabled(&self, slug: &str, enabled: bool) -> Result<(), BackendError> {
        if let Some(clients) = lock(&self.tenants).get_mut(slug) {
            for (_, disabled) in clients {
                *disabled = !enabled;
            }
        }
        Ok(())
    }

    async fn remove_tenant(&self, slug: &str, _subscription: Uuid) -> Result<(), BackendError> {
        lock(&self.tenants).remove(slug);
        Ok(())
    }

    async fn observe(&self, slug: &str) -> Result<Option<ObservedMqttTenant>, BackendError> {
        Ok(lock(&self.tenants).get(slug).map(|clients| ObservedMqttTenant {
            acls_match: true,
            clients: clients.clone(),
        }))
    }
}

#[derive(Default)]
struct FakeOpenStack {
    projects: Mutex<HashMap<String, ObservedProject>>,
}

#[async_trait]
impl OpenStack for FakeOpenStack {
    async fn ensure_project(
        &self,
        slug: &str,
        _subscription: Uuid,
        _description: &str,
    ) -> Result<String, BackendError> {
        let mut projects = lock(&self.projects);
        let project = projects
            .entry(slug.to_owned())
            .or_insert_with(|| ObservedProject {
                id: Uuid::new_v4().simple().to_string(),
                enabled: true,
                quota: ProjectQuota::default(),
            });
        Ok(project.id.clone())
    }

    async fn set_quota(&self, project_id: &str, quota: &ProjectQuota) -> Result<(), BackendError> {
        if let Some(project) = lock(&self.projects).values_mut().find(|p| p.id == project_id) {
            project.quota = *quota;
        }
        Ok(())
    }

    async fn set_project_enabled(&self, project_id: &str, enabled: bool) -> Result<(), BackendError> {
        if let Some(project) = lock(&self.projects).values_mut().find(|p| p.id == project_id) {
            project.enabled = enabled;
        }
        Ok(())
    }

    async fn remove_project(&self, slug: &str, _subscription: Uuid) -> Result<(), BackendError> {
        lock(&self.projects).remove(slug);
        Ok(())
    }

    async fn observe(&self, slug: &str) -> Result<Option<ObservedProject>, BackendError> {
        Ok(lock(&self.projects).get(slug).cloned())
    }
}

// ---------------------------------------------------------------------------
// The simulators, served in this process, and the backends built on them.

struct Simulated {
    backends: Backends,
    settings: ProvisioningSettings,
    _served: Vec<sim::Served>,
}

/// The backends that are fakes or real servers.
type FakeOrReal = (
    Arc<dyn SecretStore>,
    Arc<dyn OAuthClients>,
    Arc<dyn MqttAccess>,
    Arc<dyn OpenStack>,
);

/// `real`: OpenBao, Hydra, Mosquitto and Keystone of the test stack instead
/// of the in-memory fakes.
async fn simulated(real: bool) -> Simulated {
    let kubernetes = sim::serve(sim::kubernetes::router_with(
        sim::faults::Faults::default(),
        sim::kubernetes::Settings {
            termination_delay: Duration::ZERO,
        },
    ))
    .await
    .unwrap();
    let odoo = sim::odoo::Simulator::new(ODOO_MASTER);
    let awx = sim::awx::Simulator::new(AWX_TOKEN, Duration::ZERO);
    awx.add_template(sim::awx::TemplateSpec::named(DATABASE_TEMPLATE));
    awx.add_template(sim::awx::TemplateSpec::named(DROP_DATABASE_TEMPLATE));
    let gitlab = sim::gitlab::Simulator::new(GITLAB_TOKEN);
    let parent_group = gitlab.add_group("bibind", None);
    let odoo_served = sim::serve(odoo.router()).await.unwrap();
    let awx_served = sim::serve(awx.router()).await.unwrap();
    let gitlab_served = sim::serve(gitlab.router()).await.unwrap();
    let mut served = vec![kubernetes, odoo_served, awx_served, gitlab_served];
    let hydra_public_url = if real {
        env("TEST_HYDRA_PUBLIC_URL")
    } else {
        "http://hydra.invalid".to_owned()
    };
    let (vault, oauth_clients, mqtt, openstack): FakeOrReal = if real {
        let openstack_sim = sim::openstack::OpenStackSim::new(&env("TEST_KEYSTONE_URL")).unwrap();
        let openstack_served = sim::serve(openstack_sim.router()).await.unwrap();
        let base = openstack_served.url();
        served.push(openstack_served);
        (
            Arc::new(VaultClient::new(&env("TEST_VAULT_ADDR"), "root", TIMEOUT).unwrap()),
            Arc::new(HydraClients::new(&env("TEST_HYDRA_ADMIN_URL"), TIMEOUT).unwrap()),
            Arc::new(
                MqttAdminClient::new(
                    &env("TEST_MQTT_ADDRESS"),
                    &env("TEST_MQTT_ADMIN_USERNAME"),
                    &env("TEST_MQTT_ADMIN_PASSWORD"),
                    TIMEOUT,
                )
                .unwrap(),
            ),
            Arc::new(
                OpenStackClient::new(simulated_openstack(&env("TEST_KEYSTONE_URL"), &base, TIMEOUT)).unwrap(),
            ),
        )
    } else {
        (
            Arc::new(FakeVault::default()),
            Arc::new(FakeHydra::default()),
            Arc::new(FakeMqtt::default()),
            Arc::new(FakeOpenStack::default()),
        )
    };
    let settings = ProvisioningSettings {
        awx_poll: Duration::from_millis(1),
        awx_patience: TIMEOUT,
        ..ProvisioningSettings::local(&served[1].url(), &hydra_public_url)
    };
    let backends = Backends {
        kubernetes: Arc::new(KubernetesClient::new(&served[0].url(), TIMEOUT).unwrap()),
        vault,
        oauth_clients,
        odoo: Arc::new(OdooClient::new(ODOO_MASTER, TIMEOUT).unwrap()),
        awx: Arc::new(AwxClient::new(&served[2].url(), AWX_TOKEN, TIMEOUT).unwrap()),
        openstack,
        gitlab: Arc::new(
            GitlabClient::new(&served[3].url(), GITLAB_TOKEN, Some(parent_group), TIMEOUT).unwrap(),
        ),
        mqtt,
        // The bench provisions; it takes no backup.
        storage: None,
    };
    Simulated {
        backends,
        settings,
        _served: served,
    }
}

// ---------------------------------------------------------------------------
// Measuring.

/// The provisioning runner, timed: the time spent inside each job's steps.
struct Timed {
    runner: ProvisioningRunner,
    inside: Mutex<HashMap<Uuid, (Duration, u32)>>,
}

impl StepRunner for Timed {
    fn run<'a>(&'a self, job: &'a ClaimedJob) -> Pin<Box<dyn Future<Output = StepOutcome> + Send + 'a>> {
        Box::pin(async move {
            let started = Instant::now();
            let outcome = self.runner.run(job).await;
            let mut inside = lock(&self.inside);
            let entry = inside.entry(job.id).or_default();
            entry.0 += started.elapsed();
            entry.1 += 1;
            outcome
        })
    }
}

struct Tenant {
    owner: Caller,
    slug: String,
}

async fn subscribe(control: &Control, count: usize, offset: usize) -> Vec<Tenant> {
    let mut tenants = Vec::with_capacity(count);
    for index in offset..offset + count {
        let owner = Caller {
            identity_id: Uuid::new_v4().to_string(),
            email: format!("owner.{}@example.com", Uuid::new_v4().simple()),
            email_verified: true,
            request_id: None,
            ip: None,
            token: None,
        };
        let slug = format!("b{}", &Uuid::new_v4().simple().to_string()[..10]);
        let new = NewOrganization::parse("Bench tenant", &slug, "FR", "billing@example.com").unwrap();
        control.create_organization(&owner, &new).await.unwrap().unwrap();
        control
            .subscribe(&owner, &slug, PLANS[index % PLANS.len()])
            .await
            .unwrap()
            .unwrap();
        tenants.push(Tenant { owner, slug });
    }
    assert!(control.dispatch_provisioning().await.unwrap() >= count);
    tenants
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 20,
        first_delay: time::Duration::milliseconds(10),
        max_delay: time::Duration::milliseconds(100),
    }
}

async fn open_jobs(control: &Control) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'waiting')")
        .fetch_one(control.db().pool())
        .await
        .unwrap()
}

async fn assert_all_succeeded(control: &Control) {
    let failed: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT kind, state, last_error FROM jobs WHERE state <> 'succeeded'")
            .fetch_all(control.db().pool())
            .await
            .unwrap();
    assert!(failed.is_empty(), "jobs did not succeed: {failed:#?}");
}

/// Runs every open job with `workers` workers; returns how long it took.
async fn drain(control: &Control, runner: Arc<dyn StepRunner>, workers: usize) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..workers {
        let worker =
            Worker::new(control.clone(), format!("bench-{index}"), runner.clone()).with_policy(policy());
        let control = control.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                if worker.run_one().await.unwrap().is_none() {
                    if open_jobs(&control).await == 0 {
                        return;
                    }
                    // A step waiting for its retry.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

async fn measure(control: &Control, real: bool, sequential: usize, parallel: usize) {
    let simulated = simulated(real).await;
    let timed = Arc::new(Timed {
        runner: ProvisioningRunner::new(
            control.clone(),
            simulated.backends.clone(),
            simulated.settings.clone(),
        ),
        inside: Mutex::new(HashMap::new()),
    });
    let runner: Arc<dyn StepRunner> = timed.clone();
    let mut tenants = Vec::new();

    // One worker, one workflow at a time: what the engine adds to its steps.
    tenants.extend(subscribe(control, sequential, 0).await);
    let worker = Worker::new(control.clone(), "bench-sequential", runner.clone()).with_policy(policy());
    let mut overhead = Vec::with_capacity(sequential);
    let mut inside_step = Vec::with_capacity(sequential);
    while open_jobs(control).await > 0 {
        let started = Instant::now();
        let Some((job, _)) = worker.run_one().await.unwrap() else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        let elapsed = started.elapsed();
        let (inside, steps) = lock(&timed.inside).remove(&job).unwrap_or_default();
        let steps = f64::from(steps.max(1));
        overhead.push(elapsed.saturating_sub(inside).as_secs_f64() * 1000.0 / steps);
        inside_step.push(inside.as_secs_f64() * 1000.0 / steps);
    }
    assert_all_succeeded(control).await;
    overhead.sort_by(f64::total_cmp);
    inside_step.sort_by(f64::total_cmp);

    // Several workers draining a backlog of workflows.
    tenants.extend(subscribe(control, parallel, sequential).await);
    let elapsed = drain(control, runner.clone(), WORKERS)
        .await
        .max(Duration::from_millis(1));
    assert_all_succeeded(control).await;

    let label = if real {
        "real OpenBao, Hydra, Mosquitto and Keystone; Kubernetes, Odoo, AWX, GitLab and the OpenStack quota APIs simulated in-process, no added latency"
    } else {
        "every backend in-process with no added latency: Kubernetes, Odoo, AWX (0 s jobs) and GitLab simulated over HTTP; Vault, Hydra, MQTT and OpenStack are IN-MEMORY FAKES in this measurement"
    };
    println!("\nprovisioning workflows (shop-business, learn-class, iot-lab; requested → active), {label}:");
    println!(
        "engine overhead per step (one worker, {} workflows): p50 {:.2} ms, p99 {:.2} ms; time inside a step: p50 {:.2} ms, p99 {:.2} ms",
        overhead.len(),
        percentile(&overhead, 0.5),
        percentile(&overhead, 0.99),
        percentile(&inside_step, 0.5),
        percentile(&inside_step, 0.99),
    );
    println!(
        "throughput ({WORKERS} workers, {parallel} workflows in {:.1} s): {:.0} complete workflows per minute",
        elapsed.as_secs_f64(),
        parallel as f64 * 60.0 / elapsed.as_secs_f64()
    );

    if real {
        // What the real services hold goes: every subscription is closed (untimed).
        for tenant in &tenants {
            let (subscription, version): (Uuid, i32) = sqlx::query_as(
                "SELECT s.id, s.version FROM subscriptions s JOIN organizations o ON o.id = s.organization_id
                  WHERE o.slug = $1",
            )
            .bind(&tenant.slug)
            .fetch_one(control.db().pool())
            .await
            .unwrap();
            control
                .cancel_subscription(&tenant.owner, &tenant.slug, subscription, version)
                .await
                .unwrap()
                .unwrap();
        }
        control.dispatch_provisioning().await.unwrap();
        drain(control, runner, WORKERS).await;
        assert_all_succeeded(control).await;
    }
}

/// A database of its own, migrated; dropped at the end.
async fn create_database(admin_url: &str, name: &str) -> String {
    let mut admin = PgConnection::connect(admin_url).await.unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
    format!("{base}/{name}")
}

async fn drop_database(admin_url: &str, name: &str) {
    let mut admin = PgConnection::connect(admin_url).await.unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await
        .unwrap();
}

#[tokio::main]
async fn main() {
    let admin_url = env("TEST_DATABASE_URL");
    let counts = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(default)
    };
    for (real, sequential, parallel) in [
        (
            false,
            counts("BENCH_SEQUENTIAL", 90),
            counts("BENCH_PARALLEL", 600),
        ),
        (
            true,
            counts("BENCH_REAL_SEQUENTIAL", 30),
            counts("BENCH_REAL_PARALLEL", 150),
        ),
    ] {
        let name = format!("bibind_provisioning_bench_{}", std::process::id());
        let url = create_database(&admin_url, &name).await;
        let db = Db::connect_lazy(&url, 16).unwrap();
        db.migrate().await.unwrap();
        let control = Control::new(db, Arc::new(SystemClock));
        measure(&control, real, sequential, parallel).await;
        control.db().pool().close().await;
        drop_database(&admin_url, &name).await;
    }
}
