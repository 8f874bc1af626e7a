//! The public catalog: offers and the plans a customer can subscribe to now.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::{
    domain::{LocalizedText, OdooModule, Offer, OfferKind, Plan, PlanCode, PlanModules, Quotas},
    Control, Error, Result,
};

/// A plan's columns, as every query that loads plans reads them.
pub(crate) struct PlanRow {
    pub(crate) offer_kind: OfferKind,
    pub(crate) code: String,
    pub(crate) name_en: String,
    pub(crate) name_fr: String,
    pub(crate) monthly_price_cents: i64,
    pub(crate) cpu_millicores: i32,
    pub(crate) memory_mib: i32,
    pub(crate) storage_gib: i32,
    pub(crate) seats: Option<i32>,
    pub(crate) devices: Option<i32>,
    pub(crate) backup_retention_days: i32,
    pub(crate) openstack_vcpus: i32,
    pub(crate) openstack_ram_mib: i32,
    pub(crate) openstack_instances: i32,
    pub(crate) requires_approval: bool,
    pub(crate) included_modules: Vec<String>,
    pub(crate) optional_modules: Vec<String>,
}

/// How long a replica serves the catalog from memory. Plan changes made on
/// this replica clear it at once; other replicas see them within this time.
const CATALOG_TTL: time::Duration = time::Duration::seconds(30);

/// The catalog as last loaded, and when: one copy, replaced when older than
/// [`CATALOG_TTL`] (the catalog's whole bound and eviction rule).
#[derive(Default)]
pub(crate) struct CatalogCache(std::sync::Mutex<Option<(OffsetDateTime, CatalogCopy)>>);

/// Numbers the catalogs loaded in this process ([`CatalogCopy::number`]).
static COPIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The catalog as loaded once: two copies with the same number list the
/// same offers and plans. Shared, not copied: the busiest pages ask for it
/// on every request.
#[derive(Clone, Debug)]
pub struct CatalogCopy {
    pub number: u64,
    pub offers: std::sync::Arc<[Offer]>,
}

impl CatalogCache {
    fn fresh(&self, now: OffsetDateTime) -> Option<CatalogCopy> {
        let cached = self.0.lock().ok()?;
        let (loaded_at, copy) = cached.as_ref()?;
        (now - *loaded_at < CATALOG_TTL).then(|| copy.clone())
    }

    fn store(&self, now: OffsetDateTime, offers: Vec<Offer>) -> CatalogCopy {
        let copy = CatalogCopy {
            number: COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            offers: offers.into(),
        };
        if let Ok(mut cached) = self.0.lock() {
            *cached = Some((now, copy.clone()));
        }
        copy
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut cached) = self.0.lock() {
            *cached = None;
        }
    }
}

impl Control {
    /// Offers in display order, each with the plans on sale at this moment
    /// (retired plans stay on existing subscriptions but are no longer listed).
    /// Every page with a catalog asks for it: it is kept in memory briefly.
    pub async fn public_catalog(&self) -> Result<Vec<Offer>> {
        Ok(self.public_catalog_copy().await?.offers.to_vec())
    }

    /// [`Self::public_catalog`] with its copy's number, for what is kept
    /// in memory beside it (the portal's rendered pages).
    pub async fn public_catalog_copy(&self) -> Result<CatalogCopy> {
        let now: OffsetDateTime = self.clock.now();
        if let Some(copy) = self.catalog_cache.fresh(now) {
            return Ok(copy);
        }
        let offers = self.load_catalog(now).await?;
        Ok(self.catalog_cache.store(now, offers))
    }

    async fn load_catalog(&self, now: OffsetDateTime) -> Result<Vec<Offer>> {
        let offers = sqlx::query!(
            r#"SELECT kind AS "kind: OfferKind", name_en, name_fr, summary_en, summary_fr
                 FROM offers ORDER BY position"#,
        )
        .fetch_all(self.db.pool())
        .await?;
        let plans = sqlx::query_as!(
            PlanRow,
            r#"SELECT offer_kind AS "offer_kind: OfferKind", code, name_en, name_fr, monthly_price_cents,
                      cpu_millicores, memory_mib, storage_gib, seats, devices, backup_retention_days,
                      openstack_vcpus, openstack_ram_mib, openstack_instances, requires_approval,
                      included_modules, optional_modules
                 FROM plans
                WHERE retired_at IS NULL OR retired_at > $1
                ORDER BY position, code"#,
            now,
        )
        .fetch_all(self.db.pool())
        .await?;

        let mut plans_by_offer: HashMap<OfferKind, Vec<Plan>> = HashMap::new();
        for row in plans {
            plans_by_offer
                .entry(row.offer_kind)
                .or_default()
                .push(row.try_into()?);
        }
        Ok(offers
            .into_iter()
            .map(|row| Offer {
                kind: row.kind,
                name: LocalizedText {
                    en: row.name_en,
                    fr: row.name_fr,
                },
                summary: LocalizedText {
                    en: row.summary_en,
                    fr: row.summary_fr,
                },
                plans: plans_by_offer.remove(&row.kind).unwrap_or_default(),
            })
            .collect())
    }
}

/// A plan on sale now, by code: its id, offer and terms.
pub(crate) async fn plan_on_sale(
    tx: &mut sqlx::PgConnection,
    code: &str,
    now: OffsetDateTime,
) -> Result<Option<(uuid::Uuid, OfferKind, Plan)>> {
    if code.contains('\0') {
        // No plan's code holds it, and PostgreSQL refuses it in a query.
        return Ok(None);
    }
    let id = sqlx::query_scalar!(
        "SELECT id FROM plans WHERE code = $1 AND (retired_at IS NULL OR retired_at > $2)",
        code,
        now,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else { return Ok(None) };
    let (kind, plan) = plan_by_id(tx, id).await?;
    Ok(Some((id, kind, plan)))
}

/// Any plan, retired or not (a retired plan stays on its subscriptions).
pub(crate) async fn plan_by_id(tx: &mut sqlx::PgConnection, id: uuid::Uuid) -> Result<(OfferKind, Plan)> {
    let row = sqlx::query_as!(
        PlanRow,
        r#"SELECT offer_kind AS "offer_kind: OfferKind", code, name_en, name_fr, monthly_price_cents,
                  cpu_millicores, memory_mib, storage_gib, seats, devices, backup_retention_days,
                  openstack_vcpus, openstack_ram_mib, openstack_instances, requires_approval,
                  included_modules, optional_modules
             FROM plans WHERE id = $1"#,
        id,
    )
    .fetch_one(&mut *tx)
    .await?;
    row.into_offer_plan()
}

impl PlanRow {
    /// The plan and the offer it belongs to.
    pub(crate) fn into_offer_plan(self) -> Result<(OfferKind, Plan)> {
        Ok((self.offer_kind, self.try_into()?))
    }
}

fn invalid(table: &'static str, detail: &str) -> Error {
    Error::InvalidStoredData {
        table,
        detail: detail.to_owned(),
    }
}

fn non_negative(value: i32, column: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| invalid("plans", &format!("{column} = {value}")))
}

impl TryFrom<PlanRow> for Plan {
    type Error = Error;

    fn try_from(row: PlanRow) -> Result<Self> {
        let optional = |value: Option<i32>, column: &str| value.map(|v| non_negative(v, column)).transpose();
        Ok(Plan {
            code: PlanCode::parse(&row.code).ok_or_else(|| invalid("plans", &row.code))?,
            name: LocalizedText {
                en: row.name_en,
                fr: row.name_fr,
            },
            monthly_price_cents: u64::try_from(row.monthly_price_cents)
                .map_err(|_| invalid("plans", "monthly_price_cents"))?,
            quotas: Quotas {
                cpu_millicores: non_negative(row.cpu_millicores, "cpu_millicores")?,
                memory_mib: non_negative(row.memory_mib, "memory_mib")?,
                storage_gib: non_negative(row.storage_gib, "storage_gib")?,
                seats: optional(row.seats, "seats")?,
                devices: optional(row.devices, "devices")?,
                backup_retention_days: non_negative(row.backup_retention_days, "backup_retention_days")?,
                openstack_vcpus: non_negative(row.openstack_vcpus, "openstack_vcpus")?,
                openstack_ram_mib: non_negative(row.openstack_ram_mib, "openstack_ram_mib")?,
                openstack_instances: non_negative(row.openstack_instances, "openstack_instances")?,
            },
            requires_approval: row.requires_approval,
            modules: PlanModules {
                included: stored_modules(&row.included_modules)?,
                optional: stored_modules(&row.optional_modules)?,
            },
        })
    }
}

/// In [`OdooModule::ALL`]'s order, as the plan form parses them.
fn stored_modules(codes: &[String]) -> Result<Vec<OdooModule>> {
    let mut modules = codes
        .iter()
        .map(|code| OdooModule::parse(code).ok_or_else(|| invalid("plans", &format!("module {code:?}"))))
        .collect::<Result<Vec<_>>>()?;
    modules.sort();
    Ok(modules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LocalizedText;

    fn offers(name: &str) -> Vec<Offer> {
        let text = LocalizedText {
            en: name.to_owned(),
            fr: name.to_owned(),
        };
        vec![Offer {
            kind: OfferKind::Iot,
            name: text.clone(),
            summary: text,
            plans: Vec::new(),
        }]
    }

    #[test]
    fn the_catalog_is_one_copy_served_until_its_time_is_up() {
        let cache = CatalogCache::default();
        let loaded_at = OffsetDateTime::UNIX_EPOCH;
        assert!(cache.fresh(loaded_at).is_none());
        let first = cache.store(loaded_at, offers("first"));
        let second = cache.store(loaded_at, offers("second"));
        assert_ne!(first.number, second.number, "each load is a new copy");
        let served = |at| {
            cache
                .fresh(at)
                .map(|copy| (copy.number, copy.offers[0].name.en.clone()))
        };
        assert_eq!(
            served(loaded_at + CATALOG_TTL - time::Duration::SECOND),
            Some((second.number, "second".to_owned()))
        );
        assert_eq!(served(loaded_at + CATALOG_TTL), None);
        cache.clear();
        assert_eq!(served(loaded_at), None);
    }
}
