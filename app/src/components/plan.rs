//! How a plan reads wherever it is offered (the landing page, an
//! organization's catalog, the review before confirming): its price for a
//! billing period, what it includes, and each quota in the units people read.

use control::domain::{Plan, QuotaKind};

use crate::i18n::{
    format_count, format_cpu, format_cpu_used, format_mebibytes, format_mebibytes_used, format_price, Locale,
    Msg,
};

/// A year costs ten months: two months free.
pub fn yearly_price_cents(monthly_cents: u64) -> u64 {
    monthly_cents.saturating_mul(10)
}

/// "€29 per month, or €290 per year".
pub fn price_line(locale: Locale, monthly_cents: u64) -> String {
    Msg::PriceMonthlyOrYearly
        .text(locale)
        .replace("{monthly}", &format_price(locale, monthly_cents))
        .replace(
            "{yearly}",
            &format_price(locale, yearly_price_cents(monthly_cents)),
        )
}

/// A quota's amount with its unit: "0.5 vCPU", "2 GiB", "10 seats".
pub fn quota_amount(locale: Locale, quota: QuotaKind, value: u32) -> String {
    let count = |one, other| format_count(locale, u64::from(value), one, other);
    match quota {
        QuotaKind::CpuMillicores => format!(
            "{}\u{a0}{}",
            format_cpu(locale, value),
            Msg::QuotaCpu.text(locale)
        ),
        QuotaKind::MemoryMib | QuotaKind::OpenstackRamMib => format_mebibytes(locale, value),
        QuotaKind::StorageGib => format_mebibytes(locale, value.saturating_mul(1024)),
        QuotaKind::Seats => count(Msg::QuotaSeat, Msg::QuotaSeats),
        QuotaKind::Devices => count(Msg::QuotaDevice, Msg::QuotaDevices),
        QuotaKind::BackupRetentionDays => count(Msg::DayOne, Msg::DayOther),
        QuotaKind::OpenstackVcpus => format!("{value}\u{a0}{}", Msg::QuotaCpu.text(locale)),
        QuotaKind::OpenstackInstances => count(Msg::QuotaInstance, Msg::QuotaInstances),
    }
}

/// What is really consumed of a CPU, memory or storage quota, given in
/// millicores or MiB ([`QuotaKind::consumption_units`]).
pub fn consumed_amount(locale: Locale, quota: QuotaKind, consumed: u64) -> String {
    match quota {
        QuotaKind::CpuMillicores => format!(
            "{}\u{a0}{}",
            format_cpu_used(locale, consumed),
            Msg::QuotaCpu.text(locale)
        ),
        _ => format_mebibytes_used(locale, consumed),
    }
}

/// What the plan includes, one line per quota the offer has.
pub fn quota_lines(locale: Locale, plan: &Plan) -> Vec<String> {
    let q = &plan.quotas;
    let text = |msg: Msg| msg.text(locale);
    let count = |n: u32, one, other| format_count(locale, u64::from(n), one, other);
    let mut lines = vec![
        format!("{} {}", format_cpu(locale, q.cpu_millicores), text(Msg::QuotaCpu)),
        format!(
            "{} {}",
            format_mebibytes(locale, q.memory_mib),
            text(Msg::QuotaMemory)
        ),
        format!(
            "{} {}",
            format_mebibytes(locale, q.storage_gib.saturating_mul(1024)),
            text(Msg::QuotaStorage)
        ),
    ];
    if let Some(seats) = q.seats {
        lines.push(count(seats, Msg::QuotaSeat, Msg::QuotaSeats));
    }
    if let Some(devices) = q.devices {
        lines.push(count(devices, Msg::QuotaDevice, Msg::QuotaDevices));
    }
    lines.push(count(
        q.backup_retention_days,
        Msg::QuotaBackupDay,
        Msg::QuotaBackupDays,
    ));
    if q.openstack_instances > 0 {
        lines.push(count(
            q.openstack_instances,
            Msg::QuotaInstance,
            Msg::QuotaInstances,
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_read_in_units_people_know() {
        assert_eq!(
            quota_amount(Locale::En, QuotaKind::CpuMillicores, 500),
            "0.5\u{a0}vCPU"
        );
        assert_eq!(
            quota_amount(Locale::Fr, QuotaKind::CpuMillicores, 2000),
            "2\u{a0}vCPU"
        );
        assert_eq!(quota_amount(Locale::En, QuotaKind::StorageGib, 20), "20\u{a0}GiB");
        assert_eq!(quota_amount(Locale::Fr, QuotaKind::MemoryMib, 1024), "1\u{a0}Gio");
        assert_eq!(quota_amount(Locale::En, QuotaKind::Seats, 1), "1 user seat");
        assert_eq!(
            quota_amount(Locale::En, QuotaKind::BackupRetentionDays, 7),
            "7 days"
        );
    }

    #[test]
    fn a_year_costs_ten_months() {
        assert_eq!(price_line(Locale::En, 2900), "€29 per month, or €290 per year");
        assert_eq!(
            price_line(Locale::Fr, 2900),
            "29\u{a0}€ par mois, ou 290\u{a0}€ par an"
        );
    }
}
