//! Builds the control plane from the configuration: the database (migrated
//! when configured) and the clients of the configured backends. Shared by
//! the HTTP server and the admin subcommands.

use std::sync::Arc;

use control::{
    clock::{Clock, SystemClock},
    domain::EmailAddress,
    identity::{ClientRegistration, Hydra, Kratos, RelyingParty, RelyingPartySettings},
    infra::{mail::Mailer, store::Db},
    ingest::Ingest,
    provisioning::{Engine, ProvisioningRunner},
    Control,
};
use secrecy::ExposeSecret;

use crate::{config::Config, StartError};

pub async fn control_plane(config: &Config) -> Result<Control, StartError> {
    control_plane_on(config, Arc::new(SystemClock)).await
}

/// As `control_plane`, reading the time from `clock`.
pub async fn control_plane_on(config: &Config, clock: Arc<dyn Clock>) -> Result<Control, StartError> {
    let db = Db::connect_lazy(
        config.database.url.expose_secret(),
        config.database.max_connections,
    )?;
    if config.database.migrate {
        db.migrate().await?;
    }
    let mut control = Control::new(db, clock)
        .with_public_url(&config.server.public_url)
        .with_throttle_limits(config.rate_limits.limits())
        .with_organization_approval(config.tenancy.approve_new_organizations)
        .with_platform_limits(config.tenancy.limits());
    if let Some(smtp) = &config.smtp {
        control = control.with_mailer(Mailer::smtp(&smtp.address, &smtp.from)?.with_reply_to(&smtp.support)?);
    }
    if let Some(kratos) = &config.kratos {
        let mut client = Kratos::new(&kratos.public_url, Some(&kratos.admin_url))?;
        if let Some(internal) = &kratos.internal_url {
            client = client.with_internal_url(internal);
        }
        control = control.with_kratos(client);
    }
    if let Some(hydra) = &config.hydra {
        control = control
            .with_hydra(Hydra::new(&hydra.admin_url)?)
            .with_token_issuer(&hydra.public_url);
        if let Some(provisioning) = &config.provisioning {
            control = control.with_sites(provisioning.settings(&hydra.public_url).sites());
            // Without a resolver the portal still serves; own domains wait.
            match provisioning.dns_checker() {
                Ok(dns) => control = control.with_dns(dns),
                Err(error) => tracing::warn!(%error, "own domains cannot be checked: no DNS resolver"),
            }
            if let (Some(vault), Some(mqtt)) = (&config.vault, &config.mqtt) {
                let secrets = control::backends::vault::VaultClient::new(
                    &vault.addr,
                    provisioning.vault_token.expose_secret(),
                    control::backends::CALL_TIMEOUT,
                )
                .map_err(|error| StartError::Provisioning(error.to_string()))?;
                let broker_url = provisioning.mqtt.device_url.clone().unwrap_or_else(|| {
                    if mqtt.address.contains("://") {
                        mqtt.address.clone()
                    } else {
                        format!("mqtt://{}", mqtt.address)
                    }
                });
                let commands = provisioning
                    .mqtt
                    .portal_client(&mqtt.address, control::backends::CALL_TIMEOUT)
                    .map_err(|error| StartError::Provisioning(error.to_string()))?;
                control = control.with_device_access(control::DeviceAccess {
                    secrets: Arc::new(secrets),
                    broker_url,
                    commands: Some(commands),
                });
            }
        }
    }
    Ok(control)
}

/// Grants the bootstrap platform admins; an address without an account, or
/// whose account has not verified it, is reported and skipped (granted at a
/// later start once verified: the list reserves nothing for whoever
/// registers an address first).
pub async fn bootstrap(config: &Config, control: &Control) {
    for raw in &config.bootstrap.platform_admins {
        let Some(email) = EmailAddress::parse(raw) else {
            tracing::warn!(address = %raw, "bootstrap.platform_admins: not an e-mail address");
            continue;
        };
        match control.grant_platform_admin(&email, "bootstrap").await {
            Ok(outcome) => tracing::info!(%email, ?outcome, "bootstrap platform admin"),
            Err(error) => tracing::warn!(%email, %error, "bootstrap platform admin not granted"),
        }
    }
}

/// The portal as an OpenID client of Hydra, registered there first when
/// configured to (development and tests).
pub async fn relying_party(config: &Config, control: &Control) -> Result<Option<RelyingParty>, StartError> {
    let (Some(oidc), Some(issuer)) = (&config.oidc, config.oidc_issuer()) else {
        return Ok(None);
    };
    let base = config.server.public_url.trim_end_matches('/');
    let secret = oidc.client_secret.expose_secret();
    if oidc.register {
        let portal = ClientRegistration::first_party(&oidc.client_id, secret, "Bibind", base);
        // The command line's public client (`bibind login`) comes with the portal's.
        let command_line =
            ClientRegistration::command_line(control::identity::api_tokens::COMMAND_LINE_CLIENT_ID);
        // Hydra may still be starting; sign-in fails clearly until it is up.
        match control.hydra() {
            Ok(hydra) => {
                for client in [&portal, &command_line] {
                    if let Err(error) = hydra.register_client(client).await {
                        tracing::warn!(%error, client = %client.client_id, "cannot register an OpenID client");
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot register the portal's OpenID clients"),
        }
    }
    let settings = RelyingPartySettings {
        issuer,
        client_id: oidc.client_id.clone(),
        client_secret: secret.to_owned(),
        redirect_uri: format!("{base}{}", app::routes::pattern::CALLBACK),
        post_logout_redirect_uri: Some(format!("{base}/")),
        scopes: vec!["openid".into(), "email".into(), "profile".into()],
    };
    Ok(Some(RelyingParty::new(settings)?))
}

/// This process's name among the portal's replicas: worker names own
/// leases, the broker's client ids must differ (unique per process,
/// readable in the jobs table).
pub fn replica_name() -> String {
    format!(
        "replica-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// This replica's ingestion of devices' messages, when `[provisioning]`
/// and `[mqtt]` are set and `[provisioning.mqtt] ingest` is on.
pub fn ingest(config: &Config, control: &Control, replica: &str) -> Result<Option<Ingest>, StartError> {
    let (Some(provisioning), Some(mqtt)) = (&config.provisioning, &config.mqtt) else {
        return Ok(None);
    };
    if !provisioning.mqtt.ingest {
        return Ok(None);
    }
    let portal = provisioning
        .mqtt
        .portal_client(&mqtt.address, control::backends::CALL_TIMEOUT)
        .map_err(|error| StartError::Provisioning(error.to_string()))?;
    Ok(Some(Ingest::new(control.clone(), portal, replica)))
}

/// The provisioning engine of this replica, when `[provisioning]` is set;
/// it needs `[vault]`, `[hydra]` and `[mqtt]` too.
pub fn provisioning_engine(
    config: &Config,
    control: &Control,
    replica: &str,
) -> Result<Option<Engine>, StartError> {
    let Some(provisioning) = config.provisioning.as_ref().filter(|section| section.run_engine) else {
        return Ok(None);
    };
    let missing = |section: &str| StartError::Provisioning(format!("[provisioning] needs [{section}]"));
    let vault = config.vault.as_ref().ok_or_else(|| missing("vault"))?;
    let hydra = config.hydra.as_ref().ok_or_else(|| missing("hydra"))?;
    let mqtt = config.mqtt.as_ref().ok_or_else(|| missing("mqtt"))?;
    let backends = provisioning
        .backends(&vault.addr, &hydra.admin_url, &mqtt.address)
        .map_err(|error| StartError::Provisioning(error.to_string()))?;
    let runner = ProvisioningRunner::new(
        control.clone(),
        backends,
        provisioning.settings(&hydra.public_url),
    );
    let mut engine = Engine::new(control.clone(), runner, provisioning.workers, replica.to_owned())
        .with_lease(provisioning.lease())
        .with_policy(provisioning.retry_policy())
        .with_reconcile_interval(provisioning.reconcile_interval());
    if let Some(backups) = &provisioning.backups {
        engine = engine.with_drill_interval(backups.drill_interval());
    }
    Ok(Some(engine))
}

/// What reads backups back for their download links: the storage of
/// `[provisioning.backups]` and Vault (the organizations' keys); `None`
/// without them (a link then answers 503), or when they do not parse
/// (logged: the engine, built from the same sections, refuses to start).
pub fn backup_reader(config: &Config) -> Option<control::backups::BackupReader> {
    let provisioning = config.provisioning.as_ref()?;
    let backups = provisioning.backups.as_ref()?;
    let vault = config.vault.as_ref()?;
    let built = backups
        .storage(crate::config::STORAGE_TIMEOUT)
        .and_then(|storage| {
            let vault = control::backends::vault::VaultClient::new(
                &vault.addr,
                provisioning.vault_token.expose_secret(),
                control::backends::CALL_TIMEOUT,
            )?;
            Ok(control::backups::BackupReader::new(
                storage,
                std::sync::Arc::new(vault),
            ))
        });
    match built {
        Ok(reader) => Some(reader),
        Err(error) => {
            tracing::error!(%error, "backups cannot be read back: their download links answer 503");
            None
        }
    }
}
