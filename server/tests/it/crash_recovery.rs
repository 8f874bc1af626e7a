//! Crash recovery of the provisioning engine: the real `bibind` binary runs
//! the jobs in a separate process, and is killed with SIGKILL at random
//! moments and started again, 50 times, while subscriptions of the three
//! offers are provisioned and some of them closed. The simulated backends
//! are served by this test process, so they outlive every worker; the real
//! OpenBao, Hydra, Mosquitto and Keystone of the test stack are shared.
//!
//! At the end every job has succeeded and every backend holds exactly what
//! the remaining subscriptions need: nothing twice, nothing left behind.

use crate::support;
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
    time::{Duration, Instant},
};

use control::{
    backends::awx::RUN_KEY_VAR,
    clock::SystemClock,
    domain::{NewOrganization, OfferKind},
    infra::store::Db,
    Caller, Control,
};
use sim::faults::Fault;
use support::{
    backends::{SimulatedBackends, GITLAB_TOKEN},
    database_url, fresh_database,
    process::{portal_environment, provisioning_environment, tail, PortalProcess},
};
use uuid::Uuid;

/// Kill-and-restart cycles of the worker process.
const KILLS: u64 = 50;
/// The seed of the kill delays (`CRASH_RECOVERY_SEED` replays another run).
const DEFAULT_SEED: u64 = 0x00b1_b1d0_c1a5_4e11;
/// A killed worker's jobs are taken over this long after its last heartbeat.
const LEASE_SECONDS: u32 = 2;
/// How long each AWX job runs: long enough for kills to land while a step
/// follows it.
const AWX_JOB: Duration = Duration::from_millis(200);
/// Added to the Kubernetes, GitLab and Odoo writes.
const WRITE_LATENCY_MS: u64 = 100;
/// Subscriptions per offer; every other one is closed once it is active.
const PER_OFFER: usize = 8;
/// How long the last worker has to finish everything after the last kill.
const SETTLE: Duration = Duration::from_secs(150);

/// splitmix64: reproducible pseudo-random numbers from the seed and an index.
fn random(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

use support::person;

/// One organization with one subscription, and what the test knows of it.
struct Tenant {
    owner: Caller,
    slug: String,
    offer: OfferKind,
    subscription: Uuid,
    /// Closed by its owner once active.
    close: bool,
    cancelled: bool,
    /// The generated service secret as first read from Vault.
    secret: Option<BTreeMap<String, String>>,
}

impl Tenant {
    fn instance(&self) -> String {
        control::domain::instance_name(&self.slug, self.offer)
    }

    fn uses_odoo(&self) -> bool {
        self.offer != OfferKind::Iot
    }

    /// `shop-business` gives cloud servers: an OpenStack project.
    fn uses_openstack(&self) -> bool {
        self.offer == OfferKind::Ecommerce
    }

    fn kept(&self) -> bool {
        !self.close
    }
}

fn plan(offer: OfferKind) -> &'static str {
    match offer {
        OfferKind::Ecommerce => "shop-business",
        OfferKind::Training => "learn-class",
        OfferKind::Iot => "iot-lab",
    }
}

/// The worker's configuration: the simulators served here, the real
/// services of the test stack, a short lease and quick retries.
fn worker_environment(database: &str, stack: &SimulatedBackends) -> Vec<(String, String)> {
    let mut environment = portal_environment(database);
    environment.extend(provisioning_environment(
        stack,
        &[
            ("WORKERS", "4".into()),
            ("LEASE_SECONDS", LEASE_SECONDS.to_string()),
            ("RETRY_FIRST_DELAY_MS", "100".into()),
            ("RETRY_MAX_ATTEMPTS", "20".into()),
        ],
    ));
    // The jobs are counted: no backup storage, so no daily backup is
    // queued if the run crosses the backup time.
    environment.retain(|(key, _)| !key.starts_with("BIBIND_PROVISIONING__BACKUPS__"));
    environment
}

struct Scenario {
    control: Control,
    pool: sqlx::PgPool,
    stack: SimulatedBackends,
    tenants: Vec<Tenant>,
}

impl Scenario {
    async fn add_tenant(&mut self, index: usize) {
        let offer = [OfferKind::Ecommerce, OfferKind::Training, OfferKind::Iot][index % 3];
        let owner = person("owner");
        let slug = format!("c{}", &Uuid::new_v4().simple().to_string()[..10]);
        let new = NewOrganization::parse("Crash tenant", &slug, "FR", "billing@example.com").unwrap();
        self.control
            .create_organization(&owner, &new)
            .await
            .unwrap()
            .unwrap();
        self.control
            .subscribe(&owner, &slug, plan(offer))
            .await
            .unwrap()
            .unwrap();
        let subscription: Uuid = sqlx::query_scalar(
            "SELECT s.id FROM subscriptions s JOIN organizations o ON o.id = s.organization_id WHERE o.slug = $1",
        )
        .bind(&slug)
        .fetch_one(&self.pool)
        .await
        .unwrap();
        self.tenants.push(Tenant {
            owner,
            slug,
            offer,
            subscription,
            close: (index / 3) % 2 == 1,
            cancelled: false,
            secret: None,
        });
    }

    /// (state, applied state, version, state of the latest job)
    async fn subscription(&self, id: Uuid) -> (String, String, i32, Option<String>) {
        sqlx::query_as(
            "SELECT s.state, s.applied_state, s.version,
                    (SELECT j.state FROM jobs j WHERE j.subscription_id = s.id ORDER BY j.seq DESC LIMIT 1)
               FROM subscriptions s WHERE s.id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// What the test does between kills: the owners of active subscriptions
    /// due to close cancel them (once their provisioning job is over, so
    /// that no job is cancelled), and the service secrets are read as soon
    /// as they exist.
    async fn look_around(&mut self) {
        for index in 0..self.tenants.len() {
            let tenant = &self.tenants[index];
            let (state, _, version, last_job) = self.subscription(tenant.subscription).await;
            if tenant.close
                && !tenant.cancelled
                && state == "active"
                && last_job.as_deref() == Some("succeeded")
            {
                let outcome = self
                    .control
                    .cancel_subscription(&tenant.owner, &tenant.slug, tenant.subscription, version)
                    .await
                    .unwrap();
                assert!(outcome.is_ok(), "cancelling {}: {outcome:?}", tenant.slug);
                self.tenants[index].cancelled = true;
            }
            let tenant = &self.tenants[index];
            if tenant.secret.is_none() && !tenant.cancelled {
                let secret = self
                    .stack
                    .backends
                    .vault
                    .read_secret(&tenant.instance(), "service")
                    .await
                    .unwrap();
                self.tenants[index].secret = secret;
            }
        }
    }

    /// Every subscription in its final state and no job left to run.
    async fn settled(&self) -> bool {
        for tenant in &self.tenants {
            let (state, applied, _, _) = self.subscription(tenant.subscription).await;
            let expected = if tenant.close {
                ("closed", "none")
            } else {
                ("active", "running")
            };
            if (state.as_str(), applied.as_str()) != expected {
                return false;
            }
        }
        let open: i64 =
            sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'waiting')")
                .fetch_one(&self.pool)
                .await
                .unwrap();
        open == 0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_killed_at_random_steps_leave_every_job_finished_and_nothing_duplicated_or_leaked() {
    let seed = std::env::var("CRASH_RECOVERY_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let stack = SimulatedBackends::start_with(AWX_JOB).await;
    // Latency on the writes, so that kills land inside those steps too.
    let slow = |faults: &sim::faults::Faults, operations: &[&str]| {
        for operation in operations {
            faults.set(
                operation,
                Fault {
                    latency_ms: WRITE_LATENCY_MS,
                    ..Fault::default()
                },
            );
        }
    };
    slow(
        &stack.kubernetes_faults,
        &[
            "create_namespace",
            "create_resource_quota",
            "patch_resource_quota",
            "create_secret",
            "replace_secret",
            "create_stateful_set",
            "create_deployment",
            "delete_namespace",
        ],
    );
    slow(
        &stack.gitlab.faults,
        &[
            "create_group",
            "create_deploy_token",
            "delete_deploy_token",
            "delete_group",
        ],
    );
    slow(
        &stack.odoo.faults,
        &["db.create_database", "db.drop", "object.res.users.create"],
    );
    let database = fresh_database().await;
    let control = Control::new(
        Db::connect_lazy(&database_url(&database), 4).unwrap(),
        Arc::new(SystemClock),
    );
    let pool = control.db().pool().clone();
    let environment = worker_environment(&database, &stack);
    let log = std::env::temp_dir().join(format!("bibind-crash-recovery-{database}.log"));
    println!("seed {seed}; the workers' log: {}", log.display());
    let mut scenario = Scenario {
        control,
        pool,
        stack,
        tenants: Vec::new(),
    };

    // New subscriptions arrive during the first half of the kills, one per
    // offer every few kills, so that kills land in every workflow's steps.
    let total = PER_OFFER * 3;
    let arrivals_every = (KILLS / 2) / (total as u64 / 3);
    let started = Instant::now();
    for kill in 0..KILLS {
        if kill % arrivals_every == 0 && scenario.tenants.len() < total {
            for _ in 0..3 {
                let index = scenario.tenants.len();
                scenario.add_tenant(index).await;
            }
        }
        let worker = PortalProcess::spawn(&environment, &log);
        let delay = Duration::from_millis(300 + random(seed, kill) % 1_700);
        let until = Instant::now() + delay;
        while Instant::now() < until {
            scenario.look_around().await;
            tokio::time::sleep(Duration::from_millis(100).min(until - Instant::now())).await;
        }
        worker.kill();
    }
    while scenario.tenants.len() < total {
        let index = scenario.tenants.len();
        scenario.add_tenant(index).await;
    }
    println!(
        "{KILLS} kills in {:.1} s; the last worker finishes",
        started.elapsed().as_secs_f64()
    );

    let worker = PortalProcess::spawn(&environment, &log);
    let deadline = Instant::now() + SETTLE;
    loop {
        scenario.look_around().await;
        if scenario.settled().await {
            break;
        }
        let failed: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT kind, state, last_error FROM jobs WHERE state IN ('failed', 'cancelled')")
                .fetch_all(&scenario.pool)
                .await
                .unwrap();
        assert!(failed.is_empty(), "jobs gave up: {failed:#?}\n{}", tail(&log));
        assert!(
            Instant::now() < deadline,
            "the jobs did not settle in {SETTLE:?}: {:#?}\n{}",
            sqlx::query_as::<_, (String, String, i32, Option<String>)>(
                "SELECT kind, state, current_step, last_error FROM jobs WHERE state <> 'succeeded'"
            )
            .fetch_all(&scenario.pool)
            .await
            .unwrap(),
            tail(&log)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    worker.kill();
    println!("settled {:.1} s after the start", started.elapsed().as_secs_f64());

    check_jobs(&scenario).await;
    check_backends(&scenario).await;
    // Kept only when something failed.
    let _ = std::fs::remove_file(&log);
}

/// Every job succeeded, and the kills did interrupt steps.
async fn check_jobs(scenario: &Scenario) {
    let unfinished: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT kind, state, last_error FROM jobs WHERE state <> 'succeeded'")
            .fetch_all(&scenario.pool)
            .await
            .unwrap();
    assert_eq!(unfinished, vec![], "every job succeeds");
    let (jobs, taken_over): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM jobs WHERE subscription_id IS NOT NULL),
                (SELECT count(*) FROM job_steps WHERE attempts > 1)",
    )
    .fetch_one(&scenario.pool)
    .await
    .unwrap();
    let again: Vec<(String, i64)> = sqlx::query_as(
        "SELECT name, count(*) FROM job_steps WHERE attempts > 1 GROUP BY name ORDER BY count(*) DESC, name",
    )
    .fetch_all(&scenario.pool)
    .await
    .unwrap();
    println!("{jobs} jobs succeeded; {taken_over} steps ran more than once: {again:?}");
    let closes = scenario.tenants.iter().filter(|tenant| tenant.close).count();
    assert_eq!(
        usize::try_from(jobs).unwrap(),
        scenario.tenants.len() + closes,
        "one provision per subscription and one close per closed one"
    );
    assert!(taken_over > 0, "no kill interrupted a step");
}

/// Each backend holds exactly what the remaining subscriptions need.
async fn check_backends(scenario: &Scenario) {
    let stack = &scenario.stack;
    let backends = &stack.backends;
    let kept: Vec<&Tenant> = scenario.tenants.iter().filter(|t| t.kept()).collect();
    let http = reqwest::Client::new();

    // Kubernetes: the kept subscriptions' namespaces, no other.
    let namespaces = stack.tenant_namespaces().await;
    let expected: BTreeSet<String> = kept.iter().map(|t| t.instance()).collect();
    assert_eq!(namespaces, expected, "kubernetes namespaces");

    // Odoo: one database per kept shop or training space.
    let databases: BTreeSet<String> = stack.odoo.database_names().into_iter().collect();
    let expected: BTreeSet<String> = kept
        .iter()
        .filter(|t| t.uses_odoo())
        .map(|t| t.instance())
        .collect();
    assert_eq!(databases, expected, "odoo databases");

    // AWX: one job per run key, however often the step ran.
    let keys: Vec<String> = stack
        .awx
        .launched_extra_var(RUN_KEY_VAR)
        .into_iter()
        .map(|key| key.and_then(|key| key.as_str().map(str::to_owned)).unwrap())
        .collect();
    let distinct: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(keys.len(), distinct.len(), "an AWX job launched twice: {keys:?}");
    // No AWX job fails here, so a step run again after a kill follows the
    // job its first attempt launched (`{job}-{step}-{attempt}`): one per step.
    let steps: BTreeSet<&str> = keys.iter().map(|key| key.rsplit_once('-').unwrap().0).collect();
    assert_eq!(
        keys.len(),
        steps.len(),
        "a step launched a second AWX job: {keys:?}"
    );
    let odoo_closes = scenario
        .tenants
        .iter()
        .filter(|t| t.close && t.uses_odoo())
        .count();
    let odoo_tenants = scenario.tenants.iter().filter(|t| t.uses_odoo()).count();
    assert!(
        keys.len() >= odoo_tenants + odoo_closes,
        "{} AWX jobs for {odoo_tenants} databases and {odoo_closes} drops",
        keys.len()
    );

    let mut gitlab_tokens = HashMap::new();
    for tenant in &scenario.tenants {
        let instance = tenant.instance();
        let kept = tenant.kept();
        let which = format!("{instance} (kept: {kept})");

        // Hydra: one client per kept shop or training space.
        let client = backends
            .oauth_clients
            .observe(&format!("odoo-{instance}"))
            .await
            .unwrap();
        assert_eq!(
            client.map(|client| client.enabled),
            (kept && tenant.uses_odoo()).then_some(true),
            "hydra client of {which}"
        );

        // Vault: the kept ones' secrets as generated the first time.
        let vault = backends.vault.observe(&instance).await.unwrap();
        if kept {
            assert!(
                vault.policy_matches && vault.role,
                "vault tenant of {which}: {vault:?}"
            );
            let secret = backends.vault.read_secret(&instance, "service").await.unwrap();
            assert!(tenant.secret.is_some(), "the secret of {which} was never read");
            assert!(
                secret == tenant.secret,
                "the service secret of {which} was generated again"
            );
        } else {
            assert!(
                !vault.policy_matches && !vault.role && vault.secrets.is_empty(),
                "vault tenant of {which} left behind: {vault:?}"
            );
        }

        // MQTT: one client per kept IoT platform.
        let mqtt = backends.mqtt.observe(&tenant.slug).await.unwrap();
        let expected = (kept && !tenant.uses_odoo()).then_some(1);
        assert_eq!(
            mqtt.map(|tenant| tenant.clients.len()),
            expected,
            "mqtt clients of {which}"
        );

        // GitLab: the kept IoT platforms' groups, each with one active deploy token.
        let group = backends.gitlab.observe(&instance).await.unwrap();
        let group = group.filter(|group| !group.marked_for_deletion);
        assert_eq!(
            group.is_some(),
            kept && !tenant.uses_odoo(),
            "gitlab group of {which}"
        );
        if let Some(group) = group {
            let tokens: Vec<serde_json::Value> = http
                .get(format!(
                    "{}/api/v4/groups/{}/deploy_tokens?active=true&per_page=100",
                    stack.urls.gitlab, group.id
                ))
                .header("PRIVATE-TOKEN", GITLAB_TOKEN)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            gitlab_tokens.insert(instance.clone(), tokens.len());
        }

        // OpenStack: one project per kept shop (its plan gives cloud servers).
        let project = backends.openstack.observe(&instance).await.unwrap();
        assert_eq!(
            project.is_some(),
            kept && tenant.uses_openstack(),
            "openstack project of {which}"
        );
    }
    assert!(
        gitlab_tokens.values().all(|&count| count == 1),
        "active deploy tokens per group: {gitlab_tokens:?}"
    );
}
