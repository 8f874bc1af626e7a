//! The OpenStack client's settings for the test stack: Keystone's admin
//! (`TEST_KEYSTONE_*`) and the quota services of an OpenStack simulator.
//! A file of its own so that the provisioning bench, which cannot use the
//! test support, includes it too (`#[path]`).

use std::time::Duration;

use control::backends::openstack::OpenStackSettings;

use super::env;

/// Signs in to Keystone at `keystone_url` as the test stack's admin, and
/// reaches Nova, Cinder and Neutron on the simulator served at `simulator_url`.
pub fn simulated_openstack(keystone_url: &str, simulator_url: &str, timeout: Duration) -> OpenStackSettings {
    OpenStackSettings {
        keystone_url: keystone_url.to_owned(),
        username: env("TEST_KEYSTONE_ADMIN_USER"),
        password: env("TEST_KEYSTONE_ADMIN_PASSWORD"),
        user_domain: env("TEST_KEYSTONE_DOMAIN"),
        project: env("TEST_KEYSTONE_ADMIN_PROJECT"),
        project_domain: env("TEST_KEYSTONE_DOMAIN"),
        region: None,
        compute_url: Some(format!("{simulator_url}/compute/v2.1")),
        volume_url: Some(format!("{simulator_url}/volume/v3/%(project_id)s")),
        network_url: Some(format!("{simulator_url}/network")),
        timeout,
    }
}
