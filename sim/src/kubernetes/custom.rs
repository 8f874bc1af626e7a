//! What apiextensions-apiserver does differently for the objects of a
//! CustomResourceDefinition (cert-manager's `Certificate`): the body is
//! decoded as unstructured JSON, so it must say its kind, and the CRD's
//! OpenAPI schema is checked. Only the schema's `required` fields are
//! simulated; pruning of unknown fields and type checks are not.

use serde_json::Value;

use super::{kinds::Kind, status::ApiError};

/// An object path of a CRD's schema and the fields it requires when present.
type Required = (&'static str, &'static [&'static str]);

/// Per custom kind (by plural), its schema's `required` lists (cert-manager v1's CRD).
const REQUIRED: [(&str, &[Required]); 1] = [(
    "certificates",
    &[
        ("spec", &["issuerRef", "secretName"]),
        ("spec.issuerRef", &["name"]),
    ],
)];

/// 400 for a body without `kind`: the unstructured decoder cannot tell what
/// it is (apimachinery's missing-kind error, as the create handler wraps it).
pub fn check_kind_named(kind: &Kind, body: &Value) -> Result<(), ApiError> {
    if !kind.custom
        || body
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|found| !found.is_empty())
    {
        return Ok(());
    }
    let data = body.to_string();
    Err(ApiError::bad_request(format!(
        "the object provided is unrecognized (must be of type {}): Object 'Kind' is missing in '{data}' ({})",
        kind.kind,
        summary(&data)
    )))
}

/// The first 30 bytes of the body, as the API server quotes it.
fn summary(data: &str) -> String {
    match data.char_indices().nth(30) {
        Some((cut, _)) => format!("{} ...", &data[..cut]),
        None => data.to_owned(),
    }
}

/// `(field, "Required value")` for each field the schema requires and the object lacks.
pub fn missing_required(kind: &Kind, object: &Value) -> Vec<(String, String)> {
    let Some((_, paths)) = REQUIRED.iter().find(|(plural, _)| *plural == kind.plural) else {
        return Vec::new();
    };
    let mut causes = Vec::new();
    for (path, fields) in paths.iter() {
        // A schema's `required` applies only where its object is present.
        let Some(present) = path
            .split('.')
            .try_fold(object, |value, key| value.get(key))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for field in fields.iter().filter(|field| !present.contains_key(**field)) {
            causes.push((format!("{path}.{field}"), "Required value".to_owned()));
        }
    }
    // kube-apiserver reports them in the order of their paths.
    causes.sort();
    causes
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kubernetes::kinds;

    fn certificates() -> &'static Kind {
        kinds::by_plural("certificates").unwrap_or(&kinds::KINDS[0])
    }

    #[test]
    fn required_fields_are_checked_only_under_present_objects() {
        let kind = certificates();
        assert!(missing_required(kind, &json!({ "metadata": {} })).is_empty());
        assert_eq!(
            missing_required(kind, &json!({ "spec": { "issuerRef": {} } })),
            vec![
                ("spec.issuerRef.name".to_owned(), "Required value".to_owned()),
                ("spec.secretName".to_owned(), "Required value".to_owned()),
            ]
        );
        let complete = json!({ "spec": { "secretName": "tls", "issuerRef": { "name": "letsencrypt" } } });
        assert!(missing_required(kind, &complete).is_empty());
    }

    #[test]
    fn a_custom_object_must_say_its_kind() {
        let kind = certificates();
        assert!(check_kind_named(kind, &json!({ "kind": "Certificate" })).is_ok());
        let error = check_kind_named(kind, &json!({ "metadata": { "name": "shop-example-fr" } }));
        let message = error.map_err(|error| (error.code, error.message));
        assert_eq!(
            message,
            Err((
                400,
                "the object provided is unrecognized (must be of type Certificate): Object 'Kind' is missing in '{\"metadata\":{\"name\":\"shop-example-fr\"}}' ({\"metadata\":{\"name\":\"shop-exam ...)".to_owned()
            ))
        );
        assert!(check_kind_named(&kinds::KINDS[0], &json!({})).is_ok());
    }
}
