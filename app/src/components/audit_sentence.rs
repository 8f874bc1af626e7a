//! An audit entry as a sentence in the reader's language ("marie@… invited
//! paul@… with the role Learner", "Your IoT service is active"), read from
//! its action and the state it recorded before and after. The codes and the
//! JSON stay behind the entry's "details".

use control::domain::{
    AuditAction, AuditEntry, Locale, OfferKind, PlatformLimit, QuotaKind, Role, SubscriptionState,
};
use serde_json::Value;

use crate::{
    components::plan::quota_amount,
    i18n::Msg,
    pages::labels::{offer_label, role_label, subscription_state_label},
};

/// Who did it, as the log names them: the provisioning engine is Bibind.
fn who(entry: &AuditEntry, locale: Locale) -> &str {
    match entry.actor.as_str() {
        "provisioning" | "system" => "Bibind",
        "anonymous" | "" => Msg::AuditSomeone.text(locale),
        actor => actor,
    }
}

/// A limit as the log names it, for whoever reads it (the refusal's own
/// message speaks to the person refused).
fn audit_limit_label(limit: PlatformLimit) -> Msg {
    match limit {
        PlatformLimit::OrganizationsPerAccount => Msg::AuditLimitOrganizations,
        PlatformLimit::PendingSubscriptionsPerOrganization => Msg::AuditLimitPending,
        PlatformLimit::SubscriptionsPerAddressPerHour => Msg::AuditLimitPerAddress,
    }
}

/// What the entry recorded, parsed once.
struct Recorded<'a> {
    entry: &'a AuditEntry,
    locale: Locale,
    before: Value,
    after: Value,
}

impl<'a> Recorded<'a> {
    fn new(entry: &'a AuditEntry, locale: Locale) -> Self {
        let parse = |side: &Option<String>| {
            side.as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or(Value::Null)
        };
        Self {
            entry,
            locale,
            before: parse(&entry.before),
            after: parse(&entry.after),
        }
    }

    fn text(&self, msg: Msg) -> &'static str {
        msg.text(self.locale)
    }

    fn field<'v>(side: &'v Value, name: &str) -> Option<&'v str> {
        side.get(name).and_then(Value::as_str)
    }

    /// What the target names after its kind: `member:paul@…` → `paul@…`.
    fn target_name(&self) -> &str {
        let target = &self.entry.target;
        target.split_once(':').map_or(target.as_str(), |(_, name)| name)
    }

    fn offer(&self) -> String {
        self.entry.offer.map_or_else(
            || self.text(Msg::AuditSomeService).to_owned(),
            |offer: OfferKind| self.text(offer_label(offer)).to_owned(),
        )
    }

    fn plan(&self, code: Option<&str>) -> String {
        let Some(code) = code else {
            return "—".to_owned();
        };
        self.entry
            .plan_names
            .get(code)
            .map_or_else(|| code.to_owned(), |name| name.get(self.locale).to_owned())
    }

    fn role(&self, raw: Option<&str>) -> String {
        raw.and_then(Role::parse).map_or_else(
            || raw.unwrap_or("—").to_owned(),
            |role| self.text(role_label(role)).to_owned(),
        )
    }

    fn state(&self, raw: Option<&str>) -> String {
        raw.and_then(SubscriptionState::parse).map_or_else(
            || raw.unwrap_or("—").to_owned(),
            |state| self.text(subscription_state_label(state)).to_owned(),
        )
    }

    /// An overridden quota's value, or the plan's when the override is gone.
    fn quota_value(&self, quota: Option<QuotaKind>, value: &Value) -> String {
        match (quota, value.as_u64().and_then(|v| u32::try_from(v).ok())) {
            (Some(quota), Some(value)) => quota_amount(self.locale, quota, value),
            (None, Some(value)) => value.to_string(),
            (_, None) => self.text(Msg::AuditPlanValue).to_owned(),
        }
    }

    /// `template` with `{reason}` filled, or without its ": {reason}" when
    /// the change recorded none.
    fn with_reason(&self, msg: Msg) -> String {
        let template = self.text(msg);
        match Self::field(&self.after, "reason") {
            Some(reason) => template.replace("{reason}", &protect(reason)),
            None => template.replace(" : {reason}", "").replace(": {reason}", ""),
        }
    }

    fn sentence(&self) -> String {
        use AuditAction::*;
        let (before, after) = (&self.before, &self.after);
        let Some(kind) = self.entry.kind() else {
            return format!("{} · {}", who(self.entry, self.locale), self.entry.action);
        };
        let template = match kind {
            OrganizationCreate => self.text(Msg::AuditOrganizationCreate).replace(
                "{name}",
                &protect(Self::field(after, "name").unwrap_or(self.target_name())),
            ),
            InvitationCreate => self
                .text(Msg::AuditInvitationCreate)
                .replace("{email}", &protect(self.target_name()))
                .replace("{role}", &protect(self.role(Self::field(after, "role")))),
            InvitationRevoke => self
                .text(Msg::AuditInvitationRevoke)
                .replace("{email}", &protect(self.target_name())),
            MembershipJoin => self
                .text(Msg::AuditMembershipJoin)
                .replace("{role}", &protect(self.role(Self::field(after, "role")))),
            MembershipLeave => self.text(Msg::AuditMembershipLeave).to_owned(),
            MembershipRemove => self
                .text(Msg::AuditMembershipRemove)
                .replace("{email}", &protect(self.target_name())),
            MembershipRoleChange => self
                .text(Msg::AuditMembershipRoleChange)
                .replace("{email}", &protect(self.target_name()))
                .replace("{before}", &protect(self.role(Self::field(before, "role"))))
                .replace("{after}", &protect(self.role(Self::field(after, "role")))),
            SubscriptionCreate => self
                .text(Msg::AuditSubscriptionCreate)
                .replace("{plan}", &protect(self.plan(Self::field(after, "plan")))),
            SubscriptionChangePlan | SubscriptionRequestPlanChange | SubscriptionApprovePlanChange => {
                let msg = match kind {
                    SubscriptionChangePlan => Msg::AuditSubscriptionChangePlan,
                    SubscriptionRequestPlanChange => Msg::AuditSubscriptionRequestPlanChange,
                    _ => Msg::AuditSubscriptionApprovePlanChange,
                };
                let from = Self::field(before, "plan");
                let to = Self::field(after, "plan");
                self.text(msg)
                    .replace("{before}", &protect(self.plan(from)))
                    .replace("{after}", &protect(self.plan(to)))
            }
            SubscriptionRejectPlanChange => self.with_reason(Msg::AuditSubscriptionRejectPlanChange).replace(
                "{after}",
                &protect(self.plan(Self::field(before, "requested_plan"))),
            ),
            SubscriptionCancel => self.text(Msg::AuditSubscriptionCancel).to_owned(),
            SubscriptionApprove => self.text(Msg::AuditSubscriptionApprove).to_owned(),
            SubscriptionReject => self.with_reason(Msg::AuditSubscriptionReject),
            SubscriptionProvisioning => {
                let state = Self::field(after, "state").and_then(SubscriptionState::parse);
                match state {
                    Some(SubscriptionState::Active) => self.text(Msg::AuditServiceActive).to_owned(),
                    Some(SubscriptionState::Failed) => self.text(Msg::AuditServiceFailed).to_owned(),
                    Some(SubscriptionState::Closed) => self.text(Msg::AuditServiceClosed).to_owned(),
                    _ => self
                        .text(Msg::AuditServiceState)
                        .replace("{before}", &protect(self.state(Self::field(before, "state"))))
                        .replace("{after}", &protect(self.state(Self::field(after, "state")))),
                }
            }
            SubscriptionDrift => self.text(Msg::AuditSubscriptionDrift).to_owned(),
            DeviceRegister => self
                .text(Msg::AuditDeviceRegister)
                .replace("{name}", &protect(self.target_name())),
            DeviceRemove => self
                .text(Msg::AuditDeviceRemove)
                .replace("{name}", &protect(self.target_name())),
            DeviceRotate | DeviceDisable | DeviceEnable | DeviceCredentialsShow | DeviceCommand => {
                let message = match kind {
                    DeviceRotate => Msg::AuditDeviceRotate,
                    DeviceDisable => Msg::AuditDeviceDisable,
                    DeviceEnable => Msg::AuditDeviceEnable,
                    DeviceCommand => Msg::AuditDeviceCommand,
                    _ => Msg::AuditDeviceCredentialsShow,
                };
                self.text(message).replace("{name}", &protect(self.target_name()))
            }
            BackupTake => self.text(Msg::AuditBackupTake).to_owned(),
            BackupRestore => self.text(Msg::AuditBackupRestore).to_owned(),
            BackupSchedule => self.text(Msg::AuditBackupSchedule).to_owned(),
            BackupDownload => self.text(Msg::AuditBackupDownload).to_owned(),
            ModuleAdd | ModuleRemove => {
                let message = if kind == ModuleAdd {
                    Msg::AuditModuleAdd
                } else {
                    Msg::AuditModuleRemove
                };
                let module = self.target_name();
                let name = control::domain::OdooModule::parse(module).map_or(module, |known| {
                    self.text(crate::pages::labels::module_text(known).0)
                });
                self.text(message).replace("{name}", &protect(name))
            }
            CourseAssign | CourseRemove => {
                let (message, side) = if kind == CourseAssign {
                    (Msg::AuditCourseAssign, after)
                } else {
                    (Msg::AuditCourseRemove, before)
                };
                let learners: Vec<&str> = side
                    .get("learners")
                    .and_then(Value::as_array)
                    .map(|all| all.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                self.text(message)
                    .replace("{learners}", &protect(learners.join(", ")))
                    .replace("{name}", &protect(self.target_name()))
            }
            DomainAdd | DomainVerify | DomainRemove => {
                let message = match kind {
                    DomainAdd => Msg::AuditDomainAdd,
                    DomainVerify => Msg::AuditDomainVerify,
                    _ => Msg::AuditDomainRemove,
                };
                self.text(message).replace("{name}", &protect(self.target_name()))
            }
            TenantApprove => self.text(Msg::AuditTenantApprove).to_owned(),
            TenantReject => self.with_reason(Msg::AuditTenantReject),
            TenantSuspend => self.with_reason(Msg::AuditTenantSuspend),
            TenantResume => self.with_reason(Msg::AuditTenantResume),
            TenantClose => self.with_reason(Msg::AuditTenantClose),
            QuotaOverride => {
                // The target is `subscription:<id>:<quota>`.
                let quota = self.entry.target.rsplit(':').next().and_then(QuotaKind::parse);
                let was = match before.get("override") {
                    Some(Value::Null) | None => before.get("plan").unwrap_or(&Value::Null),
                    Some(value) => value,
                };
                self.text(Msg::AuditQuotaOverride)
                    .replace("{before}", &protect(self.quota_value(quota, was)))
                    .replace(
                        "{after}",
                        &self.quota_value(quota, after.get("override").unwrap_or(&Value::Null)),
                    )
            }
            JobRetry => self.text(Msg::AuditJobRetry).to_owned(),
            JobCancel => self.text(Msg::AuditJobCancel).to_owned(),
            PlanCreate | PlanUpdate | PlanRetire | PlanRestore => {
                let msg = match kind {
                    PlanCreate => Msg::AuditPlanCreate,
                    PlanUpdate => Msg::AuditPlanUpdate,
                    PlanRetire => Msg::AuditPlanRetire,
                    _ => Msg::AuditPlanRestore,
                };
                self.text(msg)
                    .replace("{plan}", &protect(self.plan(Some(self.target_name()))))
            }
            ApiClientCreate => self
                .text(Msg::AuditApiClientCreate)
                .replace("{name}", &protect(Self::field(after, "name").unwrap_or_default()))
                .replace(
                    "{role}",
                    &protect(
                        Self::field(after, "role")
                            .and_then(Role::parse)
                            .map_or("", |role| self.text(role_label(role))),
                    ),
                ),
            ApiClientRevoke => self.text(Msg::AuditApiClientRevoke).replace(
                "{name}",
                &protect(Self::field(before, "name").unwrap_or_default()),
            ),
            LimitRefused => {
                let number = |name: &str| after.get(name).and_then(Value::as_u64).unwrap_or(0).to_string();
                match Self::field(after, "limit").and_then(PlatformLimit::parse) {
                    Some(limit) => self
                        .text(Msg::AuditLimitRefused)
                        .replace("{limit}", &protect(self.text(audit_limit_label(limit))))
                        .replace("{current}", &protect(number("current")))
                        .replace("{allowed}", &protect(number("allowed"))),
                    None => self
                        .text(Msg::AuditRateRefused)
                        .replace("{allowed}", &protect(number("allowed"))),
                }
            }
        };
        template
            .replace("{who}", &protect(who(self.entry, self.locale)))
            .replace("{offer}", &protect(self.offer()))
    }
}

/// A value put into a template, its braces set aside so that a later
/// placeholder's filling cannot reach into it (a reason that reads "{who}").
fn protect(value: impl AsRef<str>) -> String {
    value.as_ref().replace('{', "\u{e000}").replace('}', "\u{e001}")
}

/// The entry as one sentence in `locale`.
pub fn audit_sentence(entry: &AuditEntry, locale: Locale) -> String {
    Recorded::new(entry, locale)
        .sentence()
        .replace('\u{e000}', "{")
        .replace('\u{e001}', "}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use control::domain::LocalizedText;

    use super::*;

    fn entry(action: &str, target: &str, before: Option<&str>, after: Option<&str>) -> AuditEntry {
        AuditEntry {
            id: 1,
            at: "2026-12-04T18:48:00Z".into(),
            actor: "marie@acme.example".into(),
            organization: Some("acme".into()),
            action: action.into(),
            target: target.into(),
            before: before.map(Into::into),
            after: after.map(Into::into),
            request_id: None,
            ip: None,
            offer: Some(OfferKind::Iot),
            plan_names: BTreeMap::from([
                (
                    "iot-starter".to_owned(),
                    LocalizedText {
                        en: "Starter".into(),
                        fr: "Découverte".into(),
                    },
                ),
                (
                    "iot-pro".to_owned(),
                    LocalizedText {
                        en: "Pro".into(),
                        fr: "Pro".into(),
                    },
                ),
            ]),
        }
    }

    #[test]
    fn an_invitation_names_who_whom_and_the_role_in_each_language() {
        let invited = entry(
            "invitation.create",
            "invitation:paul@acme.example",
            None,
            Some(r#"{"email":"paul@acme.example","role":"learner","expires_at":"2026-12-11"}"#),
        );
        assert_eq!(
            audit_sentence(&invited, Locale::En),
            "marie@acme.example invited paul@acme.example with the role Learner"
        );
        assert_eq!(
            audit_sentence(&invited, Locale::Fr),
            "marie@acme.example a invité paul@acme.example avec le rôle Apprenant"
        );
    }

    #[test]
    fn a_plan_change_reads_before_and_after_by_name() {
        let changed = entry(
            "subscription.change_plan",
            "subscription:0b7c5a52-2f57-4a4e-9d7e-6c1c0f1f7d11",
            Some(r#"{"plan":"iot-starter","state":"active"}"#),
            Some(r#"{"plan":"iot-pro","state":"active","awaiting_approval":false}"#),
        );
        assert_eq!(
            audit_sentence(&changed, Locale::En),
            "marie@acme.example changed the IoT plan: Starter → Pro"
        );
        assert_eq!(
            audit_sentence(&changed, Locale::Fr),
            "marie@acme.example a changé la formule IoT : Découverte → Pro"
        );
    }

    #[test]
    fn the_engine_speaks_of_the_service_and_bibind_gives_its_reasons() {
        let active = entry(
            "subscription.provisioning",
            "subscription:0b7c5a52-2f57-4a4e-9d7e-6c1c0f1f7d11",
            Some(r#"{"state":"provisioning"}"#),
            Some(r#"{"state":"active","job":"x"}"#),
        );
        assert_eq!(audit_sentence(&active, Locale::En), "Your IoT service is active");
        assert_eq!(audit_sentence(&active, Locale::Fr), "Votre service IoT est actif");
        let mut suspended = entry(
            "tenant.suspend",
            "organization:acme",
            Some(r#"{"state":"active","reason":null}"#),
            Some(r#"{"state":"suspended","reason":"Unpaid invoice"}"#),
        );
        suspended.actor = "Bibind".into();
        assert_eq!(
            audit_sentence(&suspended, Locale::En),
            "Bibind suspended the organization: Unpaid invoice"
        );
        suspended.after = Some(r#"{"state":"suspended","reason":null}"#.into());
        assert_eq!(
            audit_sentence(&suspended, Locale::Fr),
            "Bibind a suspendu l'organisation"
        );
    }

    #[test]
    fn a_quota_override_reads_in_units_and_falls_back_to_the_plan() {
        let raised = entry(
            "quota.override",
            "subscription:0b7c5a52-2f57-4a4e-9d7e-6c1c0f1f7d11:devices",
            Some(r#"{"override":null,"plan":10}"#),
            Some(r#"{"override":50}"#),
        );
        assert_eq!(
            audit_sentence(&raised, Locale::En),
            "marie@acme.example changed a limit of the IoT service: 10 devices → 50 devices"
        );
    }

    #[test]
    fn every_action_reads_with_no_placeholder_left_even_with_nothing_recorded() {
        for action in AuditAction::all() {
            for locale in Locale::ALL {
                let bare = entry(action.as_str(), "organization:acme", None, None);
                let sentence = audit_sentence(&bare, locale);
                assert!(
                    !sentence.contains('{') && !sentence.contains(action.as_str()),
                    "{action:?}: {sentence}"
                );
            }
        }
    }

    #[test]
    fn what_people_typed_is_never_taken_for_a_placeholder() {
        let mut suspended = entry(
            "tenant.suspend",
            "organization:acme",
            None,
            Some(r#"{"state":"suspended","reason":"see {who} and {offer}"}"#),
        );
        suspended.actor = "Bibind".into();
        assert_eq!(
            audit_sentence(&suspended, Locale::En),
            "Bibind suspended the organization: see {who} and {offer}"
        );
        let refused = entry(
            "limit.refused",
            "sign-up",
            None,
            Some(r#"{"limit":"organizations_per_account","allowed":3,"current":3}"#),
        );
        let refused = AuditEntry {
            actor: "anonymous".into(),
            ..refused
        };
        assert_eq!(
            audit_sentence(&refused, Locale::En),
            "A request by someone was refused: 3 organizations owned by one account already, at most 3"
        );
    }

    #[test]
    fn an_unknown_action_still_reads_as_who_and_what() {
        let unknown = entry("widget.polish", "widget:1", None, None);
        assert_eq!(
            audit_sentence(&unknown, Locale::En),
            "marie@acme.example · widget.polish"
        );
    }
}
