//! A plan as admins create and edit it, parsed from the plan form.

use serde::{Deserialize, Serialize};

use super::{FieldError, FieldProblem, LocalizedText, OfferKind, PlanCode, PlanModules, QuotaKind, Quotas};

/// A plan as the admin's plan list shows it, retired ones included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub offer: OfferKind,
    pub code: String,
    pub name: LocalizedText,
    pub monthly_price_cents: u64,
    pub quotas: Quotas,
    pub requires_approval: bool,
    pub modules: PlanModules,
    /// What its devices may send (plans with devices).
    pub telemetry: Option<TelemetryLimits>,
    /// `YYYY-MM-DD` when it stopped being sold.
    pub retired_on: Option<String>,
    /// Live subscriptions on it.
    pub subscriptions: i64,
    pub version: i64,
}

/// A new or edited plan, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDraft {
    pub offer: OfferKind,
    pub code: PlanCode,
    pub name: LocalizedText,
    pub monthly_price_cents: u64,
    pub quotas: Quotas,
    pub requires_approval: bool,
    pub modules: PlanModules,
    /// Set exactly when the plan has devices.
    pub telemetry: Option<TelemetryLimits>,
}

/// What a plan with devices lets them send: messages a minute per device
/// and per organization (over them, messages are dropped and counted), and
/// how many days their messages are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelemetryLimits {
    pub device_messages_per_minute: u32,
    pub organization_messages_per_minute: u32,
    pub retention_days: u32,
}

impl Default for TelemetryLimits {
    /// The smallest plan's, for a plan form left blank.
    fn default() -> Self {
        Self {
            device_messages_per_minute: 60,
            organization_messages_per_minute: 3000,
            retention_days: 7,
        }
    }
}

/// The plan form's fields as posted (all text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanForm {
    pub offer: String,
    pub code: String,
    pub name_en: String,
    pub name_fr: String,
    /// Euros, `49` or `49.90`.
    pub monthly_price: String,
    pub cpu_millicores: String,
    pub memory_mib: String,
    pub storage_gib: String,
    /// Blank: the offer has no seats.
    pub seats: String,
    /// Blank: the offer has no devices.
    pub devices: String,
    pub backup_retention_days: String,
    pub openstack_vcpus: String,
    pub openstack_ram_mib: String,
    pub openstack_instances: String,
    /// `on` when ticked.
    pub requires_approval: Option<String>,
    /// Modules' codes, separated by commas or spaces.
    #[serde(default)]
    pub included_modules: String,
    #[serde(default)]
    pub optional_modules: String,
    /// Plans with devices; blank: [`TelemetryLimits::default`].
    #[serde(default)]
    pub device_messages_per_minute: String,
    #[serde(default)]
    pub organization_messages_per_minute: String,
    #[serde(default)]
    pub telemetry_retention_days: String,
}

fn name(raw: &str) -> Result<String, FieldProblem> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err(FieldProblem::Missing),
        n if n > 80 => Err(FieldProblem::TooLong),
        _ if name.chars().any(char::is_control) => Err(FieldProblem::BadCharacters),
        _ => Ok(name.to_owned()),
    }
}

/// The largest quota a plan or an override may set (the columns are 32-bit).
pub const MAX_AMOUNT: u32 = 1_000_000_000;

/// A whole number from 0 to [`MAX_AMOUNT`].
fn amount(raw: &str) -> Result<u32, FieldProblem> {
    match raw.trim() {
        "" => Err(FieldProblem::Missing),
        text if !text.chars().all(|c| c.is_ascii_digit()) => Err(FieldProblem::NotANumber),
        text => text
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_AMOUNT)
            .ok_or(FieldProblem::OutOfRange),
    }
}

/// A number from 1 to [`MAX_AMOUNT`], or `default` when blank.
fn positive_or(raw: &str, default: u32) -> Result<u32, FieldProblem> {
    if raw.trim().is_empty() {
        return Ok(default);
    }
    amount(raw).and_then(|n| {
        if n == 0 {
            Err(FieldProblem::OutOfRange)
        } else {
            Ok(n)
        }
    })
}

fn optional_amount(raw: &str) -> Result<Option<u32>, FieldProblem> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        amount(raw).map(Some)
    }
}

/// Euros with at most two decimals, as cents.
fn price_cents(raw: &str) -> Result<u64, FieldProblem> {
    let text = raw.trim().replace(',', ".");
    if text.is_empty() {
        return Err(FieldProblem::Missing);
    }
    let (euros, cents) = text.split_once('.').unwrap_or((&text, "0"));
    let valid = !euros.is_empty()
        && euros.len() <= 7
        && (1..=2).contains(&cents.len())
        && euros.chars().chain(cents.chars()).all(|c| c.is_ascii_digit());
    if !valid {
        return Err(FieldProblem::InvalidPrice);
    }
    let cents = if cents.len() == 1 {
        format!("{cents}0")
    } else {
        cents.to_owned()
    };
    Ok(euros.parse::<u64>().unwrap_or(0) * 100 + cents.parse::<u64>().unwrap_or(0))
}

impl PlanForm {
    /// Every field parsed; each wrong one reported under its name.
    pub fn parse(&self) -> Result<PlanDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |field: &str, problem: Option<FieldProblem>| {
            if let Some(problem) = problem {
                errors.push(FieldError::new(field, problem));
            }
        };
        let offer = OfferKind::from_code(self.offer.trim());
        check("offer", offer.is_none().then_some(FieldProblem::Unknown));
        let code = PlanCode::parse(self.code.trim());
        check("code", code.is_none().then_some(FieldProblem::BadCharacters));
        let name_en = name(&self.name_en);
        check("name_en", name_en.as_ref().err().copied());
        let name_fr = name(&self.name_fr);
        check("name_fr", name_fr.as_ref().err().copied());
        let price = price_cents(&self.monthly_price);
        check("monthly_price", price.as_ref().err().copied());
        let mut required = |field: &str, raw: &str| {
            let value = amount(raw);
            check(field, value.err());
            value.unwrap_or(0)
        };
        let quotas = Quotas {
            cpu_millicores: required(QuotaKind::CpuMillicores.as_str(), &self.cpu_millicores),
            memory_mib: required(QuotaKind::MemoryMib.as_str(), &self.memory_mib),
            storage_gib: required(QuotaKind::StorageGib.as_str(), &self.storage_gib),
            backup_retention_days: required(
                QuotaKind::BackupRetentionDays.as_str(),
                &self.backup_retention_days,
            ),
            openstack_vcpus: required(QuotaKind::OpenstackVcpus.as_str(), &self.openstack_vcpus),
            openstack_ram_mib: required(QuotaKind::OpenstackRamMib.as_str(), &self.openstack_ram_mib),
            openstack_instances: required(QuotaKind::OpenstackInstances.as_str(), &self.openstack_instances),
            seats: None,
            devices: None,
        };
        let seats = optional_amount(&self.seats);
        check("seats", seats.err());
        let devices = optional_amount(&self.devices);
        check("devices", devices.err());
        // Only a plan with devices has telemetry, and then always.
        let telemetry = if matches!(devices, Ok(Some(_))) {
            let defaults = TelemetryLimits::default();
            let mut limit = |field: &str, raw: &str, default: u32| {
                let value = positive_or(raw, default);
                check(field, value.err());
                value.unwrap_or(default)
            };
            Some(TelemetryLimits {
                device_messages_per_minute: limit(
                    "device_messages_per_minute",
                    &self.device_messages_per_minute,
                    defaults.device_messages_per_minute,
                ),
                organization_messages_per_minute: limit(
                    "organization_messages_per_minute",
                    &self.organization_messages_per_minute,
                    defaults.organization_messages_per_minute,
                ),
                retention_days: limit(
                    "telemetry_retention_days",
                    &self.telemetry_retention_days,
                    defaults.retention_days,
                ),
            })
        } else {
            None
        };
        // Without an offer, no module can be checked: the offer's error says why.
        let modules = match offer {
            Some(offer) => PlanModules::parse(offer, &self.included_modules, &self.optional_modules),
            None => Ok(PlanModules::default()),
        };
        if let Err(problems) = &modules {
            for (field, problem) in problems {
                check(field, Some(*problem));
            }
        }
        match (offer, code, name_en, name_fr, price, seats, devices, modules) {
            (
                Some(offer),
                Some(code),
                Ok(en),
                Ok(fr),
                Ok(monthly_price_cents),
                Ok(seats),
                Ok(devices),
                Ok(modules),
            ) if errors.is_empty() => Ok(PlanDraft {
                offer,
                code,
                name: LocalizedText { en, fr },
                monthly_price_cents,
                quotas: Quotas {
                    seats,
                    devices,
                    ..quotas
                },
                requires_approval: self.requires_approval.as_deref() == Some("on"),
                modules,
                telemetry,
            }),
            _ => Err(errors),
        }
    }

    /// The form filled with a plan, for editing it.
    pub fn of(plan: &PlanRecord) -> Self {
        let q = &plan.quotas;
        let optional = |value: Option<u32>| value.map(|v| v.to_string()).unwrap_or_default();
        Self {
            offer: plan.offer.code().to_owned(),
            code: plan.code.clone(),
            name_en: plan.name.en.clone(),
            name_fr: plan.name.fr.clone(),
            monthly_price: format!(
                "{}.{:02}",
                plan.monthly_price_cents / 100,
                plan.monthly_price_cents % 100
            ),
            cpu_millicores: q.cpu_millicores.to_string(),
            memory_mib: q.memory_mib.to_string(),
            storage_gib: q.storage_gib.to_string(),
            seats: optional(q.seats),
            devices: optional(q.devices),
            backup_retention_days: q.backup_retention_days.to_string(),
            openstack_vcpus: q.openstack_vcpus.to_string(),
            openstack_ram_mib: q.openstack_ram_mib.to_string(),
            openstack_instances: q.openstack_instances.to_string(),
            requires_approval: plan.requires_approval.then(|| "on".to_owned()),
            included_modules: PlanModules::codes(&plan.modules.included),
            optional_modules: PlanModules::codes(&plan.modules.optional),
            device_messages_per_minute: optional(plan.telemetry.map(|t| t.device_messages_per_minute)),
            organization_messages_per_minute: optional(
                plan.telemetry.map(|t| t.organization_messages_per_minute),
            ),
            telemetry_retention_days: optional(plan.telemetry.map(|t| t.retention_days)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> PlanForm {
        PlanForm {
            offer: "iot".into(),
            code: "iot-mega".into(),
            name_en: "Mega".into(),
            name_fr: "Méga".into(),
            monthly_price: "49,90".into(),
            cpu_millicores: "1000".into(),
            memory_mib: "2048".into(),
            storage_gib: "10".into(),
            seats: "".into(),
            devices: "500".into(),
            backup_retention_days: "7".into(),
            openstack_vcpus: "0".into(),
            openstack_ram_mib: "0".into(),
            openstack_instances: "0".into(),
            requires_approval: Some("on".into()),
            included_modules: String::new(),
            optional_modules: String::new(),
            device_messages_per_minute: "120".into(),
            organization_messages_per_minute: String::new(),
            telemetry_retention_days: "30".into(),
        }
    }

    #[test]
    fn a_plan_form_parses_once_and_round_trips() {
        let draft = form().parse().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(draft.monthly_price_cents, 4990);
        assert_eq!((draft.quotas.seats, draft.quotas.devices), (None, Some(500)));
        assert!(draft.requires_approval);
        // A blank limit is the smallest plan's.
        assert_eq!(
            draft.telemetry,
            Some(TelemetryLimits {
                device_messages_per_minute: 120,
                organization_messages_per_minute: 3000,
                retention_days: 30,
            })
        );
        let record = PlanRecord {
            offer: draft.offer,
            code: draft.code.to_string(),
            name: draft.name.clone(),
            monthly_price_cents: draft.monthly_price_cents,
            quotas: draft.quotas.clone(),
            requires_approval: true,
            modules: draft.modules.clone(),
            telemetry: draft.telemetry,
            retired_on: None,
            subscriptions: 0,
            version: 1,
        };
        assert_eq!(PlanForm::of(&record).parse(), Ok(draft));
    }

    /// The fields a form is refused for, in order.
    fn refused_fields(form: &PlanForm) -> Vec<String> {
        form.parse()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn every_wrong_field_is_named() {
        let wrong = PlanForm {
            offer: "hosting".into(),
            code: "Bad Code".into(),
            name_fr: " ".into(),
            monthly_price: "12.345".into(),
            memory_mib: "-1".into(),
            ..form()
        };
        assert_eq!(
            refused_fields(&wrong),
            ["offer", "code", "name_fr", "monthly_price", "memory_mib"]
        );
    }

    #[test]
    fn only_a_plan_with_devices_has_telemetry_limits_and_they_are_positive() {
        let shop = PlanForm {
            offer: "ecommerce".into(),
            code: "shop-x".into(),
            devices: String::new(),
            ..form()
        };
        assert_eq!(shop.parse().map(|draft| draft.telemetry), Ok(None));
        let zero = PlanForm {
            device_messages_per_minute: "0".into(),
            telemetry_retention_days: "many".into(),
            ..form()
        };
        assert_eq!(
            refused_fields(&zero),
            ["device_messages_per_minute", "telemetry_retention_days"]
        );
    }
}
