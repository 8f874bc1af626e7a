//! Quotas: the effective limits of a subscription (an admin's override, else
//! the plan's), what the portal itself knows is used (seats), and the check
//! every change runs before it commits.

use std::collections::HashMap;

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    domain::{
        Device, DeviceStatus, LocalizedText, ModuleView, OdooModule, OfferKind, Plan, QuotaKind, QuotaUsage,
        Refusal, Role, SiteCheck, SubscriptionState, SubscriptionView,
    },
    infra::store::stored_json,
    tenancy::{
        catalog::{plan_by_id, PlanRow},
        custom_domains::StoredDomain,
    },
    Result,
};

/// Whether a member with `role` takes one of the seats of an `offer`
/// subscription: Odoo back-office users for e-commerce, everyone (learners
/// included) for training; IoT has no seats.
pub(crate) fn takes_seat(offer: OfferKind, role: Role) -> bool {
    match offer {
        OfferKind::Ecommerce => role != Role::Learner,
        OfferKind::Training => true,
        OfferKind::Iot => false,
    }
}

/// A subscription that is not closed, with its plan and overrides.
#[derive(Debug, Clone)]
pub(crate) struct LiveSubscription {
    pub id: Uuid,
    pub offer: OfferKind,
    pub offer_name: LocalizedText,
    pub plan: Plan,
    /// A plan change waiting for approval.
    pub pending_plan: Option<Plan>,
    pub state: SubscriptionState,
    pub reason: Option<String>,
    pub version: i32,
    pub overrides: HashMap<QuotaKind, u32>,
    /// The first registered devices (IoT), oldest first.
    pub devices: Vec<Device>,
    /// How many are registered.
    pub devices_total: u32,
    /// CPU, memory and storage reserved, as last observed on its namespace
    /// (the quota's unit).
    pub reserved: HashMap<QuotaKind, u32>,
    /// What they really consume, where the cluster measures it (millicores, MiB).
    pub consumed: HashMap<QuotaKind, u64>,
    /// When they were observed (UTC, RFC 3339).
    pub observed_at: Option<String>,
    /// Whether its site answered the reconciler's last check.
    pub site_check: Option<SiteCheck>,
    /// The modules its customer added.
    pub added_modules: Vec<OdooModule>,
    /// Which of Bibind's modules its Odoo has, as the engine last saw.
    pub installed_modules: HashMap<OdooModule, bool>,
    /// Its modules changed since the engine last applied them.
    pub modules_pending: bool,
    /// Its own domain, if one was added.
    pub custom_domain: Option<StoredDomain>,
    /// The engine has applied the latest change of its own domain.
    pub domain_applied: bool,
}

impl LiveSubscription {
    pub fn limit(&self, quota: QuotaKind) -> Option<u32> {
        let plan_limit = self.plan.quotas.get(quota)?;
        Some(self.overrides.get(&quota).copied().unwrap_or(plan_limit))
    }

    /// The page's view, with the seats used by `holders`.
    pub fn view(&self, holders: &[Role]) -> SubscriptionView {
        let quotas = QuotaKind::ALL
            .into_iter()
            .filter_map(|quota| {
                let limit = self.limit(quota)?;
                let plan_limit = self.plan.quotas.get(quota).filter(|plan| *plan != limit);
                Some(QuotaUsage {
                    quota,
                    limit,
                    plan_limit,
                    used: self.used(quota, holders),
                    reserved: self.reserved.get(&quota).copied(),
                    consumed: self.consumed.get(&quota).copied(),
                })
            })
            .collect();
        SubscriptionView {
            id: self.id.to_string(),
            offer: self.offer,
            offer_name: self.offer_name.clone(),
            plan_code: self.plan.code.to_string(),
            plan_name: self.plan.name.clone(),
            state: self.state,
            reason: self.reason.clone(),
            pending_plan: self
                .pending_plan
                .as_ref()
                .map(|plan| (plan.code.to_string(), plan.name.clone())),
            quotas,
            devices: self.devices.clone(),
            devices_total: self.devices_total,
            measured_at: self.observed_at.clone(),
            version: self.version,
            progress: None,
            modules: self.modules(),
            // A stored domain that does not read back is shown as none.
            custom_domain: self
                .custom_domain
                .as_ref()
                .and_then(|domain| domain.view(self.domain_applied).ok())
                .filter(|_| self.state == SubscriptionState::Active),
            modules_changing: self.modules_pending,
            site_url: None,
            // What was last seen of a site that is no longer live is not news.
            site_check: self
                .site_check
                .clone()
                .filter(|_| self.state == SubscriptionState::Active),
            back_office: false,
        }
    }

    /// What it uses of `quota`, where the portal knows it: seats taken by
    /// `holders`, devices registered, and what was last measured of the
    /// rest (really consumed, in the quota's unit, rounded up).
    pub fn used(&self, quota: QuotaKind, holders: &[Role]) -> Option<u32> {
        match quota {
            QuotaKind::Seats => Some(seats_used(self.offer, holders)),
            QuotaKind::Devices => Some(self.devices_used()),
            _ => self.consumed.get(&quota).map(|consumed| {
                u32::try_from(consumed.div_ceil(quota.consumption_units())).unwrap_or(u32::MAX)
            }),
        }
    }

    /// What its plan includes or offers of Bibind's modules, in order.
    fn modules(&self) -> Vec<ModuleView> {
        let plan = &self.plan.modules;
        let wanted = plan.wanted(&self.added_modules);
        OdooModule::ALL
            .into_iter()
            .filter(|module| plan.included.contains(module) || plan.optional.contains(module))
            .map(|module| ModuleView {
                module,
                included: plan.included.contains(&module),
                wanted: wanted.contains(&module),
                installed: self.installed_modules.get(&module).copied(),
            })
            .collect()
    }

    pub fn devices_used(&self) -> u32 {
        self.devices_total
    }
}

struct SubscriptionRow {
    id: Uuid,
    pending_plan_id: Option<Uuid>,
    state: SubscriptionState,
    state_reason: Option<String>,
    version: i32,
    offer_name_en: String,
    offer_name_fr: String,
    offer_kind: OfferKind,
    code: String,
    name_en: String,
    name_fr: String,
    monthly_price_cents: i64,
    cpu_millicores: i32,
    memory_mib: i32,
    storage_gib: i32,
    seats: Option<i32>,
    devices: Option<i32>,
    backup_retention_days: i32,
    openstack_vcpus: i32,
    openstack_ram_mib: i32,
    openstack_instances: i32,
    requires_approval: bool,
    /// JSON `[[quota, value], …]`.
    override_list: String,
    /// JSON `[[id, name, "YYYY-MM-DD", enabled, applied version, version,
    /// password shown], …]`, oldest first, removed ones left out (not
    /// `devices`: that is the plan's quota).
    device_list: String,
    device_count: i64,
    /// As last observed on Kubernetes, when it was.
    reserved_cpu_millicores: Option<i64>,
    reserved_memory_mib: Option<i64>,
    reserved_storage_gib: Option<i64>,
    used_cpu_millicores: Option<i64>,
    used_memory_mib: Option<i64>,
    used_storage_mib: Option<i64>,
    observed_at: Option<String>,
    /// JSON of the site's [`SiteProblem`], if any, and since when, if checked.
    site_problem: Option<String>,
    site_since: Option<String>,
    included_modules: Vec<String>,
    optional_modules: Vec<String>,
    modules_pending: bool,
    added_modules: Vec<String>,
    /// JSON `[[module, installed], …]`.
    module_states: String,
    domain_applied: bool,
    custom_domain: Option<String>,
    domain_token: Option<String>,
    domain_verified: Option<bool>,
    domain_checked_at: Option<String>,
    domain_problem: Option<String>,
}

/// Devices a subscription's card lists (the others are on its devices' pages).
const FIRST_DEVICES: i64 = 5;

/// The organization's subscriptions that are not closed, in offer order,
/// with their plan, overrides and devices: one query.
pub(crate) async fn live_subscriptions(
    conn: &mut PgConnection,
    organization: Uuid,
) -> Result<Vec<LiveSubscription>> {
    let rows = sqlx::query_as!(
        SubscriptionRow,
        r#"SELECT s.id, s.pending_plan_id, s.state AS "state: SubscriptionState", s.state_reason, s.version,
                  o.name_en AS offer_name_en, o.name_fr AS offer_name_fr,
                  p.offer_kind AS "offer_kind: OfferKind", p.code, p.name_en, p.name_fr, p.monthly_price_cents,
                  p.cpu_millicores, p.memory_mib, p.storage_gib, p.seats, p.devices, p.backup_retention_days,
                  p.openstack_vcpus, p.openstack_ram_mib, p.openstack_instances, p.requires_approval,
                  p.included_modules, p.optional_modules,
                  s.modules_version <> s.modules_applied AS "modules_pending!",
                  s.domain_version = s.domain_applied AS "domain_applied!",
                  d.domain AS "custom_domain?", d.token AS "domain_token?",
                  d.verified_at IS NOT NULL AS "domain_verified?",
                  to_char(d.checked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "domain_checked_at?",
                  d.problem AS "domain_problem?",
                  ARRAY(SELECT m.module FROM subscription_modules m WHERE m.subscription_id = s.id ORDER BY m.module)
                    AS "added_modules!",
                  (SELECT coalesce(json_agg(json_build_array(m.module, m.installed)), '[]')
                     FROM odoo_module_states m WHERE m.subscription_id = s.id)::text AS "module_states!",
                  (SELECT coalesce(json_agg(json_build_array(q.quota, q.value)), '[]')
                     FROM quota_overrides q WHERE q.subscription_id = s.id)::text AS "override_list!",
                  (SELECT coalesce(json_agg(json_build_array(d.id, d.name, to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                                                             d.enabled, d.applied_version, d.credentials_version,
                                                             d.shown_version IS NOT DISTINCT FROM d.credentials_version)
                                            ORDER BY d.created_at, d.name), '[]')
                     FROM (SELECT * FROM devices d WHERE d.subscription_id = s.id AND d.removed_at IS NULL
                            ORDER BY d.created_at, d.name LIMIT $2) d)::text AS "device_list!",
                  (SELECT count(*) FROM devices d WHERE d.subscription_id = s.id AND d.removed_at IS NULL) AS "device_count!",
                  u.cpu_reserved_millicores AS "reserved_cpu_millicores?", u.memory_reserved_mib AS "reserved_memory_mib?",
                  u.storage_reserved_gib AS "reserved_storage_gib?", u.cpu_used_millicores AS "used_cpu_millicores?",
                  u.memory_used_mib AS "used_memory_mib?", u.storage_used_mib AS "used_storage_mib?",
                  to_char(u.observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "observed_at?",
                  c.problem AS "site_problem?",
                  to_char(c.since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "site_since?"
             FROM subscriptions s
             JOIN offers o ON o.kind = s.offer_kind
             JOIN plans p ON p.id = s.plan_id
             LEFT JOIN subscription_usage u ON u.subscription_id = s.id
             LEFT JOIN site_checks c ON c.subscription_id = s.id
             LEFT JOIN custom_domains d ON d.subscription_id = s.id
            WHERE s.organization_id = $1 AND s.state <> 'closed'
            ORDER BY o.position"#,
        organization,
        FIRST_DEVICES,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut subscriptions = Vec::with_capacity(rows.len());
    for row in rows {
        let (offer, plan) = PlanRow {
            offer_kind: row.offer_kind,
            code: row.code,
            name_en: row.name_en,
            name_fr: row.name_fr,
            monthly_price_cents: row.monthly_price_cents,
            cpu_millicores: row.cpu_millicores,
            memory_mib: row.memory_mib,
            storage_gib: row.storage_gib,
            seats: row.seats,
            devices: row.devices,
            backup_retention_days: row.backup_retention_days,
            openstack_vcpus: row.openstack_vcpus,
            openstack_ram_mib: row.openstack_ram_mib,
            openstack_instances: row.openstack_instances,
            requires_approval: row.requires_approval,
            included_modules: row.included_modules,
            optional_modules: row.optional_modules,
        }
        .into_offer_plan()?;
        let states: Vec<(String, bool)> = stored_json(&row.module_states)?;
        let pending_plan = match row.pending_plan_id {
            Some(pending) => Some(plan_by_id(conn, pending).await?.1),
            None => None,
        };
        let overrides: Vec<(String, i64)> = stored_json(&row.override_list)?;
        type DeviceRow = (Uuid, String, String, bool, Option<i32>, i32, bool);
        let devices: Vec<DeviceRow> = stored_json(&row.device_list)?;
        let reserved = [
            (QuotaKind::CpuMillicores, row.reserved_cpu_millicores),
            (QuotaKind::MemoryMib, row.reserved_memory_mib),
            (QuotaKind::StorageGib, row.reserved_storage_gib),
        ]
        .into_iter()
        .filter_map(|(quota, reserved)| Some((quota, u32::try_from(reserved?).unwrap_or(u32::MAX))))
        .collect();
        let consumed = [
            (QuotaKind::CpuMillicores, row.used_cpu_millicores),
            (QuotaKind::MemoryMib, row.used_memory_mib),
            (QuotaKind::StorageGib, row.used_storage_mib),
        ]
        .into_iter()
        .filter_map(|(quota, used)| Some((quota, u64::try_from(used?).unwrap_or(0))))
        .collect();
        subscriptions.push(LiveSubscription {
            id: row.id,
            offer,
            offer_name: LocalizedText {
                en: row.offer_name_en,
                fr: row.offer_name_fr,
            },
            plan,
            pending_plan,
            state: row.state,
            reason: row.state_reason,
            version: row.version,
            overrides: overrides
                .into_iter()
                .filter_map(|(quota, value)| Some((QuotaKind::parse(&quota)?, u32::try_from(value).ok()?)))
                .collect(),
            devices_total: u32::try_from(row.device_count).unwrap_or(u32::MAX),
            devices: devices
                .into_iter()
                .map(
                    |(id, name, registered_on, enabled, applied, version, shown)| Device {
                        id: id.to_string(),
                        name,
                        registered_on,
                        status: DeviceStatus::of(enabled, applied, version),
                        password_shown: shown,
                    },
                )
                .collect(),
            reserved,
            consumed,
            observed_at: row.observed_at,
            site_check: match (row.site_since, row.site_problem) {
                (Some(since), problem) => Some(SiteCheck {
                    problem: problem.as_deref().map(stored_json).transpose()?,
                    since,
                }),
                (None, _) => None,
            },
            // A module Bibind no longer offers is no longer shown.
            added_modules: row
                .added_modules
                .iter()
                .filter_map(|code| OdooModule::parse(code))
                .collect(),
            installed_modules: states
                .into_iter()
                .filter_map(|(code, installed)| Some((OdooModule::parse(&code)?, installed)))
                .collect(),
            modules_pending: row.modules_pending,
            custom_domain: match (row.custom_domain, row.domain_token) {
                (Some(domain), Some(token)) => Some(StoredDomain {
                    domain,
                    token,
                    verified: row.domain_verified.unwrap_or(false),
                    checked_at: row.domain_checked_at,
                    problem: row.domain_problem,
                }),
                _ => None,
            },
            domain_applied: row.domain_applied,
        });
    }
    Ok(subscriptions)
}

/// The roles holding or reserving a seat: members, and invitations still open.
pub(crate) async fn seat_holders(
    conn: &mut PgConnection,
    organization: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<Role>> {
    let roles = sqlx::query_scalar!(
        r#"SELECT role AS "role!: Role" FROM memberships WHERE organization_id = $1
           UNION ALL
           SELECT role FROM invitations
            WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2"#,
        organization,
        now,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(roles)
}

pub(crate) fn seats_used(offer: OfferKind, holders: &[Role]) -> u32 {
    let used = holders.iter().filter(|role| takes_seat(offer, **role)).count();
    u32::try_from(used).unwrap_or(u32::MAX)
}

/// Refuses a change of seat holders (`added` in, `removed` out) that would
/// take any subscription over its seats. A change that frees seats always
/// passes, even when the organization is already over (after a downgrade by
/// an admin's override, say).
pub(crate) fn check_seats(
    subscriptions: &[LiveSubscription],
    holders: &[Role],
    added: &[Role],
    removed: &[Role],
) -> Result<(), Refusal> {
    for subscription in subscriptions {
        let Some(limit) = subscription.limit(QuotaKind::Seats) else {
            continue;
        };
        let used = seats_used(subscription.offer, holders);
        let more = seats_used(subscription.offer, added);
        let fewer = seats_used(subscription.offer, removed);
        let requested = (used + more).saturating_sub(fewer);
        if more > fewer && requested > limit {
            return Err(Refusal::Quota {
                quota: QuotaKind::Seats,
                limit,
                requested,
            });
        }
    }
    Ok(())
}

/// Refuses putting a subscription of `offer` on `plan` (with `overrides`)
/// when what it uses (seats held by `holders`, `devices` registered) is
/// over the limits that would result.
pub(crate) fn check_plan_fits(
    offer: OfferKind,
    plan: &Plan,
    overrides: &HashMap<QuotaKind, u32>,
    holders: &[Role],
    devices: u32,
) -> Result<(), Refusal> {
    let used = [
        (QuotaKind::Seats, seats_used(offer, holders)),
        (QuotaKind::Devices, devices),
    ];
    for (quota, requested) in used {
        let Some(plan_limit) = plan.quotas.get(quota) else {
            continue;
        };
        let limit = overrides.get(&quota).copied().unwrap_or(plan_limit);
        if requested > limit {
            return Err(Refusal::Quota {
                quota,
                limit,
                requested,
            });
        }
    }
    Ok(())
}

/// Refuses new terms for plan `plan_id` that a live subscription on it
/// would not fit (what it uses now over the new limit), with the numbers.
pub(crate) async fn check_subscribers_fit(
    conn: &mut PgConnection,
    plan_id: Uuid,
    terms: &Plan,
    now: OffsetDateTime,
) -> Result<Result<(), Refusal>> {
    let tenants = sqlx::query!(
        "SELECT id, organization_id FROM subscriptions WHERE plan_id = $1 AND state <> 'closed'",
        plan_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in tenants {
        let (subscription, tenant) = (row.id, row.organization_id);
        let live = live_subscriptions(conn, tenant).await?;
        let Some(current) = live.iter().find(|s| s.id == subscription) else {
            continue;
        };
        let holders = seat_holders(conn, tenant, now).await?;
        let devices = current.devices_used();
        if let Err(refusal) = check_plan_fits(current.offer, terms, &current.overrides, &holders, devices) {
            return Ok(Err(refusal));
        }
    }
    Ok(Ok(()))
}
