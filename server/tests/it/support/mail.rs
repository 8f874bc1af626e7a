//! Reads what the SMTP sink received, as a mailbox would.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::env;

#[derive(serde::Deserialize, Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    #[serde(default)]
    pub reply_to: String,
    pub text: String,
}

/// The newest message to `address` (the sink lists newest first), waiting up to ten seconds for it.
pub async fn latest_to(address: &str) -> Mail {
    let url = format!("{}/messages", env("TEST_SMTP_API_URL"));
    for _ in 0..100 {
        let messages: Vec<Mail> = reqwest::get(&url).await.unwrap().json().await.unwrap();
        if let Some(mail) = messages.into_iter().find(|m| m.to.iter().any(|to| to == address)) {
            return mail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail to {address} arrived");
}

/// The first link to `path_prefix` in a message's text.
pub fn link(mail: &Mail, path_prefix: &str) -> String {
    mail.text
        .split_whitespace()
        .find(|word| word.contains(path_prefix))
        .unwrap_or_else(|| panic!("no {path_prefix} link in {:?}", mail.text))
        .to_owned()
}

/// The subjects of every message to `address` so far, newest first.
pub async fn subjects_to(address: &str) -> Vec<String> {
    let url = format!("{}/messages", env("TEST_SMTP_API_URL"));
    let messages: Vec<Mail> = reqwest::get(&url).await.unwrap().json().await.unwrap();
    messages
        .into_iter()
        .filter(|m| m.to.iter().any(|to| to == address))
        .map(|m| m.subject)
        .collect()
}

/// The newest message to `address` whose subject contains `subject`,
/// waiting up to ten seconds for it.
pub async fn latest_about(address: &str, subject: &str) -> Mail {
    let url = format!("{}/messages", env("TEST_SMTP_API_URL"));
    for _ in 0..100 {
        let messages: Vec<Mail> = reqwest::get(&url).await.unwrap().json().await.unwrap();
        let found = messages
            .into_iter()
            .find(|m| m.to.iter().any(|to| to == address) && m.subject.contains(subject));
        if let Some(mail) = found {
            return mail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail about {subject:?} to {address} arrived");
}
