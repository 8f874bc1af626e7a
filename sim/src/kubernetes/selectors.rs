//! `labelSelector` and `fieldSelector` as the API server reads them: commas
//! mean AND; labels take `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
//! `k` and `!k` (`!=` and `notin` also match objects without the key).

use std::collections::BTreeSet;

use serde_json::Value;

use super::status::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed label selector; empty selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut requirements = Vec::new();
        for term in split_terms(text) {
            let term = term.trim();
            if term.is_empty() {
                continue;
            }
            requirements.push(parse_term(term).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unable to parse requirement: invalid label selector term {term:?}"
                ))
            })?);
        }
        Ok(Self(requirements))
    }

    pub fn matches(&self, object: &Value) -> bool {
        let labels = &object["metadata"]["labels"];
        let label = |key: &str| labels.get(key).and_then(Value::as_str);
        self.0.iter().all(|requirement| match requirement {
            Requirement::Equals(key, value) => label(key) == Some(value.as_str()),
            Requirement::NotEquals(key, value) => label(key) != Some(value.as_str()),
            Requirement::In(key, values) => label(key).is_some_and(|found| values.contains(found)),
            Requirement::NotIn(key, values) => !label(key).is_some_and(|found| values.contains(found)),
            Requirement::Exists(key) => label(key).is_some(),
            Requirement::DoesNotExist(key) => label(key).is_none(),
        })
    }
}

/// Commas separate terms, except inside `( … )`.
fn split_terms(text: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                terms.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    terms
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_./".contains(character))
}

fn valid_value(value: &str) -> bool {
    value
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || "-_.".contains(character))
}

fn parse_term(term: &str) -> Option<Requirement> {
    if let Some(key) = term.strip_prefix('!') {
        let key = key.trim();
        return valid_key(key).then(|| Requirement::DoesNotExist(key.to_owned()));
    }
    for (operator, build) in [
        ("!=", Requirement::NotEquals as fn(String, String) -> Requirement),
        ("==", Requirement::Equals),
        ("=", Requirement::Equals),
    ] {
        if let Some((key, value)) = term.split_once(operator) {
            let (key, value) = (key.trim(), value.trim());
            return (valid_key(key) && valid_value(value)).then(|| build(key.to_owned(), value.to_owned()));
        }
    }
    for (operator, negated) in [(" notin ", true), (" in ", false)] {
        if let Some((key, set)) = term.split_once(operator) {
            let key = key.trim();
            let set = set.trim().strip_prefix('(')?.strip_suffix(')')?;
            let values: BTreeSet<String> = set.split(',').map(|value| value.trim().to_owned()).collect();
            if !valid_key(key) || !values.iter().all(|value| valid_value(value)) {
                return None;
            }
            return Some(if negated {
                Requirement::NotIn(key.to_owned(), values)
            } else {
                Requirement::In(key.to_owned(), values)
            });
        }
    }
    valid_key(term).then(|| Requirement::Exists(term.to_owned()))
}

/// A parsed field selector: `metadata.name` and `metadata.namespace`, with
/// `=`, `==` or `!=`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|term| !term.is_empty()) {
            let (field, equal, value) = if let Some((field, value)) = term.split_once("!=") {
                (field, false, value)
            } else if let Some((field, value)) = term.split_once("==") {
                (field, true, value)
            } else if let Some((field, value)) = term.split_once('=') {
                (field, true, value)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{text}'; can't understand '{term}'"
                )));
            };
            let field = field.trim();
            if field != "metadata.name" && field != "metadata.namespace" {
                return Err(ApiError::bad_request(format!("\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")));
            }
            terms.push((field.to_owned(), equal, value.trim().to_owned()));
        }
        Ok(Self(terms))
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(field, equal, value)| {
            let key = field.trim_start_matches("metadata.");
            let found = object["metadata"].get(key).and_then(Value::as_str).unwrap_or("");
            (found == value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn labelled(labels: Value) -> Value {
        json!({ "metadata": { "name": "x", "namespace": "ns", "labels": labels } })
    }

    #[test]
    fn label_selectors_follow_the_api_grammar() {
        let object = labelled(json!({ "app": "web", "tier": "front" }));
        let matches = |text: &str| LabelSelector::parse(text).map(|selector| selector.matches(&object));
        assert_eq!(matches("app=web,tier==front"), Ok(true));
        assert_eq!(matches("app!=db"), Ok(true));
        assert_eq!(matches("missing!=x"), Ok(true));
        assert_eq!(matches("app in (web, api),tier notin (back)"), Ok(true));
        assert_eq!(matches("missing notin (a)"), Ok(true));
        assert_eq!(matches("app,!missing"), Ok(true));
        assert_eq!(matches("app in (api)"), Ok(false));
        assert_eq!(matches("!app"), Ok(false));
        assert!(matches("app in api").is_err());
    }

    #[test]
    fn field_selectors_know_name_and_namespace_only() {
        let object = labelled(json!({}));
        let selector = FieldSelector::parse("metadata.name=x,metadata.namespace!=other");
        assert_eq!(selector.map(|selector| selector.matches(&object)), Ok(true));
        let unknown = FieldSelector::parse("spec.x=1").err().map(|error| error.message);
        assert_eq!(
            unknown.as_deref(),
            Some("\"spec.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
        );
    }
}
