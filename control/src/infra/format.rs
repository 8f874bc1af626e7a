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

/// `YYYY-MM-DDTHH:MM:SSZ` of a timestamp, in UTC.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        day(at),
        at.hour(),
        at.minute(),
        at.second()
    )
}
