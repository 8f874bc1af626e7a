//! Per-tenant MQTT access on Mosquitto 2.0 through its dynamic-security
//! plugin: one role `tenant-<slug>` that may publish and subscribe under
//! `tenants/<slug>/#`, held by the tenant's ingestion client; each
//! device's own client `<slug>.<device>` holding a role only it has
//! (`device-<slug>.<device>`): it publishes under
//! `tenants/<slug>/devices/<device>/` and hears only
//! `tenants/<slug>/commands/<device>`. Mosquitto 2.0 substitutes no `%u`
//! in ACLs, hence a role per device. The portal's own client (`portal`)
//! consumes every device's messages and sends commands.
//!
//! The plugin is driven over MQTT itself: a request on
//! `$CONTROL/dynamic-security/v1`, the reply on `…/v1/response`, matched by
//! correlation data (every admin subscriber hears every reply). Each call
//! opens its own short connection, so a broker restart between calls costs
//! nothing.
//!
//! Ownership: the roles and clients Bibind creates carry
//! "Managed by Bibind for subscription <uuid>" as their `textdescription`.
//! A role or client of the wanted name without that mark is never adopted,
//! changed or deleted: the step is refused ("exists and is not ours").
//!
//! With an `mqtts://` address the connection is TLS (the system's
//! roots, or only the CA given): the admin's password crosses it, so
//! production must use it.

use std::time::Duration;

use rumqttc::v5::{
    mqttbytes::{
        v5::{ConnectReturnCode, Packet, SubscribeReasonCode},
        QoS,
    },
    AsyncClient, ConnectionError, Event, MqttOptions,
};
use rumqttc::{Outgoing, TlsConfiguration, Transport};
use serde::Deserialize;
use serde_json::{json, Value};

use super::BackendError;

mod portal;
pub use portal::{CommandOutcome, Delivery, PortalClient};

const BACKEND: &str = "mqtt";
const REQUEST_TOPIC: &str = "$CONTROL/dynamic-security/v1";
const RESPONSE_TOPIC: &str = "$CONTROL/dynamic-security/v1/response";
/// `listClients` replies grow with the number of devices: well above
/// rumqttc's 10 KiB default.
const MAX_PACKET_SIZE: u32 = 16 * 1024 * 1024;
/// Our own publishes awaiting their PUBACK, at most.
const OUTGOING_IN_FLIGHT: u16 = 64;

/// What a tenant's MQTT access looks like on the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedMqttTenant {
    /// The role grants exactly the tenant's topics.
    pub acls_match: bool,
    /// `(username, disabled)` of every client holding the role.
    pub clients: Vec<(String, bool)>,
}

#[async_trait::async_trait]
pub trait MqttAccess: Send + Sync {
    /// Role `tenant-<slug>` allowed to publish and subscribe under
    /// `tenants/<slug>/#` and nothing else, marked as `subscription`'s;
    /// drifted ACLs are corrected. A role of that name without the mark is
    /// refused.
    async fn ensure_tenant_role(&self, slug: &str, subscription: uuid::Uuid) -> Result<(), BackendError>;
    /// A client holding the tenant's role, marked as `subscription`'s. An
    /// existing client gets `password` again (the broker cannot tell whether
    /// it already has it), which disconnects it once. A username held by
    /// another tenant, or without the mark, is refused.
    async fn ensure_client(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        username: &str,
        password: &str,
    ) -> Result<(), BackendError>;
    /// Device `device`'s own client ([`device_username`]) holding its own
    /// role ([`device_role`]: it publishes under its topic but to its
    /// commands, and hears its commands only, [`device_topics`]), marked as
    /// `subscription`'s, with `password` (set again on an existing client:
    /// the broker disconnects it, so an old password is refused at once),
    /// enabled or disabled.
    async fn ensure_device(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        device: &str,
        password: &str,
        enabled: bool,
    ) -> Result<(), BackendError>;
    /// Enables or disables a device's client (disabling disconnects it).
    async fn set_device_enabled(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        device: &str,
        enabled: bool,
    ) -> Result<(), BackendError>;
    /// Deletes a device's client and role; what is gone is done.
    async fn remove_device(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        device: &str,
    ) -> Result<(), BackendError>;
    /// Disables or enables every client holding the tenant's role.
    async fn set_tenant_enabled(&self, slug: &str, enabled: bool) -> Result<(), BackendError>;
    /// Deletes the tenant's clients and its devices' clients, then their
    /// roles; what is gone is done. When one of them is not
    /// `subscription`'s, nothing is deleted and the call is refused.
    async fn remove_tenant(&self, slug: &str, subscription: uuid::Uuid) -> Result<(), BackendError>;
    /// `None` when the tenant has no role.
    async fn observe(&self, slug: &str) -> Result<Option<ObservedMqttTenant>, BackendError>;
}

/// A client of the dynamic-security plugin, as its admin client.
#[derive(Clone)]
pub struct MqttAdminClient {
    host: String,
    port: u16,
    username: String,
    password: String,
    timeout: Duration,
    /// `Some`: the connection is TLS with this configuration.
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for MqttAdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttAdminClient")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// A broker's address, `mqtts://host:port` (TLS), `mqtt://host:port` or
/// `host:port`: its host, its port if given, and whether it is TLS.
pub fn broker_address(address: &str) -> (String, Option<u16>, bool) {
    let (rest, tls) = match address.strip_prefix("mqtts://") {
        Some(rest) => (rest, true),
        None => (address.trim_start_matches("mqtt://"), false),
    };
    let rest = rest.trim_end_matches('/');
    match rest
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
    {
        Some((host, port)) => (host.to_owned(), Some(port), tls),
        None => (rest.to_owned(), None, tls),
    }
}

pub fn role_name(slug: &str) -> String {
    format!("tenant-{slug}")
}

/// An ACL a role must hold: checked highest `priority` first, the first
/// matching one deciding (`allow: false` is a real deny).
#[derive(Debug, Clone, PartialEq, Eq)]
struct WantedAcl {
    acltype: &'static str,
    topic: String,
    priority: i64,
    allow: bool,
}

impl WantedAcl {
    fn allow(acltype: &'static str, topic: String) -> Self {
        Self {
            acltype,
            topic,
            priority: 0,
            allow: true,
        }
    }

    fn matches(&self, acl: &Acl) -> bool {
        acl.acltype == self.acltype
            && acl.topic == self.topic
            && acl.priority == self.priority
            && acl.allow == self.allow
    }

    fn json(&self) -> Value {
        json!({"acltype": self.acltype, "topic": self.topic, "priority": self.priority, "allow": self.allow})
    }
}

/// The password a client is given by `ensure_client_in_role`.
#[derive(Clone, Copy)]
enum Password<'a> {
    /// Set on the client, new or existing.
    Replace(&'a str),
    /// Set only on a client created now (the existing one keeps its own:
    /// setting it would disconnect whoever uses it).
    IfCreated(&'a str),
}

/// The ACLs of a tenant's role (its ingestion's client): everything under
/// `tenants/<slug>/`.
fn tenant_acls(slug: &str) -> Vec<WantedAcl> {
    let topics = format!("tenants/{slug}/#");
    vec![
        WantedAcl::allow("publishClientSend", topics.clone()),
        WantedAcl::allow("subscribePattern", topics),
    ]
}

/// A device's username on the broker: `<slug>.<device>` (a slug has no
/// dot, so no two devices of two tenants share one).
pub fn device_username(slug: &str, device: &str) -> String {
    format!("{slug}.{device}")
}

/// The role only that device holds.
pub fn device_role(slug: &str, device: &str) -> String {
    format!("device-{slug}.{device}")
}

/// Where a device publishes (under the first) and what it hears (the
/// second, its commands): `tenants/<slug>/devices/<device>` and
/// `tenants/<slug>/commands/<device>`. Commands live outside the devices'
/// tree so that the portal's ingestion never hears them, and the broker's
/// answer to a command tells whether anyone listens.
pub fn device_topics(slug: &str, device: &str) -> (String, String) {
    (
        format!("tenants/{slug}/devices/{device}"),
        format!("tenants/{slug}/commands/{device}"),
    )
}

/// A device's ACLs: it publishes anywhere under its own topic and
/// subscribes to its commands only. Anything else falls to the broker's
/// default, which denies publishing and subscribing.
fn device_acls(slug: &str, device: &str) -> Vec<WantedAcl> {
    let (base, commands) = device_topics(slug, device);
    vec![
        WantedAcl::allow("publishClientSend", format!("{base}/#")),
        WantedAcl::allow("subscribeLiteral", commands),
    ]
}

/// One reply of the plugin.
#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(rename = "correlationData", default)]
    correlation_data: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Value,
}

#[derive(Deserialize)]
struct Replies {
    responses: Vec<Reply>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Acl {
    acltype: String,
    topic: String,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    allow: bool,
}

#[derive(Debug, Deserialize)]
struct RoleName {
    rolename: String,
}

#[derive(Debug, Deserialize)]
struct Client {
    username: String,
    #[serde(default)]
    textdescription: Option<String>,
    #[serde(default)]
    disabled: bool,
    #[serde(default)]
    roles: Vec<RoleName>,
}

impl Client {
    fn holds(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.rolename == role)
    }
}

/// A role as `getRole` tells it.
#[derive(Debug, Deserialize)]
struct Role {
    #[serde(default)]
    textdescription: Option<String>,
    #[serde(default)]
    acls: Vec<Acl>,
}

/// Whether a role's or client's `textdescription` carries Bibind's mark
/// for `subscription`.
fn is_marked(textdescription: Option<&str>, subscription: uuid::Uuid) -> bool {
    has_mark(textdescription, &super::ownership_mark(subscription))
}

fn has_mark(textdescription: Option<&str>, mark: &str) -> bool {
    textdescription.is_some_and(|text| text.contains(mark))
}

fn not_ours(kind: &str, name: &str) -> BackendError {
    BackendError::not_ours(BACKEND, format!("MQTT {kind} {name}"))
}

const ROLE_NOT_FOUND: &str = "Role not found";
const CLIENT_NOT_FOUND: &str = "Client not found";
const CLIENT_EXISTS: &str = "Client already exists";
const ROLE_EXISTS: &str = "Role already exists";
const ACL_EXISTS: &str = "ACL with this topic already exists";
const ACL_NOT_FOUND: &str = "ACL not found";

impl Reply {
    /// Success, or one of the `tolerated` errors (an "already done").
    fn ok_or(self, tolerated: &[&str]) -> Result<Self, BackendError> {
        match &self.error {
            Some(error) if !tolerated.contains(&error.as_str()) => Err(BackendError::refused(
                BACKEND,
                format!("dynamic security: {error}"),
            )),
            _ => Ok(self),
        }
    }

    fn is(&self, error: &str) -> bool {
        self.error.as_deref() == Some(error)
    }

    fn field<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, BackendError> {
        serde_json::from_value(self.data.get(name).cloned().unwrap_or(Value::Null))
            .map_err(|e| BackendError::refused(BACKEND, format!("unexpected dynamic-security reply: {e}")))
    }
}

impl MqttAdminClient {
    /// `address` is `host:port` or `mqtt://host:port` (plain TCP), or
    /// `mqtts://host:port` (TLS, the broker's certificate checked against
    /// the system's roots); every call (connect included) must end within
    /// `timeout`.
    pub fn new(
        address: &str,
        admin_username: &str,
        admin_password: &str,
        timeout: Duration,
    ) -> Result<Self, BackendError> {
        let (host, port, tls) = broker_address(address);
        let port =
            port.ok_or_else(|| BackendError::refused(BACKEND, format!("`{address}` is not host:port")))?;
        let tls = if tls { Some(tls_config(None)?) } else { None };
        Ok(Self {
            host,
            port,
            username: admin_username.to_owned(),
            password: admin_password.to_owned(),
            timeout,
            tls,
        })
    }

    /// Trusts only the CA certificates in `pem` for the broker's
    /// certificate. The address must be `mqtts://`: a CA given for a plain
    /// connection is a mistake that would send the password in clear.
    pub fn with_ca_pem(mut self, pem: &[u8]) -> Result<Self, BackendError> {
        if self.tls.is_none() {
            return Err(BackendError::refused(
                BACKEND,
                "a CA file is configured but the address is not mqtts://",
            ));
        }
        self.tls = Some(tls_config(Some(pem))?);
        Ok(self)
    }

    /// Whether calls go over TLS.
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Options for a clean session on this broker as `username`.
    fn options(&self, client_id: String, username: &str, password: &str) -> MqttOptions {
        let mut options = MqttOptions::new(client_id, &self.host, self.port);
        options
            .set_credentials(username, password)
            .set_clean_start(true)
            .set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(Some(MAX_PACKET_SIZE))
            // rumqttc sizes its table of publishes in flight by the broker's
            // Receive Maximum (65,535 from Mosquitto: some 14 MB per
            // connection); these connections need few.
            .set_outgoing_inflight_upper_limit(OUTGOING_IN_FLIGHT);
        if let Some(tls) = &self.tls {
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls.clone())));
        }
        options
    }

    /// Sends `commands` in one request and returns their replies in order.
    async fn run(&self, commands: Vec<Value>) -> Result<Vec<Reply>, BackendError> {
        let timeout = self.timeout;
        tokio::time::timeout(timeout, self.exchange(commands))
            .await
            .unwrap_or_else(|_| {
                Err(BackendError::transient(
                    BACKEND,
                    format!("no reply from the broker within {timeout:?}"),
                ))
            })
    }

    async fn exchange(&self, mut commands: Vec<Value>) -> Result<Vec<Reply>, BackendError> {
        let request_id = uuid::Uuid::new_v4().simple().to_string();
        let correlations: Vec<String> = (0..commands.len())
            .map(|index| format!("{request_id}-{index}"))
            .collect();
        for (command, correlation) in commands.iter_mut().zip(&correlations) {
            command["correlationData"] = Value::String(correlation.clone());
        }
        let request = json!({ "commands": commands }).to_string();

        let options = self.options(
            format!("bibind-control-{request_id}"),
            &self.username,
            &self.password,
        );
        let (client, mut events) = AsyncClient::new(options, 10);
        // Subscribed before asking, so that the reply cannot be missed.
        client
            .subscribe(RESPONSE_TOPIC, QoS::AtLeastOnce)
            .await
            .map_err(|e| BackendError::transient(BACKEND, e.to_string()))?;
        let replies = loop {
            let event = events.poll().await.map_err(connection_error)?;
            let Event::Incoming(packet) = event else { continue };
            match packet {
                Packet::SubAck(ack) => {
                    if ack
                        .return_codes
                        .iter()
                        .any(|code| !matches!(code, SubscribeReasonCode::Success(_)))
                    {
                        return Err(BackendError::refused(
                            BACKEND,
                            "the admin client may not subscribe to the dynamic-security replies",
                        ));
                    }
                    client
                        .publish(REQUEST_TOPIC, QoS::AtLeastOnce, false, request.clone())
                        .await
                        .map_err(|e| BackendError::transient(BACKEND, e.to_string()))?;
                }
                Packet::Publish(publish) if publish.topic == RESPONSE_TOPIC.as_bytes() => {
                    let Ok(replies) = serde_json::from_slice::<Replies>(&publish.payload) else {
                        continue;
                    };
                    if replies
                        .responses
                        .first()
                        .is_some_and(|reply| correlations.contains(&reply.correlation_data))
                    {
                        break replies.responses;
                    }
                }
                _ => {}
            }
        };
        // The answer is in hand: a failed goodbye changes nothing.
        if client.disconnect().await.is_ok() {
            while let Ok(event) = events.poll().await {
                if matches!(event, Event::Outgoing(Outgoing::Disconnect)) {
                    break;
                }
            }
        }
        order_replies(replies, &correlations)
    }

    async fn role(&self, role: &str) -> Result<Option<Role>, BackendError> {
        let [reply] = self
            .run_exactly([json!({"command": "getRole", "rolename": role})])
            .await?;
        if reply.is(ROLE_NOT_FOUND) {
            return Ok(None);
        }
        Ok(Some(reply.ok_or(&[])?.field::<Role>("role")?))
    }

    async fn client(&self, username: &str) -> Result<Option<Client>, BackendError> {
        let [reply] = self
            .run_exactly([json!({"command": "getClient", "username": username})])
            .await?;
        if reply.is(CLIENT_NOT_FOUND) {
            return Ok(None);
        }
        Ok(Some(reply.ok_or(&[])?.field("client")?))
    }

    /// Every client, with its roles.
    async fn all_clients(&self) -> Result<Vec<Client>, BackendError> {
        let [reply] = self
            .run_exactly([json!({"command": "listClients", "verbose": true, "count": -1})])
            .await?;
        reply.ok_or(&[])?.field("clients")
    }

    /// Every client holding `role` (the plugin cannot list by role).
    async fn clients_with_role(&self, role: &str) -> Result<Vec<Client>, BackendError> {
        let clients = self.all_clients().await?;
        Ok(clients.into_iter().filter(|client| client.holds(role)).collect())
    }

    /// The names of every role.
    async fn role_names(&self) -> Result<Vec<String>, BackendError> {
        let [reply] = self
            .run_exactly([json!({"command": "listRoles", "verbose": false, "count": -1})])
            .await?;
        reply.ok_or(&[])?.field("roles")
    }

    async fn run_exactly<const N: usize>(&self, commands: [Value; N]) -> Result<[Reply; N], BackendError> {
        self.run(commands.into())
            .await?
            .try_into()
            .map_err(|_: Vec<Reply>| {
                BackendError::refused(BACKEND, "the broker answered a different number of commands")
            })
    }

    /// Runs `commands`, each allowed to fail with one of `tolerated`.
    async fn run_all(&self, commands: Vec<Value>, tolerated: &[&str]) -> Result<(), BackendError> {
        if commands.is_empty() {
            return Ok(());
        }
        for reply in self.run(commands).await? {
            reply.ok_or(tolerated)?;
        }
        Ok(())
    }
}

/// The replies matching `correlations`, in that order.
fn order_replies(mut replies: Vec<Reply>, correlations: &[String]) -> Result<Vec<Reply>, BackendError> {
    correlations
        .iter()
        .map(|correlation| {
            let index = replies
                .iter()
                .position(|reply| &reply.correlation_data == correlation)
                .ok_or_else(|| BackendError::refused(BACKEND, "a dynamic-security reply is missing"))?;
            Ok(replies.swap_remove(index))
        })
        .collect()
}

/// TLS trusting the CA certificates in `ca_pem`, or the system's roots.
fn tls_config(ca_pem: Option<&[u8]>) -> Result<std::sync::Arc<rustls::ClientConfig>, BackendError> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<_, _>>()
                .map_err(|e| BackendError::refused(BACKEND, format!("the CA file is not PEM: {e}")))?;
            if certificates.is_empty() {
                return Err(BackendError::refused(BACKEND, "the CA file holds no certificate"));
            }
            for certificate in certificates {
                roots
                    .add(certificate)
                    .map_err(|e| BackendError::refused(BACKEND, format!("unusable CA certificate: {e}")))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| BackendError::refused(BACKEND, format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(std::sync::Arc::new(config))
}

fn connection_error(error: ConnectionError) -> BackendError {
    match error {
        ConnectionError::ConnectionRefused(
            code @ (ConnectReturnCode::BadUserNamePassword
            | ConnectReturnCode::NotAuthorized
            | ConnectReturnCode::Banned
            | ConnectReturnCode::BadAuthenticationMethod),
        ) => BackendError::refused(BACKEND, format!("the broker refused the client: {code:?}")),
        other => BackendError::transient(BACKEND, other.to_string()),
    }
}

/// The commands that turn `current` ACLs into `wanted`.
fn acl_repairs(role: &str, wanted: &[WantedAcl], current: &[Acl]) -> Vec<Value> {
    let is_wanted = |acl: &Acl| wanted.iter().any(|want| want.matches(acl));
    let mut commands: Vec<Value> = current
        .iter()
        .filter(|acl| !is_wanted(acl))
        .map(|acl| {
            json!({"command": "removeRoleACL", "rolename": role, "acltype": acl.acltype, "topic": acl.topic})
        })
        .collect();
    for want in wanted {
        if !current.iter().any(|acl| want.matches(acl)) {
            let mut command = want.json();
            command["command"] = json!("addRoleACL");
            command["rolename"] = json!(role);
            commands.push(command);
        }
    }
    commands
}

impl MqttAdminClient {
    /// Role `role` with exactly `wanted`, marked with `mark`; a role of
    /// that name without the mark is refused.
    async fn ensure_role(&self, role: &str, mark: &str, wanted: &[WantedAcl]) -> Result<(), BackendError> {
        let found = match self.role(role).await? {
            Some(found) => found,
            None => {
                let acls: Vec<Value> = wanted.iter().map(WantedAcl::json).collect();
                let [created] = self
                    .run_exactly([json!({
                        "command": "createRole",
                        "rolename": role,
                        "textdescription": mark,
                        "acls": acls,
                    })])
                    .await?;
                if !created.ok_or(&[ROLE_EXISTS])?.is(ROLE_EXISTS) {
                    return Ok(());
                }
                // Created concurrently: check it like any other.
                self.role(role).await?.ok_or_else(|| {
                    BackendError::transient(BACKEND, "the role vanished while being created")
                })?
            }
        };
        if !has_mark(found.textdescription.as_deref(), mark) {
            return Err(not_ours("role", role));
        }
        // Removals run before additions, so a wrong `allow` on a wanted
        // topic is replaced rather than reported as existing.
        self.run_all(
            acl_repairs(role, wanted, &found.acls),
            &[ACL_EXISTS, ACL_NOT_FOUND],
        )
        .await
    }

    /// Client `username` holding `role` (and no other tenant's or device's
    /// role), marked with `mark`, with `password` (set again on an
    /// existing client when `Password::Replace`: the broker disconnects it
    /// once). Returns the client as it was found (or created).
    async fn ensure_client_in_role(
        &self,
        username: &str,
        role: &str,
        mark: &str,
        password: Password<'_>,
    ) -> Result<Client, BackendError> {
        let (Password::Replace(secret) | Password::IfCreated(secret)) = password;
        let existing = match self.client(username).await? {
            Some(client) => client,
            None => {
                let [created] = self
                    .run_exactly([json!({
                        "command": "createClient",
                        "username": username,
                        "password": secret,
                        "textdescription": mark,
                        "roles": [{"rolename": role}],
                    })])
                    .await?;
                let concurrent = created.ok_or(&[CLIENT_EXISTS])?.is(CLIENT_EXISTS);
                let found = self.client(username).await?.ok_or_else(|| {
                    BackendError::transient(BACKEND, "the client vanished while being created")
                })?;
                if !concurrent {
                    return Ok(found);
                }
                found
            }
        };
        let foreign = existing.roles.iter().any(|held| {
            held.rolename != role
                && (held.rolename.starts_with("tenant-") || held.rolename.starts_with("device-"))
        });
        if foreign {
            return Err(BackendError::refused(
                BACKEND,
                format!("MQTT client {username} belongs to another tenant or device"),
            ));
        }
        if !has_mark(existing.textdescription.as_deref(), mark) {
            return Err(not_ours("client", username));
        }
        let mut commands = Vec::new();
        if let Password::Replace(secret) = password {
            commands.push(json!({"command": "setClientPassword", "username": username, "password": secret}));
        }
        if !existing.holds(role) {
            commands.push(json!({"command": "addClientRole", "username": username, "rolename": role}));
        }
        self.run_all(commands, &[]).await?;
        Ok(existing)
    }

    /// The device's client, if it exists; one not `subscription`'s is refused.
    async fn device_client(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        device: &str,
    ) -> Result<Option<Client>, BackendError> {
        let username = device_username(slug, device);
        match self.client(&username).await? {
            Some(client) if !is_marked(client.textdescription.as_deref(), subscription) => {
                Err(not_ours("client", &username))
            }
            found => Ok(found),
        }
    }

    async fn set_client_enabled(&self, username: &str, enabled: bool) -> Result<(), BackendError> {
        let command = if enabled { "enableClient" } else { "disableClient" };
        self.run_all(vec![json!({"command": command, "username": username})], &[])
            .await
    }
}

#[async_trait::async_trait]
impl MqttAccess for MqttAdminClient {
    async fn ensure_tenant_role(&self, slug: &str, subscription: uuid::Uuid) -> Result<(), BackendError> {
        self.ensure_role(
            &role_name(slug),
            &super::ownership_mark(subscription),
            &tenant_acls(slug),
        )
        .await
    }

    async fn ensure_client(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        username: &str,
        password: &str,
    ) -> Result<(), BackendError> {
        self.ensure_client_in_role(
            username,
            &role_name(slug),
            &super::ownership_mark(subscription),
            Password::Replace(password),
        )
        .await
        .map(drop)
    }

    async fn ensure_device(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        device: &str,
        password: &str,
        enabled: bool,
    ) -> Result<(), BackendError> {
        let role = device_role(slug, device);
        let mark = super::ownership_mark(subscription);
        self.ensure_role(&role, &mark, &device_acls(slug, device)).await?;
        let username = device_username(slug, device);
        let client = self
            .ensure_client_in_role(&username, &role, &mark, Password::Replace(password))
            .await?;
        if client.disabled == enabled {
            self.set_client_enabled(&username, enabled).await?;
        }
        Ok(())
    }

    async fn set_device_enabled(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        device: &str,
        enabled: bool,
    ) -> Result<(), BackendError> {
        let Some(client) = self.device_client(slug, subscription, device).await? else {
            return Err(BackendError::refused(
                BACKEND,
                format!("MQTT client {} does not exist", device_username(slug, device)),
            ));
        };
        if client.disabled == enabled {
            self.set_client_enabled(&client.username, enabled).await?;
        }
        Ok(())
    }

    async fn remove_device(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        device: &str,
    ) -> Result<(), BackendError> {
        let role = device_role(slug, device);
        if let Some(found) = self.role(&role).await? {
            if !is_marked(found.textdescription.as_deref(), subscription) {
                return Err(not_ours("role", &role));
            }
        }
        let client = self.device_client(slug, subscription, device).await?;
        let commands = client
            .into_iter()
            .map(|client| json!({"command": "deleteClient", "username": client.username}))
            .chain([json!({"command": "deleteRole", "rolename": role})])
            .collect();
        self.run_all(commands, &[CLIENT_NOT_FOUND, ROLE_NOT_FOUND]).await
    }

    async fn set_tenant_enabled(&self, slug: &str, enabled: bool) -> Result<(), BackendError> {
        let command = if enabled { "enableClient" } else { "disableClient" };
        let commands = self
            .clients_with_role(&role_name(slug))
            .await?
            .into_iter()
            .filter(|client| client.disabled == enabled)
            .map(|client| json!({"command": command, "username": client.username}))
            .collect();
        self.run_all(commands, &[CLIENT_NOT_FOUND]).await
    }

    async fn remove_tenant(&self, slug: &str, subscription: uuid::Uuid) -> Result<(), BackendError> {
        let role = role_name(slug);
        let device_roles = format!("device-{slug}.");
        let mut roles: Vec<String> = self
            .role_names()
            .await?
            .into_iter()
            .filter(|name| name.starts_with(&device_roles))
            .collect();
        roles.push(role.clone());
        // Every role and client is checked before any goes: all or nothing.
        for name in &roles {
            if let Some(found) = self.role(name).await? {
                if !is_marked(found.textdescription.as_deref(), subscription) {
                    return Err(not_ours("role", name));
                }
            }
        }
        let clients: Vec<Client> = self
            .all_clients()
            .await?
            .into_iter()
            .filter(|client| client.roles.iter().any(|held| roles.contains(&held.rolename)))
            .collect();
        if let Some(foreign) = clients
            .iter()
            .find(|client| !is_marked(client.textdescription.as_deref(), subscription))
        {
            return Err(not_ours("client", &foreign.username));
        }
        let commands = clients
            .into_iter()
            .map(|client| json!({"command": "deleteClient", "username": client.username}))
            .chain(
                roles
                    .into_iter()
                    .map(|name| json!({"command": "deleteRole", "rolename": name})),
            )
            .collect();
        self.run_all(commands, &[CLIENT_NOT_FOUND, ROLE_NOT_FOUND]).await
    }

    async fn observe(&self, slug: &str) -> Result<Option<ObservedMqttTenant>, BackendError> {
        let role = role_name(slug);
        let Some(Role { acls, .. }) = self.role(&role).await? else {
            return Ok(None);
        };
        let clients = self
            .clients_with_role(&role)
            .await?
            .into_iter()
            .map(|client| (client.username, client.disabled))
            .collect();
        Ok(Some(ObservedMqttTenant {
            acls_match: acl_repairs(&role, &tenant_acls(slug), &acls).is_empty(),
            clients,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn an_mqtts_address_connects_with_tls_and_a_plain_one_without() {
        let tls = MqttAdminClient::new("mqtts://broker.internal:8883", "admin", "pw", SECOND).unwrap();
        assert!(tls.uses_tls());
        assert_eq!((tls.host.as_str(), tls.port), ("broker.internal", 8883));
        let plain = MqttAdminClient::new("mqtt://broker.internal:1883", "admin", "pw", SECOND).unwrap();
        assert!(!plain.uses_tls());
        assert!(!MqttAdminClient::new("127.0.0.1:1883", "admin", "pw", SECOND)
            .unwrap()
            .uses_tls());
    }

    #[test]
    fn a_ca_file_is_used_only_with_mqtts() {
        let ca = include_bytes!("../../../tests/fixtures/public-ca.pem");
        let tls = MqttAdminClient::new("mqtts://broker.internal:8883", "admin", "pw", SECOND)
            .unwrap()
            .with_ca_pem(ca)
            .unwrap();
        assert!(tls.uses_tls());
        // A CA for a plain connection: the password would still go in clear.
        let error = MqttAdminClient::new("mqtt://broker.internal:1883", "admin", "pw", SECOND)
            .unwrap()
            .with_ca_pem(ca)
            .unwrap_err();
        assert!(error.to_string().contains("mqtts://"), "{error}");
        let error = MqttAdminClient::new("mqtts://broker.internal:8883", "admin", "pw", SECOND)
            .unwrap()
            .with_ca_pem(b"not a certificate")
            .unwrap_err();
        assert!(error.to_string().contains("CA file"), "{error}");
    }

    fn acl(acltype: &str, topic: &str, allow: bool) -> Acl {
        Acl {
            acltype: acltype.into(),
            topic: topic.into(),
            priority: 0,
            allow,
        }
    }

    #[test]
    fn the_exact_tenant_acls_need_no_repair() {
        let current = [
            acl("subscribePattern", "tenants/acme/#", true),
            acl("publishClientSend", "tenants/acme/#", true),
        ];
        assert!(acl_repairs("tenant-acme", &tenant_acls("acme"), &current).is_empty());
    }

    #[test]
    fn foreign_denied_or_missing_acls_are_repaired() {
        let current = [
            acl("publishClientSend", "tenants/acme/#", false),
            acl("subscribePattern", "#", true),
        ];
        let repairs = acl_repairs("tenant-acme", &tenant_acls("acme"), &current);
        let commands: Vec<(&str, &str)> = repairs
            .iter()
            .map(|c| {
                (
                    c["command"].as_str().unwrap_or(""),
                    c["topic"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            commands,
            [
                ("removeRoleACL", "tenants/acme/#"),
                ("removeRoleACL", "#"),
                ("addRoleACL", "tenants/acme/#"),
                ("addRoleACL", "tenants/acme/#"),
            ]
        );
    }

    #[test]
    fn an_address_needs_a_port() {
        let client = MqttAdminClient::new("mqtt://127.0.0.1:1883", "admin", "pw", Duration::from_secs(1));
        assert!(client.is_ok_and(|c| c.port == 1883 && c.host == "127.0.0.1"));
        assert!(MqttAdminClient::new("localhost", "admin", "pw", Duration::from_secs(1)).is_err());
    }
}
