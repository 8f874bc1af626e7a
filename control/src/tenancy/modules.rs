//! The modules of a shop or a training space (see `domain::modules`):
//! owners and admins add those the plan offers and remove them again; the
//! engine applies each change (`change_modules`). A module the plan does
//! not offer, or one it includes, is refused before anything is written.

use std::str::FromStr;

use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{
        AuditAction, FieldProblem, OdooModule, OrganizationState, Permission, Refusal, SubscriptionState,
    },
    or_refuse,
    tenancy::quotas::live_subscriptions,
    Caller, Control, Outcome, PageChange, Result,
};

/// What the customer asks of a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleChange {
    Add,
    Remove,
}

impl FromStr for ModuleChange {
    type Err = ();

    fn from_str(text: &str) -> std::result::Result<Self, ()> {
        match text {
            "add" => Ok(Self::Add),
            "remove" => Ok(Self::Remove),
            _ => Err(()),
        }
    }
}

impl Control {
    /// Adds or removes `module` (its code) on the organization's
    /// `subscription`; the engine installs or uninstalls it.
    pub async fn change_module(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        module: &str,
        change: ModuleChange,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(
            self.begin_change(caller, slug, Permission::ManageSubscriptions)
                .await?
        );
        let live = live_subscriptions(&mut tx, org.id).await?;
        let Some(current) = live.iter().find(|s| s.id == subscription) else {
            return Ok(Err(Refusal::NotFound));
        };
        if !current.offer.runs_odoo() {
            return Ok(Err(Refusal::NotFound));
        }
        if org.state != OrganizationState::Active || current.state != SubscriptionState::Active {
            return Ok(Err(Refusal::WrongState));
        }
        let Some(module) = OdooModule::parse(module).filter(|module| module.serves(current.offer)) else {
            return Ok(Err(Refusal::field("module", FieldProblem::Unknown)));
        };
        // Only what the plan offers is the customer's to add or remove.
        if !current.plan.modules.optional.contains(&module) {
            return Ok(Err(Refusal::field("module", FieldProblem::NotOffered)));
        }
        let changed = match change {
            ModuleChange::Add => sqlx::query!(
                "INSERT INTO subscription_modules (subscription_id, module, added_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                subscription,
                module.technical_name(),
                now,
            )
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            ModuleChange::Remove => sqlx::query!(
                "DELETE FROM subscription_modules WHERE subscription_id = $1 AND module = $2",
                subscription,
                module.technical_name(),
            )
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        // Asked twice (a form posted again): done already.
        if changed == 0 {
            return Ok(Ok(()));
        }
        sqlx::query!(
            "UPDATE subscriptions SET modules_version = modules_version + 1 WHERE id = $1",
            subscription,
        )
        .execute(&mut *tx)
        .await?;
        let record = json!({ "subscription": subscription.to_string(), "module": module.technical_name() });
        let target = format!("module:{}", module.technical_name());
        let event = match change {
            ModuleChange::Add => AuditEvent::new(Some(org.id), AuditAction::ModuleAdd, target).after(record),
            ModuleChange::Remove => {
                AuditEvent::new(Some(org.id), AuditAction::ModuleRemove, target).before(record)
            }
        };
        self.commit_change(tx, caller, now, event).await
    }

    /// Keeps which of Bibind's modules the subscription's Odoo has, and
    /// (from the engine) which change of modules that applied.
    pub(crate) async fn record_modules_applied(
        &self,
        subscription: Uuid,
        states: &[(OdooModule, bool)],
        version: Option<i32>,
    ) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let (modules, installed): (Vec<String>, Vec<bool>) = states
            .iter()
            .map(|(module, installed)| (module.technical_name().to_owned(), *installed))
            .unzip();
        // Only a different answer is written (and so announced to the pages).
        sqlx::query!(
            "INSERT INTO odoo_module_states (subscription_id, module, installed, observed_at)
             SELECT $1, module, installed, $4 FROM unnest($2::text[], $3::bool[]) AS t (module, installed)
             ON CONFLICT (subscription_id, module) DO UPDATE
                SET installed = EXCLUDED.installed, observed_at = EXCLUDED.observed_at
              WHERE odoo_module_states.installed <> EXCLUDED.installed",
            subscription,
            &modules,
            &installed,
            now,
        )
        .execute(&mut *tx)
        .await?;
        if let Some(version) = version {
            sqlx::query!(
                "UPDATE subscriptions SET modules_applied = $2 WHERE id = $1",
                subscription,
                version,
            )
            .execute(&mut *tx)
            .await?;
        }
        self.commit_page_change(tx, PageChange::Subscriptions(vec![subscription]))
            .await
    }
}
