//! Docs that cannot drift: every file or folder that ARCHITECTURE.md and the
//! READMEs name in backticks exists. Checked by `cargo test` (so by
//! `cargo xtask test`): a rename that forgets the docs fails the build.
//!
//! A name is taken as a path when it has a `/` or a file extension and no
//! characters paths of ours never hold (URLs such as `/auth/login`, globs,
//! placeholders and code are left alone). It exists when it is a path from
//! the repository's root or the document's folder, or, for the short names
//! the docs use inside a section (`http/session.rs`), the end of a path in
//! the repository.

use std::path::{Path, PathBuf};

/// The documents checked, from the repository's root.
pub fn documents(root: &Path) -> Vec<PathBuf> {
    let mut documents = vec![root.join("ARCHITECTURE.md"), root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let readme = entry.path().join("README.md");
            if readme.is_file() {
                documents.push(readme);
            }
        }
    }
    documents.sort();
    documents
}

const EXTENSIONS: [&str; 16] = [
    "rs", "toml", "md", "sql", "mjs", "js", "json", "yml", "yaml", "css", "py", "sh", "conf", "svg", "txt",
    "env",
];

/// The backticked names of `text` that look like paths of the repository.
pub fn named_paths(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| looks_like_a_path(name))
        .map(|name| name.trim_end_matches('/').to_owned())
        .collect()
}

fn looks_like_a_path(name: &str) -> bool {
    let forbidden = |c: char| c.is_whitespace() || "{}<>*?=:;,()[]$@#&|\"'!%+\\~…".contains(c);
    if name.is_empty() || name.starts_with('/') || name.starts_with('.') || name.chars().any(forbidden) {
        return false;
    }
    // Rust paths (`control::Control`) and URLs are not files.
    if name.contains("::") || name.contains("//") {
        return false;
    }
    let file_name = name.trim_end_matches('/').rsplit('/').next().unwrap_or(name);
    let has_extension = file_name
        .rsplit_once('.')
        .is_some_and(|(stem, extension)| !stem.is_empty() && EXTENSIONS.contains(&extension));
    has_extension || name.ends_with('/')
}

/// Every file and folder of the repository, relative to `root`, skipping
/// build output and dependencies.
pub fn repository_paths(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if matches!(name.as_ref(), "target" | "node_modules" | ".git" | ".data") {
                continue;
            }
            if let Ok(relative) = path.strip_prefix(root) {
                found.push(relative.to_string_lossy().into_owned());
            }
            if path.is_dir() {
                pending.push(path);
            }
        }
    }
    found
}

/// The names `document` gives that exist nowhere.
pub fn missing_in(root: &Path, document: &Path, everything: &[String]) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(document) else {
        return vec![format!("{} cannot be read", document.display())];
    };
    let folder = document.parent().unwrap_or(root);
    named_paths(&text)
        .into_iter()
        .filter(|name| {
            let exists = root.join(name).exists() || folder.join(name).exists();
            let ends_a_path = everything
                .iter()
                .any(|path| path == name || path.ends_with(&format!("/{name}")));
            !(exists || ends_a_path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_paths_are_told_from_urls_and_code() {
        assert_eq!(
            named_paths("see `server/src/http/session.rs`, `/auth/login`, `control::Control`, `deploy/`, `x = 1`, `Cargo.lock.x`, `i18n.rs`"),
            vec!["server/src/http/session.rs", "deploy", "i18n.rs"]
        );
    }

    #[test]
    fn every_path_the_docs_name_exists() {
        let root = crate::paths::workspace_root();
        let everything = repository_paths(&root);
        let mut missing = Vec::new();
        for document in documents(&root) {
            for name in missing_in(&root, &document, &everything) {
                missing.push(format!("{}: `{name}`", document.display()));
            }
        }
        assert!(
            missing.is_empty(),
            "the docs name paths that do not exist:\n{}",
            missing.join("\n")
        );
    }
}
