//! What the portal shows of Kratos' self-service flows: the `ui` container
//! of a flow (a form to post to Kratos), and who is signed in.
//!
//! Shapes follow Kratos v1.3.1's API (`uiContainer`, `uiNode`, `uiText`).

use serde::{Deserialize, Serialize};

/// The self-service flows the portal renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowKind {
    Login,
    Registration,
    Recovery,
    Verification,
    Settings,
}

impl FlowKind {
    pub const ALL: [FlowKind; 5] = [
        FlowKind::Login,
        FlowKind::Registration,
        FlowKind::Recovery,
        FlowKind::Verification,
        FlowKind::Settings,
    ];

    /// The path segment Kratos uses (`/self-service/<slug>/…`), also the portal's.
    pub fn slug(self) -> &'static str {
        match self {
            FlowKind::Login => "login",
            FlowKind::Registration => "registration",
            FlowKind::Recovery => "recovery",
            FlowKind::Verification => "verification",
            FlowKind::Settings => "settings",
        }
    }
}

/// What to do with a flow the browser asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FlowOutcome {
    /// Render it.
    Ready(Flow),
    /// None yet, expired, unknown, or its CSRF cookie is gone: send the
    /// browser here to start a new one.
    Restart(String),
    /// A tenant's application asked to sign in someone who is not a member
    /// of its organization: Hydra's challenge is already refused.
    NotAMember(TenantRefusal),
}

/// Why a tenant's application got no sign-in: the person is not a member
/// of the organization it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantRefusal {
    /// The organization's name, or the application's when it is unknown.
    pub organization: String,
    /// Which of the organization's spaces the application is.
    pub offer: Option<crate::domain::OfferKind>,
    /// Hydra's answer to the refused challenge: it sends the browser back to
    /// the application with `error=access_denied`.
    pub continue_to: String,
}

/// A flow as the portal renders it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub id: String,
    pub ui: UiContainer,
    /// Where Kratos sends the browser once the flow is done (an
    /// application's login challenge, a page of the portal).
    #[serde(default)]
    pub return_to: Option<String>,
    /// The application the sign-in is for, by name, when it is not the
    /// portal itself (filled by the portal, not Kratos).
    #[serde(default)]
    pub asked_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UiContainer {
    pub action: String,
    pub method: String,
    #[serde(default)]
    pub nodes: Vec<UiNode>,
    #[serde(default)]
    pub messages: Vec<UiText>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UiNode {
    /// `default`, `password`, `profile`, `code`, `totp`, `lookup_secret`, `webauthn`, …
    pub group: String,
    pub attributes: UiNodeAttributes,
    #[serde(default)]
    pub messages: Vec<UiText>,
    #[serde(default)]
    pub meta: UiNodeMeta,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UiNodeMeta {
    #[serde(default)]
    pub label: Option<UiText>,
}

/// Kratos tags node attributes with `node_type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "node_type", rename_all = "lowercase")]
pub enum UiNodeAttributes {
    Input {
        name: String,
        #[serde(rename = "type")]
        input_type: String,
        #[serde(default)]
        value: Option<serde_json::Value>,
        #[serde(default)]
        required: bool,
        #[serde(default)]
        disabled: bool,
        #[serde(default)]
        autocomplete: Option<String>,
        #[serde(default)]
        pattern: Option<String>,
        #[serde(default)]
        maxlength: Option<u32>,
        #[serde(default)]
        label: Option<UiText>,
        /// The function of Kratos' `webauthn.js` a button calls (passkeys).
        #[serde(default, rename = "onclickTrigger")]
        onclick_trigger: Option<String>,
    },
    Text {
        id: String,
        text: UiText,
    },
    Img {
        id: String,
        src: String,
        #[serde(default)]
        width: u32,
        #[serde(default)]
        height: u32,
    },
    A {
        id: String,
        href: String,
        title: UiText,
    },
    Script {
        id: String,
        src: String,
        #[serde(default)]
        integrity: Option<String>,
        #[serde(default)]
        crossorigin: Option<String>,
        #[serde(default)]
        referrerpolicy: Option<String>,
    },
}

/// A message of Kratos: its id says what it means, `text` is Kratos' English.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UiText {
    pub id: u64,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub context: Option<serde_json::Value>,
}

impl UiText {
    pub fn is_error(&self) -> bool {
        self.kind == "error"
    }

    /// A value of the message's context, as text (`property`, `min_length`, …).
    pub fn context_value(&self, key: &str) -> Option<String> {
        let value = self.context.as_ref()?.get(key)?;
        Some(match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    }
}

/// What the consent screen shows and posts back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentPrompt {
    pub challenge: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    /// Double-submit token: also set as a cookie scoped to the consent path.
    pub csrf_token: String,
}

/// The consent page's next step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConsentView {
    Ask(ConsentPrompt),
    Redirect(String),
    /// Unknown, expired or already answered.
    Gone,
}

/// One of the signed-in person's sessions (browsers or devices).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveSession {
    pub id: String,
    /// The session of the browser asking.
    pub current: bool,
    /// RFC 3339.
    pub authenticated_at: String,
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
}

/// The signed-in person, as the navigation and the account pages show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub identity_id: String,
    pub email: String,
    /// Whether Kratos holds `email` as a verified address: creating an
    /// organization, subscribing, joining one and administering need it.
    #[serde(default)]
    pub email_verified: bool,
    pub display_name: String,
    /// `aal1` or `aal2`.
    pub assurance_level: String,
}

/// Where a person arrives after signing in, when nothing asked to come back
/// somewhere else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Home {
    /// Their organizations: none yet (to create one) or several to choose from.
    Organizations,
    /// The one organization they belong to (its slug).
    Organization(String),
}

/// What signing in leads to: the page to land on, and whether the header
/// offers the administration area (its pages still check for themselves).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arrival {
    pub home: Home,
    pub platform_admin: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_kratos_login_ui() {
        let ui: UiContainer = serde_json::from_str(
            r#"{"action":"http://127.0.0.1:4433/self-service/login?flow=f1","method":"POST",
               "nodes":[
                 {"type":"input","group":"default","attributes":{"name":"csrf_token","type":"hidden","value":"tok","required":true,"disabled":false,"node_type":"input"},"messages":[],"meta":{}},
                 {"type":"input","group":"default","attributes":{"name":"identifier","type":"text","value":"","required":true,"disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":1070004,"text":"ID","type":"info"}}},
                 {"type":"img","group":"totp","attributes":{"src":"data:image/png;base64,AAA","id":"totp_qr","width":256,"height":256,"node_type":"img"},"messages":[],"meta":{}},
                 {"type":"text","group":"lookup_secret","attributes":{"id":"codes","text":{"id":1050015,"text":"abc","type":"info","context":{"secrets":[]}},"node_type":"text"},"messages":[],"meta":{}}
               ],
               "messages":[{"id":4000006,"text":"The provided credentials are invalid","type":"error","context":{}}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ui.nodes.len(), 4);
        assert!(
            matches!(&ui.nodes[0].attributes, UiNodeAttributes::Input { name, .. } if name == "csrf_token")
        );
        assert!(matches!(
            &ui.nodes[2].attributes,
            UiNodeAttributes::Img { width: 256, .. }
        ));
        assert_eq!(ui.messages[0].id, 4000006);
        assert!(ui.messages[0].is_error());
    }

    #[test]
    fn context_values_read_as_text() {
        let text = UiText {
            id: 4000002,
            text: "Property email is missing.".into(),
            kind: "error".into(),
            context: Some(serde_json::json!({"property": "email", "min_length": 10})),
        };
        assert_eq!(text.context_value("property").as_deref(), Some("email"));
        assert_eq!(text.context_value("min_length").as_deref(), Some("10"));
        assert_eq!(text.context_value("nothing"), None);
    }
}
