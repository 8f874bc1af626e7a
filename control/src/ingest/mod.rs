//! Device messages, consumed from the broker and stored. Each replica
//! joins the ingestion group's shared subscription (the broker hands each
//! message to one of them), gathers what arrives for a tenth of a second,
//! and stores the batch in one transaction (`store`): the rate limits
//! decided there under row locks, so that replicas share one count. The
//! batch is acknowledged to the broker only once committed: a replica that
//! dies with a batch in hand has it sent again to another. `retention`
//! keeps the day partitions ahead and deletes what the plans keep no more.

mod retention;
mod store;

use std::{collections::BTreeSet, time::Duration};

use hashlink::LruCache;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::{
    backends::mqtt::{Delivery, PortalClient},
    domain::parse_payload,
    Control, Result,
};

pub use store::DEVICE_MESSAGES_CHANNEL;
use store::{Arrival, Target};

/// How the ingestion batches.
#[derive(Debug, Clone, Copy)]
pub struct IngestSettings {
    /// A batch is stored when it holds this many messages…
    pub batch_size: usize,
    /// …or this long after its first arrived.
    pub linger: Duration,
    /// How long a device's identity (its plan's limits) is remembered.
    pub remember_devices: Duration,
    /// Between two runs of the retention.
    pub retention_every: Duration,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            batch_size: 1000,
            linger: Duration::from_millis(100),
            remember_devices: Duration::from_secs(30),
            retention_every: Duration::from_secs(3600),
        }
    }
}

/// One replica's ingestion.
pub struct Ingest {
    control: Control,
    portal: PortalClient,
    client_id: String,
    settings: IngestSettings,
}

/// The largest number of devices whose identity is remembered.
const REMEMBERED_DEVICES: usize = 100_000;

impl Ingest {
    /// `replica` names this process (the broker's client id is derived
    /// from it: two replicas must not share one).
    pub fn new(control: Control, portal: PortalClient, replica: &str) -> Self {
        Self {
            control,
            client_id: format!("bibind-ingest-{}-{replica}", portal.group()),
            portal,
            settings: IngestSettings::default(),
        }
    }

    pub fn with_settings(mut self, settings: IngestSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Consumes and stores until the process ends (or the task is
    /// aborted: everything runs inside it), connecting again after any
    /// failure.
    pub async fn run(self) {
        let (sink, deliveries) = mpsc::channel(self.settings.batch_size.saturating_mul(4).max(1));
        let writer = Writer {
            control: self.control.clone(),
            settings: self.settings,
            devices: LruCache::new(REMEMBERED_DEVICES),
        };
        tokio::select! {
            () = writer.run(deliveries) => {}
            () = retention::run(self.control.clone(), self.settings.retention_every) => {}
            () = self.consume(&sink) => {}
        }
    }

    async fn consume(&self, sink: &mpsc::Sender<Delivery>) {
        const FIRST_PAUSE: Duration = Duration::from_millis(200);
        let mut pause = FIRST_PAUSE;
        loop {
            let started = std::time::Instant::now();
            let outcome = match self.portal.ensure().await {
                Ok(()) => self.portal.consume(&self.client_id, sink).await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, group = self.portal.group(), "device messages not consumed; connecting again");
                }
            }
            // A connection that lasted was fine: the next failure starts over.
            if started.elapsed() > Duration::from_secs(30) {
                pause = FIRST_PAUSE;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(10));
        }
    }
}

/// Gathers deliveries into batches and stores them.
struct Writer {
    control: Control,
    settings: IngestSettings,
    /// `(slug, device name)` → its target (`None`: no such device), and
    /// when that was read.
    devices: LruCache<(String, String), (Option<Target>, std::time::Instant)>,
}

impl Writer {
    async fn run(mut self, mut deliveries: mpsc::Receiver<Delivery>) {
        let mut batch = Vec::with_capacity(self.settings.batch_size);
        loop {
            let Some(first) = deliveries.recv().await else {
                return;
            };
            batch.push(first);
            let deadline = tokio::time::Instant::now() + self.settings.linger;
            while batch.len() < self.settings.batch_size {
                match tokio::time::timeout_at(deadline, deliveries.recv()).await {
                    Ok(Some(delivery)) => batch.push(delivery),
                    Ok(None) | Err(_) => break,
                }
            }
            // A failed store is tried again: the broker keeps sending
            // nothing more than its Receive Maximum meanwhile.
            let mut pause = Duration::from_millis(100);
            while let Err(error) = self.store(&batch).await {
                tracing::warn!(%error, messages = batch.len(), "device messages not stored; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            for delivery in batch.drain(..) {
                if let Err(error) = delivery.ack().await {
                    tracing::debug!(%error, "a stored message was not acknowledged (it may come again)");
                }
            }
        }
    }

    async fn store(&mut self, batch: &[Delivery]) -> Result<()> {
        let topics: Vec<Option<DeviceTopic>> = batch
            .iter()
            .map(|delivery| DeviceTopic::parse(&delivery.topic()))
            .collect();
        self.resolve(topics.iter().flatten()).await?;
        let arrivals: Vec<Arrival> = batch
            .iter()
            .zip(&topics)
            .filter_map(|(delivery, topic)| {
                let topic = topic.as_ref()?;
                let key = (topic.slug.clone(), topic.device.clone());
                let target = self.devices.get(&key)?.0.clone()?;
                let parsed = parse_payload(&topic.subtopic, delivery.payload());
                Some(Arrival {
                    target,
                    topic: topic.subtopic.clone(),
                    payload: parsed.text,
                    numbers: parsed.numbers,
                })
            })
            .collect();
        if arrivals.is_empty() {
            return Ok(());
        }
        store::store(self.control.db().pool(), self.control.clock.now(), &arrivals).await
    }

    /// Reads the devices of `topics` not remembered (or remembered too long).
    async fn resolve<'a>(&mut self, topics: impl Iterator<Item = &'a DeviceTopic>) -> Result<()> {
        let now = std::time::Instant::now();
        let remember = self.settings.remember_devices;
        let missing: BTreeSet<(String, String)> = topics
            .map(|topic| (topic.slug.clone(), topic.device.clone()))
            .filter(|key| {
                self.devices
                    .get(key)
                    .is_none_or(|(_, read)| now.duration_since(*read) > remember)
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let found = store::targets(self.control.db().pool(), &missing).await?;
        for key in missing {
            let target = found.get(&key).cloned();
            self.devices.insert(key, (target, now));
        }
        Ok(())
    }
}

/// A topic under a device's: `tenants/<slug>/devices/<device>[/<subtopic>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DeviceTopic {
    slug: String,
    device: String,
    subtopic: String,
}

impl DeviceTopic {
    fn parse(topic: &str) -> Option<Self> {
        let mut parts = topic.splitn(5, '/');
        let (Some("tenants"), Some(slug), Some("devices"), Some(device)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if slug.is_empty() || device.is_empty() {
            return None;
        }
        Some(Self {
            slug: slug.to_owned(),
            device: device.to_owned(),
            subtopic: parts.next().unwrap_or_default().to_owned(),
        })
    }
}

/// Devices whose messages were stored, announced on
/// [`DEVICE_MESSAGES_CHANNEL`] by their id.
pub fn announced_device(payload: &str) -> Option<Uuid> {
    payload.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::DeviceTopic;

    #[test]
    fn a_device_topic_names_its_tenant_device_and_subtopic() {
        assert_eq!(
            DeviceTopic::parse("tenants/acme/devices/sensor-1/env/temperature"),
            Some(DeviceTopic {
                slug: "acme".into(),
                device: "sensor-1".into(),
                subtopic: "env/temperature".into()
            })
        );
        assert_eq!(
            DeviceTopic::parse("tenants/acme/devices/sensor-1").map(|t| t.subtopic),
            Some(String::new())
        );
        assert_eq!(DeviceTopic::parse("tenants/acme/commands/sensor-1"), None);
        assert_eq!(DeviceTopic::parse("tenants//devices/x/t"), None);
        assert_eq!(DeviceTopic::parse("other/acme/devices/x"), None);
    }
}
