//! Devices registered under an IoT subscription.

use serde::{Deserialize, Serialize};

use super::FieldProblem;

/// A device's name, its MQTT client id under the tenant's topics: 2 to 64
/// lowercase letters, digits, dots, dashes and underscores, starting with a
/// letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceName(String);

impl DeviceName {
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let name = raw.trim().to_lowercase();
        let mut chars = name.chars();
        match chars.next() {
            None => Err(FieldProblem::Missing),
            Some(_) if name.len() < 2 => Err(FieldProblem::TooShort),
            Some(_) if name.len() > 64 => Err(FieldProblem::TooLong),
            Some(first)
                if first.is_ascii_alphanumeric()
                    && chars.all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                    }) =>
            {
                Ok(Self(name))
            }
            Some(_) => Err(FieldProblem::BadCharacters),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A registered device, as the subscription's card lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: String,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub registered_on: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_are_mqtt_client_ids() {
        assert_eq!(
            DeviceName::parse(" Sensor-01 ").map(|n| n.as_str().to_owned()),
            Ok("sensor-01".into())
        );
        assert_eq!(DeviceName::parse(""), Err(FieldProblem::Missing));
        assert_eq!(DeviceName::parse("a"), Err(FieldProblem::TooShort));
        assert_eq!(DeviceName::parse("-abc"), Err(FieldProblem::BadCharacters));
        assert_eq!(DeviceName::parse("a/b"), Err(FieldProblem::BadCharacters));
        assert_eq!(DeviceName::parse(&"x".repeat(65)), Err(FieldProblem::TooLong));
    }
}
