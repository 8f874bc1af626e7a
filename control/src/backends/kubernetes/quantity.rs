//! Kubernetes quantities (`500m`, `2`, `1Gi`, `1.5G`, `1e3`): parsed to
//! integer milli-units so they compare exactly, and written in the canonical
//! form the API server stores (`1024Mi` is kept as `1Gi`, `1000m` as `1`), so
//! that what we send compares equal to what we read back.

/// `quantity` in thousandths of its unit (millicores for CPU, millibytes
/// for memory), or `None` when it is not a quantity.
pub fn parse_milli(quantity: &str) -> Option<i128> {
    let quantity = quantity.trim();
    let (negative, unsigned) = match quantity.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, quantity.strip_prefix('+').unwrap_or(quantity)),
    };
    let number_end = unsigned
        .find(|character: char| !(character.is_ascii_digit() || character == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    // Twelve decimals are kept so that `0.5m` or `1.5Ki` still come out exact.
    const SCALE: u32 = 12;
    if fraction.len() > SCALE as usize {
        return None;
    }
    let whole_value: i128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let fraction_value: i128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<i128>().ok()? * 10i128.checked_pow(SCALE - fraction.len() as u32)?
    };
    let scaled = whole_value
        .checked_mul(10i128.pow(SCALE))?
        .checked_add(fraction_value)?;
    let (multiplier, divisor) = suffix_factor(suffix)?;
    let milli = scaled.checked_mul(multiplier)?.checked_mul(1000)? / divisor / 10i128.pow(SCALE);
    Some(if negative { -milli } else { milli })
}

/// (multiplier, divisor) of a suffix.
fn suffix_factor(suffix: &str) -> Option<(i128, i128)> {
    let binary = |power: u32| Some((1024i128.pow(power), 1));
    let decimal = |power: u32| Some((1000i128.pow(power), 1));
    match suffix {
        "" => decimal(0),
        "n" => Some((1, 1_000_000_000)),
        "u" => Some((1, 1_000_000)),
        "m" => Some((1, 1000)),
        "k" => decimal(1),
        "M" => decimal(2),
        "G" => decimal(3),
        "T" => decimal(4),
        "P" => decimal(5),
        "E" => decimal(6),
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        exponent => {
            let digits = exponent.strip_prefix(['e', 'E'])?;
            let power: i32 = digits.parse().ok()?;
            if power >= 0 {
                Some((10i128.checked_pow(power.unsigned_abs())?, 1))
            } else {
                Some((1, 10i128.checked_pow(power.unsigned_abs())?))
            }
        }
    }
}

/// CPU in the API server's canonical form: `2`, `1500m`.
pub fn cpu(millicores: u64) -> String {
    if millicores.is_multiple_of(1000) {
        (millicores / 1000).to_string()
    } else {
        format!("{millicores}m")
    }
}

/// A byte count in the canonical binary form: the largest of `Ki`…`Ei`
/// that divides it, `0` for nothing.
pub fn bytes(count: u128) -> String {
    const SUFFIXES: [&str; 6] = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if count == 0 {
        return "0".to_owned();
    }
    let mut value = count;
    let mut suffix = "";
    for candidate in SUFFIXES {
        if !value.is_multiple_of(1024) {
            break;
        }
        value /= 1024;
        suffix = candidate;
    }
    format!("{value}{suffix}")
}

pub fn mebibytes(count: u32) -> String {
    bytes(u128::from(count) << 20)
}

pub fn gibibytes(count: u32) -> String {
    bytes(u128::from(count) << 30)
}

/// Whole units of `1024^power` bytes in a quantity, rounded up (a usage of
/// 1.5 MiB counts as 2), 0 for a negative or unreadable one.
pub fn whole_binary_units(quantity: &str, power: u32) -> u64 {
    let Some(milli) = parse_milli(quantity) else {
        return 0;
    };
    let unit = 1024i128.pow(power) * 1000;
    let units = (milli.max(0) + unit - 1) / unit;
    u64::try_from(units).unwrap_or(u64::MAX)
}

/// Millicores in a CPU quantity, rounded up, 0 for a negative or unreadable one.
pub fn millicores(quantity: &str) -> u64 {
    parse_milli(quantity).map_or(0, |milli| u64::try_from(milli.max(0)).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_compare_in_milli_units() {
        assert_eq!(parse_milli("500m"), Some(500));
        // metrics-server's nanocores.
        assert_eq!(parse_milli("2510318n"), Some(2));
        assert_eq!(parse_milli("250000u"), Some(250));
        assert_eq!(parse_milli("1000m"), parse_milli("1"));
        assert_eq!(parse_milli("1.5"), Some(1500));
        assert_eq!(parse_milli("1Ki"), Some(1_024_000));
        assert!(parse_milli("1Gi") > parse_milli("1G"));
        assert_eq!(parse_milli("1e3"), Some(1_000_000));
        assert_eq!(parse_milli("-2"), Some(-2000));
        for bad in ["", "m", "1.2.3", "1Q", "Gi"] {
            assert_eq!(parse_milli(bad), None, "{bad}");
        }
    }

    #[test]
    fn what_is_written_is_the_canonical_form() {
        assert_eq!(cpu(2000), "2");
        assert_eq!(cpu(1500), "1500m");
        assert_eq!(mebibytes(1024), "1Gi");
        assert_eq!(mebibytes(1536), "1536Mi");
        assert_eq!(gibibytes(0), "0");
        assert_eq!(whole_binary_units("1536Ki", 2), 2);
        assert_eq!(millicores("1.5"), 1500);
    }
}
