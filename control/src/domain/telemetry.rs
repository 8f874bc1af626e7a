//! What devices send, as the portal keeps and shows it.
//!
//! Payload format (documented in ARCHITECTURE.md): a JSON object whose
//! numeric fields are kept by name, nested objects flattened with dots
//! (`{"env": {"t": 21.5}}` → `env.t`); a bare JSON number is named after
//! the topic below the device's (`…/devices/d1/temperature` → `temperature`,
//! `value` when published on the device's topic itself). Anything else is
//! counted and shown raw.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// At most this many numeric fields are kept of one message.
pub const MAX_FIELDS: usize = 32;
/// A field's name longer than this is not kept.
pub const MAX_FIELD_NAME: usize = 64;
/// The raw payload is kept up to this many bytes.
pub const MAX_RAW: usize = 1024;
/// A device heard within this many seconds is online.
pub const ONLINE_WITHIN_SECONDS: i64 = 300;

/// A message as the ingestion reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPayload {
    /// The payload as text (lossy UTF-8), cut at [`MAX_RAW`] bytes.
    pub text: String,
    /// Its numeric fields; `None` when it is not JSON.
    pub numbers: Option<BTreeMap<String, f64>>,
}

/// Reads `payload`, published on `subtopic` below the device's topic.
pub fn parse_payload(subtopic: &str, payload: &[u8]) -> ParsedPayload {
    let text = cut(&String::from_utf8_lossy(payload), MAX_RAW).to_owned();
    let numbers = serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .map(|value| {
            let mut numbers = BTreeMap::new();
            match &value {
                serde_json::Value::Object(_) => flatten("", &value, &mut numbers),
                serde_json::Value::Number(_) => {
                    let name = subtopic
                        .rsplit('/')
                        .find(|part| !part.is_empty())
                        .unwrap_or("value");
                    flatten(name, &value, &mut numbers);
                }
                _ => {}
            }
            numbers
        });
    ParsedPayload { text, numbers }
}

fn flatten(prefix: &str, value: &serde_json::Value, numbers: &mut BTreeMap<String, f64>) {
    match value {
        serde_json::Value::Number(number) => {
            let finite = number.as_f64().filter(|n| n.is_finite());
            if let Some(number) = finite {
                if numbers.len() < MAX_FIELDS && !prefix.is_empty() && prefix.len() <= MAX_FIELD_NAME {
                    numbers.insert(prefix.to_owned(), number);
                }
            }
        }
        serde_json::Value::Object(fields) => {
            for (name, value) in fields {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                flatten(&path, value, numbers);
            }
        }
        _ => {}
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// How much a device talks, as its list and its page show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceActivity {
    /// When it was last heard (UTC, RFC 3339).
    pub last_seen: Option<String>,
    /// Heard within [`ONLINE_WITHIN_SECONDS`].
    pub online: bool,
    /// Messages kept over the last minute (a sliding estimate).
    pub per_minute: u32,
    /// Messages dropped over the rate limits in the last hour.
    pub dropped_last_hour: u32,
}

/// The sliding estimate of messages over the last minute from the counts
/// of the previous and the current minute, `elapsed` seconds into it.
pub fn per_minute(previous: i64, current: i64, elapsed: u8) -> u32 {
    let elapsed = i64::from(elapsed.min(60));
    let estimate = (previous * (60 - elapsed) + 30) / 60 + current;
    u32::try_from(estimate.max(0)).unwrap_or(u32::MAX)
}

/// One numeric field over the chart's window: `(seconds since the
/// window's start, the mean of a bucket)`, in order, and the latest value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub field: String,
    pub points: Vec<(u32, f64)>,
    pub last: f64,
}

/// The chart's drawing box (SVG user units).
pub const CHART_WIDTH: u32 = 600;
pub const CHART_HEIGHT: u32 = 100;
const CHART_MARGIN: f64 = 8.0;

impl Series {
    /// The lowest and highest values drawn.
    fn range(&self) -> (f64, f64) {
        self.points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), (_, value)| {
                (low.min(*value), high.max(*value))
            })
    }

    /// The series drawn over a window of `window` seconds, every number
    /// already written: the browser only places text (no float formatting
    /// nor parsing in the page's wasm).
    pub fn drawn(&self, window: u32) -> DrawnSeries {
        let (low, high) = self.range();
        let (width, height) = (f64::from(CHART_WIDTH), f64::from(CHART_HEIGHT));
        let span = if high > low { high - low } else { 1.0 };
        let window = f64::from(window.max(1));
        let points = self
            .points
            .iter()
            .map(|(at, value)| {
                let x = f64::from(*at) / window * width;
                let y = if high > low {
                    height - CHART_MARGIN - (value - low) / span * (height - 2.0 * CHART_MARGIN)
                } else {
                    height / 2.0
                };
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ");
        DrawnSeries {
            field: self.field.clone(),
            points,
            latest: figure(self.last),
            lowest: figure(low),
            highest: figure(high),
        }
    }
}

/// A number for people: at most three decimals, none when whole.
pub fn figure(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// A numeric field as its chart and table show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnSeries {
    pub field: String,
    /// The polyline's `x,y` points in the [`CHART_WIDTH`] × [`CHART_HEIGHT`] box.
    pub points: String,
    pub latest: String,
    pub lowest: String,
    pub highest: String,
}

/// One message as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawMessage {
    /// When it was stored (UTC, `HH:MM:SS`).
    pub at: String,
    /// The topic below the device's.
    pub topic: String,
    pub payload: String,
    pub json: bool,
}

/// A device's recent telemetry: the chart of the last hour per numeric
/// field, the latest messages, and its activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceTelemetry {
    pub activity: DeviceActivity,
    /// The plan's limit of messages a minute for one device.
    pub limit_per_minute: Option<u32>,
    /// The window's length in seconds (the chart's width).
    pub window_seconds: u32,
    /// The window's end (UTC, `HH:MM`), the chart's right edge.
    pub window_end: String,
    pub series: Vec<DrawnSeries>,
    /// The latest messages, newest first.
    pub recent: Vec<RawMessage>,
}

/// A device in its subscription's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedDevice {
    pub device: super::Device,
    pub activity: DeviceActivity,
}

/// One page of a subscription's devices, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    pub subscription_id: String,
    pub devices: Vec<ListedDevice>,
    /// Devices matching the search.
    pub total: u32,
    /// From 1.
    pub page: u32,
    pub pages: u32,
    /// The names' beginning searched for ("" for all).
    pub search: String,
}

/// Devices on one page of the list.
pub const DEVICES_PER_PAGE: u32 = 50;

/// What the broker did with a command sent from the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandResult {
    /// Accepted, and the device listens to its commands.
    Delivered,
    /// Accepted, but the device does not listen (offline, or not subscribed).
    NoListener,
    /// Refused by the broker.
    Refused,
    /// The broker did not answer.
    Unreachable,
}

impl CommandResult {
    pub fn code(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::NoListener => "no_listener",
            Self::Refused => "refused",
            Self::Unreachable => "unreachable",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Delivered,
            Self::NoListener,
            Self::Refused,
            Self::Unreachable,
        ]
        .into_iter()
        .find(|result| result.code() == code)
    }
}

/// A command sent, as the device's page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentCommand {
    /// UTC, `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
    pub payload: String,
    pub result: CommandResult,
}

/// A command's text, parsed once: JSON, at most [`MAX_COMMAND`] bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCommand(String);

/// The largest command sent.
pub const MAX_COMMAND: usize = 4096;

impl DeviceCommand {
    pub fn parse(raw: &str) -> Result<Self, super::FieldProblem> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(super::FieldProblem::Missing);
        }
        if raw.len() > MAX_COMMAND {
            return Err(super::FieldProblem::TooLong);
        }
        match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(_) => Ok(Self(raw.to_owned())),
            Err(_) => Err(super::FieldProblem::NotJson),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_fields_are_kept_by_name_nested_ones_with_dots() {
        let parsed = parse_payload(
            "telemetry",
            br#"{"temperature": 21.5, "env": {"humidity": 40, "label": "x"}, "ok": true, "list": [1]}"#,
        );
        let numbers = parsed.numbers.unwrap();
        assert_eq!(
            numbers.into_iter().collect::<Vec<_>>(),
            [
                ("env.humidity".to_owned(), 40.0),
                ("temperature".to_owned(), 21.5)
            ]
        );
    }

    #[test]
    fn a_bare_number_is_named_after_its_topic() {
        let parsed = parse_payload("env/temperature", b"19.25");
        assert_eq!(parsed.numbers.unwrap().get("temperature"), Some(&19.25));
        let parsed = parse_payload("", b"3");
        assert_eq!(parsed.numbers.unwrap().get("value"), Some(&3.0));
    }

    #[test]
    fn a_payload_that_is_not_json_is_kept_raw_and_cut() {
        let parsed = parse_payload("t", b"hello world");
        assert_eq!((parsed.text.as_str(), parsed.numbers), ("hello world", None));
        let long = "é".repeat(MAX_RAW);
        let parsed = parse_payload("t", long.as_bytes());
        assert!(parsed.text.len() <= MAX_RAW && parsed.text.chars().all(|c| c == 'é'));
        let parsed = parse_payload("t", &[0xff, 0xfe]);
        assert_eq!(parsed.text, "\u{fffd}\u{fffd}");
    }

    #[test]
    fn fields_beyond_the_limits_are_not_kept() {
        let many: serde_json::Map<String, serde_json::Value> = (0..40)
            .map(|i| (format!("f{i:02}"), serde_json::json!(i)))
            .collect();
        let parsed = parse_payload("t", serde_json::Value::Object(many).to_string().as_bytes());
        assert_eq!(parsed.numbers.unwrap().len(), MAX_FIELDS);
        let long = format!("{{\"{}\": 1}}", "n".repeat(MAX_FIELD_NAME + 1));
        assert!(parse_payload("t", long.as_bytes()).numbers.unwrap().is_empty());
    }

    #[test]
    fn the_rate_slides_over_two_minutes() {
        assert_eq!(per_minute(60, 0, 0), 60);
        assert_eq!(per_minute(60, 30, 30), 60);
        assert_eq!(per_minute(0, 10, 59), 10);
        assert_eq!(per_minute(120, 0, 60), 0);
    }

    #[test]
    fn a_series_is_drawn_from_its_lowest_to_its_highest_value() {
        let series = Series {
            field: "t".into(),
            points: vec![(0, 10.0), (1800, 20.0), (3600, 15.0)],
            last: 15.0,
        };
        let drawn = series.drawn(3600);
        assert_eq!(drawn.points, "0.0,92.0 300.0,8.0 600.0,50.0");
        assert_eq!(
            (
                drawn.lowest.as_str(),
                drawn.highest.as_str(),
                drawn.latest.as_str()
            ),
            ("10", "20", "15")
        );
        let flat = Series {
            field: "t".into(),
            points: vec![(900, 3.0)],
            last: 3.0,
        };
        assert_eq!(flat.drawn(3600).points, "150.0,50.0");
    }

    #[test]
    fn figures_drop_needless_decimals() {
        assert_eq!(figure(21.5), "21.5");
        assert_eq!(figure(40.0), "40");
        assert_eq!(figure(0.12345), "0.123");
        assert_eq!(figure(-0.0001), "0");
        assert_eq!(figure(-2.5), "-2.5");
    }

    #[test]
    fn a_command_is_json_of_bounded_size() {
        assert!(DeviceCommand::parse(r#"{"led": "on"}"#).is_ok());
        assert_eq!(
            DeviceCommand::parse("  "),
            Err(super::super::FieldProblem::Missing)
        );
        assert_eq!(
            DeviceCommand::parse("{led"),
            Err(super::super::FieldProblem::NotJson)
        );
        let long = format!("\"{}\"", "x".repeat(MAX_COMMAND));
        assert_eq!(
            DeviceCommand::parse(&long),
            Err(super::super::FieldProblem::TooLong)
        );
        assert_eq!(
            CommandResult::parse("no_listener"),
            Some(CommandResult::NoListener)
        );
    }
}
