//! The control crate's folders depend on each other in one direction: a
//! folder of `control/src` (`tenancy/`, `identity/`, …) may use another only
//! if that one does not, through any chain of folders, use it back. Checked
//! by `cargo test` (so by `cargo xtask test`).
//!
//! What counts as a use is every `crate::<folder>` path in a file, in `use`
//! declarations (brace groups included) and inline, outside comments and
//! string literals. The files beside `lib.rs` (`Control`, `Caller`, `Error`)
//! are the crate's root, which every folder uses and which names the parts
//! of `Control`; they are left out of the graph.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

/// Folder → the folders its files use.
pub type FolderGraph = BTreeMap<String, BTreeSet<String>>;

/// The graph of `src`'s folders (files directly in `src` left out).
pub fn folder_graph(src: &Path) -> std::io::Result<FolderGraph> {
    let folders: BTreeSet<String> = std::fs::read_dir(src)?
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let mut graph = FolderGraph::new();
    for folder in &folders {
        let mut used = BTreeSet::new();
        for file in rust_files(&src.join(folder))? {
            let text = std::fs::read_to_string(&file)?;
            used.extend(
                crate_modules(&code_only(&text))
                    .into_iter()
                    .filter(|module| module != folder && folders.contains(module)),
            );
        }
        graph.insert(folder.clone(), used);
    }
    Ok(graph)
}

fn rust_files(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    Ok(files)
}

/// `text` with comments and string literals blanked out.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut code = String::with_capacity(text.len());
    let mut index = 0;
    while index < bytes.len() {
        let rest = &text[index..];
        if rest.starts_with("//") {
            index += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            index += rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if let Some(raw) = rest.strip_prefix("r#\"") {
            index += raw.find("\"#").map_or(rest.len(), |end| end + 5);
        } else if rest.starts_with('"') {
            let mut end = 1;
            while end < rest.len() && rest.as_bytes()[end] != b'"' {
                end += if rest.as_bytes()[end] == b'\\' { 2 } else { 1 };
            }
            index += (end + 1).min(rest.len());
            code.push_str("\"\"");
        } else {
            let Some(character) = rest.chars().next() else {
                break;
            };
            code.push(character);
            index += character.len_utf8();
        }
    }
    code
}

/// The first segment of every `crate::…` path in `code`; for a brace group
/// (`crate::{a::x, b}`), the first segment of each of its items.
fn crate_modules(code: &str) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    for (start, _) in code.match_indices("crate::") {
        let preceded_by_word = code[..start]
            .chars()
            .next_back()
            .is_some_and(|character| character.is_alphanumeric() || character == '_');
        if preceded_by_word {
            continue;
        }
        let rest = code[start + "crate::".len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item_start = true;
            for (offset, character) in group.char_indices() {
                match character {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    character if item_start && !character.is_whitespace() => {
                        item_start = false;
                        modules.insert(identifier(&group[offset..]));
                    }
                    _ => {}
                }
            }
        } else {
            modules.insert(identifier(rest));
        }
    }
    modules
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|character| character.is_alphanumeric() || *character == '_')
        .collect()
}

/// A chain of folders that leads back to its first one, if there is one.
pub fn circle(graph: &FolderGraph) -> Option<Vec<String>> {
    fn visit(
        graph: &FolderGraph,
        folder: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(position) = path.iter().position(|seen| seen == folder) {
            let mut circle = path[position..].to_vec();
            circle.push(folder.to_owned());
            return Some(circle);
        }
        if done.contains(folder) {
            return None;
        }
        path.push(folder.to_owned());
        for next in graph.get(folder).into_iter().flatten() {
            if let Some(circle) = visit(graph, next, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(folder.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|folder| visit(graph, folder, &mut Vec::new(), &mut done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_groups_inline_paths_comments_and_strings_are_read_as_they_should() {
        let code = code_only(
            "use crate::{\n    tenancy::{access, quotas::x},\n    audit::Caller, Control,\n};\n\
             // crate::admin is only a comment\nlet s = \"crate::jobs\"; crate::infra::store::Db::new();\n\
             my_crate::backends::x();",
        );
        let modules: Vec<String> = crate_modules(&code).into_iter().collect();
        assert_eq!(modules, ["Control", "audit", "infra", "tenancy"]);
    }

    #[test]
    fn a_circle_is_found_and_a_one_way_graph_has_none() {
        let mut graph = FolderGraph::new();
        graph.insert("a".into(), ["b".to_owned()].into());
        graph.insert("b".into(), ["c".to_owned()].into());
        graph.insert("c".into(), BTreeSet::new());
        assert_eq!(circle(&graph), None);
        graph.insert("c".into(), ["a".to_owned()].into());
        assert_eq!(
            circle(&graph),
            Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
    }

    #[test]
    fn no_import_circle_between_the_folders_of_control() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../control/src");
        let graph = folder_graph(&src).unwrap();
        assert!(
            graph.contains_key("tenancy"),
            "control/src was not read: {graph:?}"
        );
        if let Some(circle) = circle(&graph) {
            panic!(
                "control/src's folders use each other in a circle: {}\nthe whole graph: {graph:#?}",
                circle.join(" → ")
            );
        }
    }
}
