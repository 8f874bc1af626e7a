//! The portal's own client on the broker, `bibind:portal:<group>` (a colon
//! is in no tenant's slug nor device's name): it consumes every
//! organization's device messages through the shared subscription
//! `$share/<group>/tenants/+/devices/#`, so that each message reaches one
//! replica of the group only, and sends commands to
//! `tenants/<slug>/commands/<device>`. Its password is derived from the
//! admin's: every replica computes the same one and none stores it; the
//! broker is given it when the client is created, or again when it
//! refuses it (the admin's password changed).

use std::borrow::Cow;

use rumqttc::v5::{
    mqttbytes::{
        v5::{Packet, PubAckReason, Publish, SubscribeReasonCode},
        QoS,
    },
    AsyncClient, ConnectionError, Event,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::{connection_error, MqttAdminClient, Password, WantedAcl, BACKEND};
use crate::backends::BackendError;

/// Deliveries the broker may send before the first is acknowledged: the
/// ingestion acknowledges a batch once stored, so this bounds what a
/// replica holds unstored (Mosquitto honours the client's MQTT 5 Receive
/// Maximum over its `max_inflight_messages`).
const RECEIVE_MAXIMUM: u16 = 2000;

/// The portal's client of the broker for one ingestion group.
#[derive(Clone)]
pub struct PortalClient {
    admin: MqttAdminClient,
    username: String,
    password: String,
    group: String,
}

impl std::fmt::Debug for PortalClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalClient")
            .field("username", &self.username)
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

/// One message of a device, to acknowledge once handled.
pub struct Delivery {
    client: AsyncClient,
    publish: Publish,
}

impl Delivery {
    pub fn topic(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.publish.topic)
    }

    pub fn payload(&self) -> &[u8] {
        &self.publish.payload
    }

    /// Tells the broker the message is handled (stored or dropped on
    /// purpose); unacknowledged, it comes again after a reconnection.
    pub async fn ack(&self) -> Result<(), BackendError> {
        self.client
            .ack(&self.publish)
            .await
            .map_err(|e| BackendError::transient(BACKEND, e.to_string()))
    }
}

/// What the broker answered to a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Accepted, and the device's commands topic has a subscriber.
    Delivered,
    /// Accepted, but nobody subscribes to the device's commands.
    NoListener,
    /// Refused (the broker's reason code).
    Refused,
}

impl MqttAdminClient {
    /// The portal's client for ingestion group `group` (nothing asked of
    /// the broker yet: [`PortalClient::ensure`] makes it there).
    pub fn portal_client(&self, group: &str) -> PortalClient {
        PortalClient {
            admin: self.clone(),
            username: format!("bibind:portal:{group}"),
            password: portal_password(&self.password, group),
            group: group.to_owned(),
        }
    }
}

fn portal_mark(group: &str) -> String {
    format!("Managed by Bibind: the portal's client of ingestion group {group}")
}

/// The filter of the group's shared subscription.
fn shared_filter(group: &str) -> String {
    format!("$share/{group}/tenants/+/devices/#")
}

/// Mosquitto checks a shared subscription's whole filter, `$share/…` included.
fn portal_acls(group: &str) -> Vec<WantedAcl> {
    vec![
        WantedAcl::allow("subscribeLiteral", shared_filter(group)),
        WantedAcl::allow("publishClientSend", "tenants/+/commands/+".to_owned()),
    ]
}

/// The portal client's password: the same on every replica, known to
/// whoever knows the admin's (who may do anything on the broker anyway).
fn portal_password(admin_password: &str, group: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"bibind portal client\0");
    hash.update(group.as_bytes());
    hash.update(b"\0");
    hash.update(admin_password.as_bytes());
    hex::encode(hash.finalize())
}

impl PortalClient {
    pub fn group(&self) -> &str {
        &self.group
    }

    /// Makes the portal's role and client on the broker: a client created
    /// now gets the derived password; an existing one keeps its own
    /// (setting it would disconnect the replicas using it).
    pub async fn ensure(&self) -> Result<(), BackendError> {
        let mark = portal_mark(&self.group);
        self.admin
            .ensure_role(&self.username, &mark, &portal_acls(&self.group))
            .await?;
        self.admin
            .ensure_client_in_role(
                &self.username,
                &self.username,
                &mark,
                Password::IfCreated(&self.password),
            )
            .await
            .map(drop)
    }

    /// Consumes the devices' messages as `client_id` (unique per replica),
    /// handing each to `sink`, until the connection fails (the error) or
    /// `sink` is closed (`Ok`). A refused password is set again, so the
    /// next attempt connects.
    pub async fn consume(&self, client_id: &str, sink: &mpsc::Sender<Delivery>) -> Result<(), BackendError> {
        let mut options = self
            .admin
            .options(client_id.to_owned(), &self.username, &self.password);
        options
            .set_manual_acks(true)
            .set_receive_maximum(Some(RECEIVE_MAXIMUM));
        let (client, mut events) = AsyncClient::new(options, usize::from(RECEIVE_MAXIMUM));
        client
            .subscribe(shared_filter(&self.group), QoS::AtLeastOnce)
            .await
            .map_err(|e| BackendError::transient(BACKEND, e.to_string()))?;
        loop {
            let event = match events.poll().await {
                Ok(event) => event,
                Err(error) => return Err(self.refused_or(error).await),
            };
            match event {
                Event::Incoming(Packet::SubAck(ack))
                    if ack
                        .return_codes
                        .iter()
                        .any(|code| !matches!(code, SubscribeReasonCode::Success(_))) =>
                {
                    return Err(BackendError::refused(
                        BACKEND,
                        format!(
                            "the broker refused the portal's subscription: {:?}",
                            ack.return_codes
                        ),
                    ));
                }
                Event::Incoming(Packet::Publish(publish)) => {
                    let delivery = Delivery {
                        client: client.clone(),
                        publish,
                    };
                    if sink.send(delivery).await.is_err() {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }

    /// Publishes `payload` to `topic` (QoS 1, one short connection) and
    /// tells what the broker answered.
    pub async fn send_command(&self, topic: &str, payload: Vec<u8>) -> Result<CommandOutcome, BackendError> {
        let timeout = self.admin.timeout;
        tokio::time::timeout(timeout, self.publish_once(topic, payload))
            .await
            .unwrap_or_else(|_| {
                Err(BackendError::transient(
                    BACKEND,
                    format!("no answer from the broker within {timeout:?}"),
                ))
            })
    }

    async fn publish_once(&self, topic: &str, payload: Vec<u8>) -> Result<CommandOutcome, BackendError> {
        let client_id = format!("bibind-command-{}", uuid::Uuid::new_v4().simple());
        let options = self.admin.options(client_id, &self.username, &self.password);
        let (client, mut events) = AsyncClient::new(options, 4);
        client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .map_err(|e| BackendError::transient(BACKEND, e.to_string()))?;
        let outcome = loop {
            let event = match events.poll().await {
                Ok(event) => event,
                Err(error) => return Err(self.refused_or(error).await),
            };
            if let Event::Incoming(Packet::PubAck(ack)) = event {
                break match ack.reason {
                    PubAckReason::Success => CommandOutcome::Delivered,
                    PubAckReason::NoMatchingSubscribers => CommandOutcome::NoListener,
                    _ => CommandOutcome::Refused,
                };
            }
        };
        if client.disconnect().await.is_ok() {
            while let Ok(event) = events.poll().await {
                if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
            }
        }
        Ok(outcome)
    }

    /// The error of a failed connection; when the broker refused the
    /// password, it is set again first (a transient error: try again).
    async fn refused_or(&self, error: ConnectionError) -> BackendError {
        let refused = matches!(
            &error,
            ConnectionError::ConnectionRefused(
                rumqttc::v5::mqttbytes::v5::ConnectReturnCode::BadUserNamePassword
                    | rumqttc::v5::mqttbytes::v5::ConnectReturnCode::NotAuthorized
            )
        );
        if !refused {
            return connection_error(error);
        }
        let reset =
            json!({"command": "setClientPassword", "username": self.username, "password": self.password});
        match self.admin.run_all(vec![reset], &[]).await {
            Ok(()) => BackendError::transient(BACKEND, "the portal's password was refused; it is set again"),
            Err(reset) => reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portal_password_depends_on_the_admin_password_and_the_group() {
        let one = portal_password("admin-secret", "bibind");
        assert_eq!(one, portal_password("admin-secret", "bibind"));
        assert_ne!(one, portal_password("other", "bibind"));
        assert_ne!(one, portal_password("admin-secret", "staging"));
        assert!(!one.contains("admin-secret"));
    }

    #[test]
    fn the_portal_may_hear_devices_through_its_group_and_command_them() {
        let topics: Vec<(&str, String)> = portal_acls("g1")
            .into_iter()
            .map(|acl| (acl.acltype, acl.topic))
            .collect();
        assert_eq!(
            topics,
            [
                ("subscribeLiteral", "$share/g1/tenants/+/devices/#".to_owned()),
                ("publishClientSend", "tenants/+/commands/+".to_owned()),
            ]
        );
    }
}
