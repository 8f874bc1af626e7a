//! The simulated backends (`sim kubernetes|odoo|awx|gitlab|openstack`) of
//! the dev stack and the end-to-end tests, on free ports, and the portal's
//! `[provisioning]` settings that point it at them and at the real
//! OpenBao, Hydra, Mosquitto and Keystone of the stack. The OpenStack
//! simulator registers its Nova, Cinder and Neutron endpoints in Keystone's
//! catalog at start-up (each run corrects the URLs, nothing is duplicated),
//! and the portal finds them there, as in a real cloud.

use std::{path::Path, process::Command, time::Duration};

use anyhow::Result;

use crate::{
    keystone,
    ory::random_alphanumeric,
    process::{self, Supervised},
    services::Stack,
};

/// AWX job templates the workflows launch (the simulator runs each in 1 s).
const DATABASE_TEMPLATE: &str = "bibind-instance-database";
const DROP_DATABASE_TEMPLATE: &str = "bibind-instance-database-drop";

pub struct Simulators {
    processes: Vec<Supervised>,
    /// `BIBIND_PROVISIONING__*` for the portal.
    pub portal_env: Vec<(String, String)>,
}

impl Simulators {
    pub fn start(stack: &Stack, sim: &Path, logs: &Path) -> Result<Self> {
        let odoo_password = random_alphanumeric(24)?;
        let awx_token = random_alphanumeric(32)?;
        let gitlab_token = random_alphanumeric(32)?;
        let [kubernetes, odoo, awx, gitlab, openstack] = [(); 5].map(|()| process::free_port());
        let (kubernetes, odoo, awx, gitlab, openstack) = (kubernetes?, odoo?, awx?, gitlab?, openstack?);
        let listen = |port: u16| format!("127.0.0.1:{port}");
        let mut processes = Vec::new();
        let mut spawn = |name: &'static str, port: u16, command: &mut Command, log: &str| -> Result<()> {
            let mut child = Supervised::spawn(name, command, &logs.join(log))?;
            process::wait_for_port(name, port, Duration::from_secs(30), Some(&mut child))?;
            processes.push(child);
            Ok(())
        };
        spawn(
            "the Kubernetes simulator",
            kubernetes,
            Command::new(sim).args(["kubernetes", "--listen", &listen(kubernetes)]),
            "sim-kubernetes.log",
        )?;
        spawn(
            "the Odoo simulator",
            odoo,
            Command::new(sim)
                .args(["odoo", "--listen", &listen(odoo)])
                // Behind the (simulated) ingress, each tenant's host reaches its database.
                .args([
                    "--proxy-mode",
                    "--db-filter",
                    "shop.localhost=^tenant-%d-ecommerce$",
                ])
                .args(["--db-filter", "learn.localhost=^tenant-%d-training$"])
                .env("SIM_ODOO_MASTER_PASSWORD", &odoo_password),
            "sim-odoo.log",
        )?;
        spawn(
            "the AWX simulator",
            awx,
            Command::new(sim)
                .args(["awx", "--listen", &listen(awx)])
                .args([
                    "--template",
                    DATABASE_TEMPLATE,
                    "--template",
                    DROP_DATABASE_TEMPLATE,
                ])
                .args(["--job-duration-ms", "1000"])
                .env("SIM_AWX_TOKEN", &awx_token),
            "sim-awx.log",
        )?;
        spawn(
            "the GitLab simulator",
            gitlab,
            Command::new(sim)
                .args(["gitlab", "--listen", &listen(gitlab), "--group", "bibind"])
                .env("SIM_GITLAB_TOKEN", &gitlab_token),
            "sim-gitlab.log",
        )?;
        spawn(
            "the OpenStack quota simulator",
            openstack,
            Command::new(sim)
                .args(["openstack", "--listen", &listen(openstack)])
                .args(["--register-region", keystone::REGION])
                .args(["--admin-user", keystone::ADMIN_USER])
                .args(["--admin-project", keystone::ADMIN_PROJECT])
                .args(["--admin-domain", keystone::DOMAIN])
                .env("SIM_KEYSTONE_URL", stack.keystone_url())
                // From the environment, so that the password is in no process list.
                .env("SIM_KEYSTONE_ADMIN_PASSWORD", stack.keystone_admin_password()),
            "sim-openstack.log",
        )?;
        let (mqtt_admin, mqtt_password) = stack.mqtt_admin();
        let settings: Vec<(&str, String)> = vec![
            ("ECOMMERCE_DOMAIN", "shop.localhost".into()),
            ("TRAINING_DOMAIN", "learn.localhost".into()),
            ("IOT_DOMAIN", "iot.localhost".into()),
            // No ingress here: browsers reach a tenant's host (`*.localhost`
            // is the loopback) at the Odoo simulator's port.
            ("SITE_URL", format!("http://{{host}}:{odoo}")),
            // The reconciler checks the sites there, their host in `Host`.
            ("INGRESS_URL", format!("http://127.0.0.1:{odoo}")),
            ("ODOO_IMAGE", "odoo:18.0".into()),
            ("INGEST_IMAGE", "registry.bibind.localhost/iot/ingest:1".into()),
            // OpenBao's dev server's root token.
            ("VAULT_TOKEN", "root".into()),
            ("KUBERNETES__API_URL", format!("http://127.0.0.1:{kubernetes}")),
            // One simulated Odoo serves every instance's database.
            ("ODOO__URL", format!("http://127.0.0.1:{odoo}")),
            ("ODOO__MASTER_PASSWORD", odoo_password),
            ("AWX__URL", format!("http://127.0.0.1:{awx}")),
            ("AWX__TOKEN", awx_token),
            ("AWX__DATABASE_TEMPLATE", DATABASE_TEMPLATE.into()),
            ("AWX__DROP_DATABASE_TEMPLATE", DROP_DATABASE_TEMPLATE.into()),
            ("GITLAB__URL", format!("http://127.0.0.1:{gitlab}")),
            ("GITLAB__TOKEN", gitlab_token),
            // The first group the simulator creates: `--group bibind`.
            ("GITLAB__PARENT_GROUP", "1".into()),
            ("OPENSTACK__KEYSTONE_URL", stack.keystone_url()),
            ("OPENSTACK__USERNAME", keystone::ADMIN_USER.into()),
            ("OPENSTACK__PASSWORD", stack.keystone_admin_password().to_owned()),
            ("OPENSTACK__USER_DOMAIN", keystone::DOMAIN.into()),
            ("OPENSTACK__PROJECT", keystone::ADMIN_PROJECT.into()),
            ("OPENSTACK__PROJECT_DOMAIN", keystone::DOMAIN.into()),
            // Nova, Cinder and Neutron: from the catalog, in this region.
            ("OPENSTACK__REGION", keystone::REGION.into()),
            ("MQTT__ADMIN_USERNAME", mqtt_admin.to_owned()),
            ("MQTT__ADMIN_PASSWORD", mqtt_password.to_owned()),
        ];
        // Backups go to the stack's two versitygw servers.
        let mut settings: Vec<(String, String)> = settings
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect();
        for (site, store) in [("PRIMARY", stack.s3_primary()), ("OFFSITE", stack.s3_offsite())] {
            settings.extend([
                (format!("BACKUPS__{site}__URL"), store.url()),
                (format!("BACKUPS__{site}__BUCKET"), store.bucket().to_owned()),
                (format!("BACKUPS__{site}__REGION"), stack.s3_region().to_owned()),
                (
                    format!("BACKUPS__{site}__ACCESS_KEY"),
                    store.access_key().to_owned(),
                ),
                (
                    format!("BACKUPS__{site}__SECRET_KEY"),
                    store.secret_key().to_owned(),
                ),
            ]);
        }
        let portal_env = settings
            .into_iter()
            .map(|(key, value)| (format!("BIBIND_PROVISIONING__{key}"), value))
            .collect();
        Ok(Self {
            processes,
            portal_env,
        })
    }

    pub fn check_running(&mut self) -> Result<()> {
        for process in &mut self.processes {
            process.check_running()?;
        }
        Ok(())
    }
}

impl Drop for Simulators {
    fn drop(&mut self) {
        for process in &mut self.processes {
            process.stop();
        }
    }
}
