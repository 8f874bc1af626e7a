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
    pub status: DeviceStatus,
    /// Its current password was shown to its owner (it is shown once).
    pub password_shown: bool,
}

/// Where a device's broker identity stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceStatus {
    /// Its client is being made on the broker.
    SettingUp,
    /// A new password is being given to it (the old one is refused once it is).
    Rotating,
    /// It may connect with its password.
    Active,
    /// Its owner turned it off: it cannot connect.
    Disabled,
}

impl DeviceStatus {
    /// From what its owner wants (`enabled`, credentials `version`) and
    /// the version the broker has (`applied`).
    pub fn of(enabled: bool, applied: Option<i32>, version: i32) -> Self {
        match applied {
            None => Self::SettingUp,
            Some(applied) if applied < version => Self::Rotating,
            Some(_) if !enabled => Self::Disabled,
            Some(_) => Self::Active,
        }
    }

    /// Its password can be shown (the broker has it).
    pub fn has_password(self) -> bool {
        matches!(self, Self::Active | Self::Disabled)
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::SettingUp => "setting_up",
            Self::Rotating => "rotating",
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

/// The Vault secret of a device (under its space's path): its password
/// (`password`) and the credentials version it is for (`version`).
#[cfg(feature = "server")]
pub fn device_secret_name(device: uuid::Uuid) -> String {
    format!("device-{}", device.simple())
}

/// What an owner asks of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChange {
    /// A new password (the old one refused as soon as the broker has it).
    Rotate,
    Disable,
    Enable,
}

impl DeviceChange {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "rotate" => Some(Self::Rotate),
            "disable" => Some(Self::Disable),
            "enable" => Some(Self::Enable),
            _ => None,
        }
    }
}

/// A device's page: its state and how it connects (its password apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDetails {
    pub subscription_id: String,
    pub device: Device,
    /// The broker, as devices reach it.
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub username: String,
    pub topic: String,
    pub commands_topic: String,
}

impl DeviceDetails {
    /// Its password may be shown now (the broker has it, nobody saw it).
    pub fn password_to_show(&self) -> bool {
        self.device.status.has_password() && !self.device.password_shown
    }
}

/// How a device connects, with its password (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCredentials {
    pub device: String,
    /// The broker, as devices reach it.
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub username: String,
    pub password: String,
    /// Where it publishes: anything under this topic (`…/telemetry`).
    pub topic: String,
    /// What it subscribes to.
    pub commands_topic: String,
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
