//! Plans as platform admins manage them: create, edit (two admins editing
//! one plan do not overwrite each other: the form's version must still be
//! current), retire (a retired plan stays on its subscriptions but is no
//! longer sold) and put back on sale.

use serde_json::json;
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{
        AdminAccess, AuditAction, FieldProblem, OdooModule, OfferKind, Plan, PlanDraft, PlanRecord, Refusal,
        SignedInUser, TelemetryLimits,
    },
    infra::format::day,
    or_refuse,
    tenancy::{catalog::plan_by_id, quotas::check_subscribers_fit},
    Caller, Control, Outcome, Result,
};

fn plan_json(draft: &PlanDraft) -> serde_json::Value {
    json!({
        "offer": draft.offer.code(),
        "code": draft.code.as_str(),
        "name_en": draft.name.en,
        "name_fr": draft.name.fr,
        "monthly_price_cents": draft.monthly_price_cents,
        "quotas": draft.quotas,
        "requires_approval": draft.requires_approval,
        "modules": draft.modules,
        "telemetry": draft.telemetry,
    })
}

fn record_json(record: &PlanRecord) -> serde_json::Value {
    json!({
        "offer": record.offer.code(),
        "code": record.code,
        "name_en": record.name.en,
        "name_fr": record.name.fr,
        "monthly_price_cents": record.monthly_price_cents,
        "quotas": record.quotas,
        "requires_approval": record.requires_approval,
        "modules": record.modules,
        "telemetry": record.telemetry,
        "retired_on": record.retired_on,
    })
}

impl Control {
    /// Every plan, retired ones included, for the admin's plan list.
    pub async fn admin_plans(&self, user: Option<&SignedInUser>) -> Result<AdminAccess<Vec<PlanRecord>>> {
        if let Err(refused) = self.admin_gate(user, "/admin/plans").await?.granted() {
            return Ok(refused);
        }
        let mut conn = self.db.pool().acquire().await?;
        let ids = sqlx::query_scalar!("SELECT id FROM plans ORDER BY offer_kind, position, code")
            .fetch_all(&mut *conn)
            .await?;
        let mut plans = Vec::with_capacity(ids.len());
        for id in ids {
            plans.push(plan_record(&mut conn, id).await?);
        }
        Ok(AdminAccess::Granted(plans))
    }

    /// Adds a plan to the catalog; a taken code is a field error.
    pub async fn create_plan(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        draft: &PlanDraft,
    ) -> Outcome<()> {
        or_refuse!(self.admin_may_change_plans(user).await?);
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let terms = Terms::of(draft);
        let inserted = sqlx::query!(
            "INSERT INTO plans (id, position, offer_kind, code, name_en, name_fr, monthly_price_cents, cpu_millicores,
                                memory_mib, storage_gib, seats, devices, backup_retention_days,
                                openstack_vcpus, openstack_ram_mib, openstack_instances, requires_approval, created_at,
                                included_modules, optional_modules, device_messages_per_minute,
                                organization_messages_per_minute, telemetry_retention_days)
             SELECT $1, coalesce(max(position), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                    $18, $19, $20, $21, $22
               FROM plans WHERE offer_kind = $2
             ON CONFLICT (code) DO NOTHING",
            Uuid::new_v4(),
            draft.offer as OfferKind,
            draft.code.as_str(),
            draft.name.en,
            draft.name.fr,
            terms.monthly_price_cents,
            terms.cpu_millicores,
            terms.memory_mib,
            terms.storage_gib,
            terms.seats,
            terms.devices,
            terms.backup_retention_days,
            terms.openstack_vcpus,
            terms.openstack_ram_mib,
            terms.openstack_instances,
            draft.requires_approval,
            now,
            &terms.included_modules,
            &terms.optional_modules,
            terms.device_messages_per_minute,
            terms.organization_messages_per_minute,
            terms.telemetry_retention_days,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(Err(Refusal::field("code", FieldProblem::Taken)));
        }
        let event = AuditEvent::new(None, AuditAction::PlanCreate, format!("plan:{}", draft.code))
            .after(plan_json(draft));
        self.commit_plan_change(tx, caller, now, event).await
    }

    /// Replaces a plan's terms if nobody changed it since `version`. Its
    /// offer and code stay: subscriptions and the provisioning refer to them.
    pub async fn update_plan(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        code: &str,
        version: i64,
        draft: &PlanDraft,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let (mut tx, id, before) = or_refuse!(self.begin_plan_change(user, code, version).await?);
        if draft.offer != before.offer || draft.code.as_str() != code {
            return Ok(Err(Refusal::field("code", FieldProblem::Mismatch)));
        }
        let lowered = |old: Option<u32>, new: Option<u32>| match (old, new) {
            (Some(old), Some(new)) => new < old,
            (None, Some(_)) => true,
            _ => false,
        };
        let q = (&before.quotas, &draft.quotas);
        if lowered(q.0.seats, q.1.seats) || lowered(q.0.devices, q.1.devices) {
            let terms = Plan {
                code: draft.code.clone(),
                name: draft.name.clone(),
                monthly_price_cents: draft.monthly_price_cents,
                quotas: draft.quotas.clone(),
                requires_approval: draft.requires_approval,
                modules: draft.modules.clone(),
            };
            or_refuse!(check_subscribers_fit(&mut tx, id, &terms, now).await?);
        }
        let terms = Terms::of(draft);
        sqlx::query!(
            "UPDATE plans SET offer_kind = $2, code = $3, name_en = $4, name_fr = $5, monthly_price_cents = $6,
                    cpu_millicores = $7, memory_mib = $8, storage_gib = $9, seats = $10, devices = $11,
                    backup_retention_days = $12, openstack_vcpus = $13, openstack_ram_mib = $14,
                    openstack_instances = $15, requires_approval = $16, included_modules = $17,
                    optional_modules = $18, device_messages_per_minute = $19,
                    organization_messages_per_minute = $20, telemetry_retention_days = $21, version = version + 1
              WHERE id = $1",
            id,
            draft.offer as OfferKind,
            draft.code.as_str(),
            draft.name.en,
            draft.name.fr,
            terms.monthly_price_cents,
            terms.cpu_millicores,
            terms.memory_mib,
            terms.storage_gib,
            terms.seats,
            terms.devices,
            terms.backup_retention_days,
            terms.openstack_vcpus,
            terms.openstack_ram_mib,
            terms.openstack_instances,
            draft.requires_approval,
            &terms.included_modules,
            &terms.optional_modules,
            terms.device_messages_per_minute,
            terms.organization_messages_per_minute,
            terms.telemetry_retention_days,
        )
        .execute(&mut *tx)
        .await?;
        if draft.modules != before.modules {
            // Its live services' Odoo follow: the dispatcher sees them differ.
            sqlx::query!(
                "UPDATE subscriptions SET modules_version = modules_version + 1
                  WHERE plan_id = $1 AND state <> 'closed'",
                id,
            )
            .execute(&mut *tx)
            .await?;
        }
        let event = AuditEvent::new(None, AuditAction::PlanUpdate, format!("plan:{code}"))
            .before(record_json(&before))
            .after(plan_json(draft));
        self.commit_plan_change(tx, caller, now, event).await
    }

    /// Takes a plan off sale (`retire`) or puts it back; its subscriptions keep it.
    pub async fn set_plan_on_sale(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        code: &str,
        version: i64,
        on_sale: bool,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let (mut tx, id, before) = or_refuse!(self.begin_plan_change(user, code, version).await?);
        if before.retired_on.is_none() == on_sale {
            return Ok(Err(Refusal::WrongState));
        }
        sqlx::query!(
            "UPDATE plans SET retired_at = $2, version = version + 1 WHERE id = $1",
            id,
            (!on_sale).then_some(now),
        )
        .execute(&mut *tx)
        .await?;
        let event = AuditEvent::new(
            None,
            if on_sale {
                AuditAction::PlanRestore
            } else {
                AuditAction::PlanRetire
            },
            format!("plan:{code}"),
        )
        .before(json!({ "retired_on": before.retired_on }))
        .after(json!({ "retired_on": (!on_sale).then(|| day(now)) }));
        self.commit_plan_change(tx, caller, now, event).await
    }

    /// Opens a change of the plan `code`: the admin gate, the plan locked,
    /// and the version the admin's form was drawn from still current.
    async fn begin_plan_change(
        &self,
        user: Option<&SignedInUser>,
        code: &str,
        version: i64,
    ) -> Result<Result<(Transaction<'static, Postgres>, Uuid, PlanRecord), Refusal>> {
        or_refuse!(self.admin_may_change_plans(user).await?);
        let mut tx = self.db.pool().begin().await?;
        let Some((id, before)) = locked_plan(&mut tx, code).await? else {
            return Ok(Err(Refusal::NotFound));
        };
        if before.version != version {
            return Ok(Err(Refusal::Stale));
        }
        Ok(Ok((tx, id, before)))
    }

    /// Commits a plan change with its audit event, then forgets the cached
    /// catalog so that the next page shows the change.
    async fn commit_plan_change(
        &self,
        tx: Transaction<'_, Postgres>,
        caller: &Caller,
        now: OffsetDateTime,
        event: AuditEvent,
    ) -> Outcome<()> {
        self.commit_with(tx, caller, now, event).await?;
        self.catalog_cache.clear();
        Ok(Ok(()))
    }

    async fn admin_may_change_plans(&self, user: Option<&SignedInUser>) -> Result<Result<(), Refusal>> {
        Ok(match self.admin_gate(user, "/admin/plans").await? {
            AdminAccess::Granted(()) => Ok(()),
            _ => Err(Refusal::Forbidden),
        })
    }
}

/// A draft's numbers as the columns of `plans` hold them.
struct Terms {
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
    included_modules: Vec<String>,
    optional_modules: Vec<String>,
    device_messages_per_minute: Option<i32>,
    organization_messages_per_minute: Option<i32>,
    telemetry_retention_days: Option<i32>,
}

impl Terms {
    fn of(draft: &PlanDraft) -> Self {
        let int = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
        let q = &draft.quotas;
        Self {
            monthly_price_cents: i64::try_from(draft.monthly_price_cents).unwrap_or(i64::MAX),
            cpu_millicores: int(q.cpu_millicores),
            memory_mib: int(q.memory_mib),
            storage_gib: int(q.storage_gib),
            seats: q.seats.map(int),
            devices: q.devices.map(int),
            backup_retention_days: int(q.backup_retention_days),
            openstack_vcpus: int(q.openstack_vcpus),
            openstack_ram_mib: int(q.openstack_ram_mib),
            openstack_instances: int(q.openstack_instances),
            included_modules: codes(&draft.modules.included),
            optional_modules: codes(&draft.modules.optional),
            device_messages_per_minute: draft.telemetry.map(|t| int(t.device_messages_per_minute)),
            organization_messages_per_minute: draft
                .telemetry
                .map(|t| int(t.organization_messages_per_minute)),
            telemetry_retention_days: draft.telemetry.map(|t| int(t.retention_days)),
        }
    }
}

fn codes(modules: &[OdooModule]) -> Vec<String> {
    modules
        .iter()
        .map(|module| module.technical_name().to_owned())
        .collect()
}

async fn locked_plan(conn: &mut sqlx::PgConnection, code: &str) -> Result<Option<(Uuid, PlanRecord)>> {
    let id = sqlx::query_scalar!("SELECT id FROM plans WHERE code = $1 FOR UPDATE", code)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(id) = id else { return Ok(None) };
    Ok(Some((id, plan_record(conn, id).await?)))
}

async fn plan_record(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<PlanRecord> {
    let (offer, plan) = plan_by_id(conn, id).await?;
    let row = sqlx::query!(
        r#"SELECT p.retired_at, p.version, p.device_messages_per_minute, p.organization_messages_per_minute,
                  p.telemetry_retention_days,
                  (SELECT count(*) FROM subscriptions s WHERE s.plan_id = p.id AND s.state <> 'closed')
                    AS "subscriptions!"
             FROM plans p WHERE p.id = $1"#,
        id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let (retired_at, version, subscriptions) = (row.retired_at, row.version, row.subscriptions);
    let positive = |value: Option<i32>| value.and_then(|n| u32::try_from(n).ok());
    let telemetry = match (
        positive(row.device_messages_per_minute),
        positive(row.organization_messages_per_minute),
        positive(row.telemetry_retention_days),
    ) {
        (Some(device), Some(organization), Some(days)) => Some(TelemetryLimits {
            device_messages_per_minute: device,
            organization_messages_per_minute: organization,
            retention_days: days,
        }),
        _ => None,
    };
    Ok(PlanRecord {
        offer,
        code: plan.code.to_string(),
        name: plan.name,
        monthly_price_cents: plan.monthly_price_cents,
        quotas: plan.quotas,
        requires_approval: plan.requires_approval,
        modules: plan.modules,
        telemetry,
        retired_on: retired_at.map(day),
        subscriptions,
        version,
    })
}
