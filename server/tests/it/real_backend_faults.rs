//! The real servers the provisioning engine drives (OpenBao, Hydra's admin
//! API, Mosquitto, Keystone) failing or hanging mid-workflow, through a
//! proxy the test controls: the job waits and retries, the customer reads
//! which backend it waits for (and nothing of the error), the admin reads
//! the backend's error, and the job finishes once the server is back.

use crate::support;
use std::time::Duration;

use control::domain::{Backend, Step};
use support::{
    backends::{RealServers, SimulatedBackends},
    env,
    provisioning::{organization, person, Harness, Waiting},
    proxy::{Mode, Proxy},
};

/// A proxy in front of each real server the portal's clients call.
struct Proxies {
    vault: Proxy,
    hydra_admin: Proxy,
    mqtt: Proxy,
    keystone: Proxy,
}

async fn behind_proxies() -> (Harness, Proxies) {
    let (vault, vault_url) = Proxy::in_front_of(&env("TEST_VAULT_ADDR")).await;
    let (hydra_admin, hydra_url) = Proxy::in_front_of(&env("TEST_HYDRA_ADMIN_URL")).await;
    let mqtt = Proxy::start(&env("TEST_MQTT_ADDRESS")).await;
    let (keystone, keystone_url) = Proxy::in_front_of(&env("TEST_KEYSTONE_URL")).await;
    let real = RealServers {
        vault: vault_url,
        hydra_admin: hydra_url,
        mqtt: mqtt.address(),
        keystone: keystone_url,
    };
    let stack = SimulatedBackends::start_reaching(Duration::ZERO, real).await;
    let proxies = Proxies {
        vault,
        hydra_admin,
        mqtt,
        keystone,
    };
    (Harness::start_with(stack).await, proxies)
}

/// One server misbehaving during one offer's provisioning.
struct Case<'a> {
    plan: &'static str,
    proxy: &'a Proxy,
    mode: Mode,
    /// The first step that calls the server.
    step: Step,
    backend: Backend,
    /// What the admin's error names.
    named: &'static str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_backend_refusing_or_hanging_makes_the_job_wait_then_finish() {
    let (harness, proxies) = behind_proxies().await;
    let cases = [
        Case {
            plan: "learn-class",
            proxy: &proxies.hydra_admin,
            mode: Mode::Hang,
            step: Step::HydraClient,
            backend: Backend::Hydra,
            named: "hydra",
        },
        Case {
            plan: "iot-lab",
            proxy: &proxies.mqtt,
            mode: Mode::Refuse,
            step: Step::MqttTenant,
            backend: Backend::Mqtt,
            named: "mqtt",
        },
        Case {
            plan: "shop-business",
            proxy: &proxies.keystone,
            mode: Mode::Hang,
            step: Step::OpenstackProject,
            backend: Backend::OpenStack,
            named: "keystone",
        },
        // Last: the cases above left keep-alive connections to OpenBao in
        // its client's pool, which the proxy must cut.
        Case {
            plan: "iot-lab",
            proxy: &proxies.vault,
            mode: Mode::Refuse,
            step: Step::VaultTenant,
            backend: Backend::Vault,
            named: "vault",
        },
    ];
    for case in cases {
        let label = case.step.name();
        let owner = person("owner");
        let slug = organization(&harness, &owner).await;
        // No step before `case.step` calls this server: the failure lands on it.
        case.proxy.set(case.mode);
        let Waiting {
            page,
            progress,
            admin_error: error,
        } = harness
            .subscribe_until_waiting(&owner, &slug, case.plan, case.backend, label)
            .await;
        // The steps before are done, this one is not.
        let position = progress
            .steps
            .iter()
            .position(|shown| shown.step == case.step)
            .expect("the page lists the step");
        assert!(
            progress.steps[..position].iter().all(|shown| shown.done),
            "{label}"
        );
        assert!(!progress.steps[position].done, "{label}");

        assert!(error.contains(case.named), "{label}: the admin reads {error:?}");
        // …and why: the call timed out, or its connection was closed (reset,
        // when the client's first bytes had reached the proxy before it
        // closed; "not ready" in hyper's words when it closed before the
        // pooled connection could take the request).
        let why: &[&str] = match case.mode {
            Mode::Hang => &["timed out"],
            _ => &["closed", "reset", "not ready"],
        };
        let reads = error.to_lowercase();
        assert!(
            why.iter().any(|reason| reads.contains(reason)),
            "{label}: the admin reads {error:?}"
        );
        // The customer's page carries nothing of the error.
        let shown = serde_json::to_string(&page).unwrap();
        assert!(!shown.contains(&error), "{label}: the customer reads {shown}");
        assert!(
            !shown.contains("unavailable"),
            "{label}: the customer reads {shown}"
        );

        case.proxy.set(Mode::Pass);
        harness.assert_recovered(&slug, Some(label), label).await;
    }
    assert_eq!(harness.failed_jobs().await, vec![]);
}
