//! Kratos' mails speak the identity's language: the real Kratos `cargo xtask
//! test` runs, with Bibind's courier templates (deploy/ory/courier-templates),
//! sends the verification and recovery codes in French to someone who chose
//! French and in English to someone who chose English.

use crate::support::{
    browser::{create_identity_speaking, unique_email},
    env, mail,
};
use reqwest::StatusCode;

/// Asks Kratos, as a native app would, to mail a code to `email` in the
/// `kind` flow (`verification` or `recovery`).
async fn ask_for_code(kind: &str, email: &str) {
    let kratos = env("TEST_KRATOS_PUBLIC_URL");
    let client = reqwest::Client::new();
    let flow: serde_json::Value = client
        .get(format!("{kratos}/self-service/{kind}/api"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let flow_id = flow["id"].as_str().expect("a flow id").to_owned();
    let response = client
        .post(format!("{kratos}/self-service/{kind}?flow={flow_id}"))
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&serde_json::json!({ "method": "code", "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{:?}", response.text().await);
}

/// The distinct six-digit words in a mail's text (what `\b(\d{6})\b` finds,
/// as the end-to-end tests read the code): the code, and only the code.
fn six_digit_numbers(text: &str) -> Vec<&str> {
    let mut numbers: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| word.len() == 6 && word.chars().all(|c| c.is_ascii_digit()))
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_identity_gets_its_verification_code_in_french() {
    let email = unique_email("verification-fr");
    create_identity_speaking("fr", &email).await;
    ask_for_code("verification", &email).await;

    let letter = mail::latest_to(&email).await;
    assert!(letter.subject.contains("Vérifiez"), "{}", letter.subject);
    assert!(
        letter.text.contains("Voici votre code de vérification"),
        "{}",
        letter.text
    );
    assert!(!letter.text.contains("verification code"), "{}", letter.text);
    assert_eq!(six_digit_numbers(&letter.text).len(), 1, "{}", letter.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_english_identity_gets_its_verification_code_in_english() {
    let email = unique_email("verification-en");
    create_identity_speaking("en", &email).await;
    ask_for_code("verification", &email).await;

    let letter = mail::latest_to(&email).await;
    assert!(letter.subject.contains("Verify"), "{}", letter.subject);
    assert!(
        letter.text.contains("Here is your Bibind verification code"),
        "{}",
        letter.text
    );
    assert!(!letter.text.contains("vérification"), "{}", letter.text);
    assert_eq!(six_digit_numbers(&letter.text).len(), 1, "{}", letter.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_identity_gets_its_recovery_code_in_french() {
    let email = unique_email("recovery-fr");
    create_identity_speaking("fr", &email).await;
    ask_for_code("recovery", &email).await;

    let letter = mail::latest_to(&email).await;
    assert!(letter.subject.contains("Récupérez"), "{}", letter.subject);
    assert!(
        letter.text.contains("Voici votre code de récupération"),
        "{}",
        letter.text
    );
    assert_eq!(six_digit_numbers(&letter.text).len(), 1, "{}", letter.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_english_identity_gets_its_recovery_code_in_english() {
    let email = unique_email("recovery-en");
    create_identity_speaking("en", &email).await;
    ask_for_code("recovery", &email).await;

    let letter = mail::latest_to(&email).await;
    assert!(letter.subject.contains("Recover access"), "{}", letter.subject);
    assert!(
        letter.text.contains("Here is your Bibind recovery code"),
        "{}",
        letter.text
    );
    assert_eq!(six_digit_numbers(&letter.text).len(), 1, "{}", letter.text);
}
