use std::fmt;

use serde::{Deserialize, Serialize};

use super::{LocalizedText, PlanModules, QuotaKind};

/// The three offers Bibind sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OfferKind {
    Ecommerce,
    Training,
    Iot,
}

impl OfferKind {
    pub const ALL: [OfferKind; 3] = [OfferKind::Ecommerce, OfferKind::Training, OfferKind::Iot];

    /// The code stored in the database and used in URLs.
    pub fn code(self) -> &'static str {
        match self {
            OfferKind::Ecommerce => "ecommerce",
            OfferKind::Training => "training",
            OfferKind::Iot => "iot",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// Its code, under the name `stored_as_text!` reads.
    pub fn as_str(self) -> &'static str {
        self.code()
    }

    /// [`Self::from_code`], under the name `stored_as_text!` reads.
    pub fn parse(code: &str) -> Option<Self> {
        Self::from_code(code)
    }

    /// Whether its service is an Odoo: a site people browse, a back office,
    /// modules.
    pub fn runs_odoo(self) -> bool {
        matches!(self, OfferKind::Ecommerce | OfferKind::Training)
    }
}

#[cfg(feature = "server")]
super::jobs::stored_as_text!(OfferKind);

/// A plan's code: lowercase letters, digits and dashes, 2 to 63 characters,
/// starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlanCode(String);

impl PlanCode {
    pub fn parse(raw: &str) -> Option<Self> {
        let valid_length = (2..=63).contains(&raw.len());
        let mut chars = raw.chars();
        let valid_first = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let valid_rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        (valid_length && valid_first && valid_rest).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlanCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a subscription to a plan may consume. `None` means the quota does not
/// apply to the offer (no seats on IoT, no devices on e-commerce).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quotas {
    pub cpu_millicores: u32,
    pub memory_mib: u32,
    pub storage_gib: u32,
    pub seats: Option<u32>,
    pub devices: Option<u32>,
    pub backup_retention_days: u32,
    pub openstack_vcpus: u32,
    pub openstack_ram_mib: u32,
    pub openstack_instances: u32,
}

impl Quotas {
    /// The limit of `kind`; `None` when the offer has no such quota.
    pub fn get(&self, kind: QuotaKind) -> Option<u32> {
        match kind {
            QuotaKind::CpuMillicores => Some(self.cpu_millicores),
            QuotaKind::MemoryMib => Some(self.memory_mib),
            QuotaKind::StorageGib => Some(self.storage_gib),
            QuotaKind::Seats => self.seats,
            QuotaKind::Devices => self.devices,
            QuotaKind::BackupRetentionDays => Some(self.backup_retention_days),
            QuotaKind::OpenstackVcpus => Some(self.openstack_vcpus),
            QuotaKind::OpenstackRamMib => Some(self.openstack_ram_mib),
            QuotaKind::OpenstackInstances => Some(self.openstack_instances),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub code: PlanCode,
    pub name: LocalizedText,
    /// Monthly price in euro cents, VAT excluded.
    pub monthly_price_cents: u64,
    pub quotas: Quotas,
    pub requires_approval: bool,
    /// Which of Bibind's modules come with it and which may be added.
    #[serde(default)]
    pub modules: PlanModules,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub kind: OfferKind,
    pub name: LocalizedText,
    pub summary: LocalizedText,
    pub plans: Vec<Plan>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_codes_are_parsed_once() {
        assert!(PlanCode::parse("starter").is_some());
        assert!(PlanCode::parse("iot-10k").is_some());
        for bad in ["", "a", "-starter", "Starter", "plan_1", "é", &"x".repeat(64)] {
            assert!(PlanCode::parse(bad).is_none(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn offer_codes_round_trip() {
        for kind in OfferKind::ALL {
            assert_eq!(OfferKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(OfferKind::from_code("hosting"), None);
    }
}
