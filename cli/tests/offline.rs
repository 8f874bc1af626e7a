//! The `bibind` binary without a portal: its help, man pages, completions,
//! and what it says when it lacks a portal or a token, in both languages.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn bibind(config: &std::path::Path, lang: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bibind"))
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .env("LANG", lang)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("BIBIND_PORTAL")
        .env_remove("BIBIND_TOKEN")
        .output()
        .unwrap()
}

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "bibind-offline-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn man_pages_and_completions_are_generated() {
    let dir = scratch();
    let pages = dir.join("man");
    let output = bibind(&dir, "C", &["man", "--dir", pages.to_str().unwrap()]);
    assert!(output.status.success());
    for page in [
        "bibind.1",
        "bibind-login.1",
        "bibind-subscriptions-create.1",
        "bibind-api-clients-revoke.1",
    ] {
        let text = std::fs::read_to_string(pages.join(page)).unwrap();
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}: {text}");
    }
    for shell in ["bash", "zsh", "fish"] {
        let output = bibind(&dir, "C", &["completions", shell]);
        assert!(output.status.success());
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains("subscriptions"), "{shell}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_a_portal_or_a_token_it_says_what_to_run_in_the_persons_language() {
    let dir = scratch();
    let output = bibind(&dir, "fr_FR.UTF-8", &["orgs", "list"]);
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8(output.stderr).unwrap();
    assert!(said.contains("aucun portail connu pour ce profil"), "{said}");
    let output = bibind(
        &dir,
        "en_US.UTF-8",
        &["--portal", "http://127.0.0.1:9", "orgs", "list"],
    );
    assert_eq!(output.status.code(), Some(4));
    let said = String::from_utf8(output.stderr).unwrap();
    assert!(said.contains("not signed in; run bibind login"), "{said}");
    std::fs::remove_dir_all(dir).unwrap();
}
