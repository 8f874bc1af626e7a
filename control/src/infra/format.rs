//! How the control plane writes values for people.

use time::OffsetDateTime;

/// `YYYY-MM-DD` of a timestamp, for people.
pub(crate) fn day(at: OffsetDateTime) -> String {
    let date = at.date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}
