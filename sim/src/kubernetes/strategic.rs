//! Strategic merge patch (`application/strategic-merge-patch+json`) as the
//! API server applies it: apimachinery `pkg/util/strategicpatch`,
//! `StrategicMergeMapPatch` with its server-side options. Maps merge
//! recursively and `null` deletes a key; a list tagged
//! `patchStrategy:"merge"` merges element-wise by its `patchMergeKey` (a set
//! union for scalars), any other list is replaced. Directives: `$patch`
//! (`replace` or `delete` a map; in a merging list `delete` one element or
//! `replace` the list), `$retainKeys`, `$deleteFromPrimitiveList/<field>`,
//! `$setElementOrder/<field>`. Errors carry the server's codes: 400 for a
//! malformed directive, 422 for lists of lists, 500 without a reason for
//! what the library returns as a plain error (a missing merge key).

use serde_json::{Map, Value};

use super::status::ApiError;

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";

/// Where a value sits in k8s.io/api's types, as far as patches care: the
/// types on the way to a list tagged `patchStrategy:"merge"` (Kubernetes
/// 1.33's struct tags for the kinds the simulator serves).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// Nothing below merges lists: maps merge, lists are replaced.
    Plain,
    /// A kind whose only merging lists are in `metadata` (ConfigMap, Secret, Scale, …).
    Object,
    /// A kind whose `status.conditions` also merge, by `type` (Namespace, PersistentVolumeClaim).
    ObjectWithConditions,
    /// `secrets` merge by `name`.
    ServiceAccount,
    Service,
    ServiceSpec,
    /// Deployment, StatefulSet, Job: a pod template, conditions by `type`.
    Workload,
    WorkloadSpec,
    /// A status whose `conditions` merge by `type`.
    Status,
    ObjectMeta,
    PodTemplate,
    PodSpec,
    /// A container, init container or ephemeral container.
    Container,
}

/// How a list field merges: its `patchStrategy` and `patchMergeKey` tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ListStrategy {
    /// No strategy: the patch's list replaces the stored one.
    Replace,
    /// `patchStrategy:"merge"` without a key: a list of scalars merged as a set (`finalizers`).
    Merge,
    /// `patchStrategy:"merge" patchMergeKey:"…"`: elements merged by that field.
    MergeByKey(&'static str),
}

impl ListStrategy {
    fn merge_key(self) -> Option<&'static str> {
        match self {
            Self::MergeByKey(key) => Some(key),
            Self::Replace | Self::Merge => None,
        }
    }
}

/// One field's type and, for a list, how it merges.
#[derive(Clone, Copy, Debug)]
struct Field {
    schema: Schema,
    list: ListStrategy,
}

impl Schema {
    fn is_object(self) -> bool {
        matches!(
            self,
            Self::Object | Self::ObjectWithConditions | Self::ServiceAccount | Self::Service | Self::Workload
        )
    }

    fn field(self, name: &str) -> Field {
        use ListStrategy::{Merge, MergeByKey, Replace};
        let (schema, list) = match (self, name) {
            (_, "metadata") if self.is_object() => (Self::ObjectMeta, Replace),
            (Self::ObjectWithConditions | Self::Service | Self::Workload, "status") => {
                (Self::Status, Replace)
            }
            (Self::Status, "conditions") => (Self::Plain, MergeByKey("type")),
            (Self::ServiceAccount, "secrets") => (Self::Plain, MergeByKey("name")),
            (Self::Service, "spec") => (Self::ServiceSpec, Replace),
            (Self::ServiceSpec, "ports") => (Self::Plain, MergeByKey("port")),
            (Self::Workload, "spec") => (Self::WorkloadSpec, Replace),
            (Self::WorkloadSpec, "template") => (Self::PodTemplate, Replace),
            (Self::ObjectMeta, "ownerReferences") => (Self::Plain, MergeByKey("uid")),
            (Self::ObjectMeta, "finalizers") => (Self::Plain, Merge),
            (Self::PodTemplate, "metadata") => (Self::ObjectMeta, Replace),
            (Self::PodTemplate, "spec") => (Self::PodSpec, Replace),
            (Self::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => {
                (Self::Container, MergeByKey("name"))
            }
            (Self::PodSpec, "volumes" | "imagePullSecrets" | "schedulingGates" | "resourceClaims") => {
                (Self::Plain, MergeByKey("name"))
            }
            (Self::PodSpec, "hostAliases") => (Self::Plain, MergeByKey("ip")),
            (Self::PodSpec, "topologySpreadConstraints") => (Self::Plain, MergeByKey("topologyKey")),
            (Self::Container, "ports") => (Self::Plain, MergeByKey("containerPort")),
            (Self::Container, "env") => (Self::Plain, MergeByKey("name")),
            (Self::Container, "volumeMounts") => (Self::Plain, MergeByKey("mountPath")),
            (Self::Container, "volumeDevices") => (Self::Plain, MergeByKey("devicePath")),
            _ => (Self::Plain, Replace),
        };
        Field { schema, list }
    }
}

/// Go's types for decoded JSON, which the library compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GoType {
    Nil,
    Bool,
    Integer,
    Float,
    String,
    Slice,
    Map,
}

fn go_type(value: &Value) -> GoType {
    match value {
        Value::Null => GoType::Nil,
        Value::Bool(_) => GoType::Bool,
        Value::Number(number) if number.is_f64() => GoType::Float,
        Value::Number(_) => GoType::Integer,
        Value::String(_) => GoType::String,
        Value::Array(_) => GoType::Slice,
        Value::Object(_) => GoType::Map,
    }
}

/// A value as Go's `%v` prints it, for the library's error messages.
fn go_format(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_owned(),
        Value::String(text) => text.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(go_format).collect::<Vec<_>>().join(" ")),
        Value::Object(fields) => format!(
            "map[{}]",
            fields
                .iter()
                .map(|(key, value)| format!("{key}:{}", go_format(value)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.to_string(),
    }
}

fn no_merge_key(item: &Value, key: &str) -> ApiError {
    ApiError::unknown(format!(
        "map: {} does not contain declared merge key: {key}",
        go_format(item)
    ))
}

fn unknown_patch_type(directive: &Value, map: &Value) -> ApiError {
    ApiError::unknown(format!(
        "unknown patch type: {} in map: {}",
        go_format(directive),
        go_format(map)
    ))
}

/// Applies `patch` to `original`, an object of the kind `schema` describes.
pub fn apply(original: Value, patch: Value, schema: Schema) -> Result<Value, ApiError> {
    let Value::Object(patch) = patch else {
        return Err(ApiError::bad_request(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_type_name(&patch)
        )));
    };
    let original = match original {
        Value::Object(fields) => fields,
        _ => Map::new(),
    };
    merge_map(original, patch, schema).map(Value::Object)
}

/// What Go's JSON decoder calls a value it cannot put in a map.
fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null | Value::Object(_) => "object",
    }
}

/// A patch value as it ends up stored: without the maps that are
/// directives (`removeDirectives`), the nulls (`discardNullValuesFromPatch`)
/// and the other directives' keys (dropped as unknown fields when the
/// server decodes the result into its types).
fn without_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(fields) => {
            if fields.contains_key(DIRECTIVE) {
                return None;
            }
            Some(Value::Object(without_directives_in(fields)))
        }
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(without_directives).collect(),
        )),
        other => Some(other),
    }
}

fn without_directives_in(fields: Map<String, Value>) -> Map<String, Value> {
    fields
        .into_iter()
        .filter(|(key, value)| !key.starts_with('$') && !value.is_null())
        .filter_map(|(key, value)| without_directives(value).map(|value| (key, value)))
        .collect()
}

fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: Schema,
) -> Result<Map<String, Value>, ApiError> {
    if let Some(directive) = patch.remove(DIRECTIVE) {
        return match directive.as_str() {
            Some("replace") => Ok(without_directives_in(patch)),
            Some("delete") => Ok(Map::new()),
            _ => {
                patch.insert(DIRECTIVE.to_owned(), directive.clone());
                Err(unknown_patch_type(&directive, &Value::Object(patch)))
            }
        };
    }
    retain_keys(&mut original, &mut patch)?;
    set_element_orders(&mut original, &mut patch, schema)?;
    // Deletion lists first: Go visits the keys in random order, and
    // kubectl never sends one that overlaps the list it patches.
    let (deletions, changes): (Map<String, Value>, Map<String, Value>) = patch
        .into_iter()
        .partition(|(key, _)| key.starts_with(DELETE_FROM_PRIMITIVE_LIST));
    for (key, value) in deletions {
        let field = directive_field(
            &key,
            DELETE_FROM_PRIMITIVE_LIST,
            "invalid patch format of primitive list",
        )?;
        merge_field(&mut original, field.to_owned(), value, schema, true)?;
    }
    for (key, value) in changes {
        merge_field(&mut original, key, value, schema, false)?;
    }
    Ok(original)
}

/// `$deleteFromPrimitiveList/finalizers` → `finalizers`.
fn directive_field<'k>(key: &'k str, prefix: &str, malformed: &str) -> Result<&'k str, ApiError> {
    match key.split_once('/') {
        Some((head, field)) if head == prefix => Ok(field),
        _ => Err(ApiError::bad_request(malformed)),
    }
}

/// One key of a patch map; `deleting` for a `$deleteFromPrimitiveList` list.
fn merge_field(
    original: &mut Map<String, Value>,
    key: String,
    value: Value,
    schema: Schema,
    deleting: bool,
) -> Result<(), ApiError> {
    if value.is_null() {
        original.remove(&key);
        return Ok(());
    }
    let field = schema.field(&key);
    let Some(current) = original.remove(&key) else {
        if !deleting {
            if let Some(value) = without_directives(value) {
                original.insert(key, value);
            }
        }
        return Ok(());
    };
    let merged = match (current, value) {
        (Value::Object(current), Value::Object(value)) => {
            Some(Value::Object(merge_map(current, value, field.schema)?))
        }
        (Value::Array(current), Value::Array(value)) if deleting || field.list != ListStrategy::Replace => {
            Some(Value::Array(merge_list(current, value, field, deleting, &key)?))
        }
        (current, value) if deleting && go_type(&current) != go_type(&value) => Some(current),
        (_, value) => without_directives(value),
    };
    if let Some(merged) = merged {
        original.insert(key, merged);
    }
    Ok(())
}

/// The one type of every element of both lists (`sliceElementType`).
fn element_type(original: &[Value], patch: &[Value]) -> Result<GoType, ApiError> {
    let mut types = original.iter().chain(patch).map(go_type);
    let Some(first) = types.next() else {
        return Err(ApiError::unknown("no elements in any of the given slices"));
    };
    if first == GoType::Slice {
        return Err(ApiError::unprocessable("lists of lists are not supported"));
    }
    if types.any(|other| other != first) {
        return Err(ApiError::unknown(format!(
            "list element types are not identical: [{} {}]",
            go_format(&Value::Array(original.to_vec())),
            go_format(&Value::Array(patch.to_vec()))
        )));
    }
    Ok(first)
}

/// A list tagged `patchStrategy:"merge"` (or a deletion list) merged with the patch's.
fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    field: Field,
    deleting: bool,
    name: &str,
) -> Result<Vec<Value>, ApiError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    if element_type(&original, &patch)? != GoType::Map {
        if deleting {
            return Ok(original
                .into_iter()
                .filter(|item| !patch.contains(item))
                .collect());
        }
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for item in original.iter().chain(&patch) {
            if !merged.contains(item) {
                merged.push(item.clone());
            }
        }
        return Ok(in_order(merged, &patch, &original, None));
    }
    let Some(key) = field.list.merge_key() else {
        return Err(ApiError::unknown(format!(
            "cannot merge lists without merge key for {name}"
        )));
    };
    let (original, patch) = without_special_elements(original, patch, key)?;
    if let Some(unkeyed) = original.iter().find(|item| item.get(key).is_none()) {
        return Err(no_merge_key(unkeyed, key));
    }
    let patch_order = patch.clone();
    let server_order = original.clone();
    let merged = merge_by_key(original, patch, key, field.schema)?;
    Ok(in_order(merged, &patch_order, &server_order, Some(key)))
}

/// The elements that are directives applied (`mergeSliceWithSpecialElements`):
/// `{"$patch": "delete", key: …}` removes that element, `{"$patch":
/// "replace"}` makes the patch's other elements the whole list.
fn without_special_elements(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), ApiError> {
    let mut kept = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        let Some(directive) = item.get(DIRECTIVE).cloned() else {
            kept.push(item);
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let Some(value) = item.get(key) else {
                    return Err(no_merge_key(&item, key));
                };
                original.retain(|stored| stored.get(key) != Some(value));
            }
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(ApiError::unknown(
                    "merging lists cannot yet be specified in the patch",
                ))
            }
            _ => return Err(unknown_patch_type(&directive, &item)),
        }
    }
    Ok(if replace {
        (kept, Vec::new())
    } else {
        (original, kept)
    })
}

/// Each patch element merged into the stored one with the same key, or appended.
fn merge_by_key(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
    schema: Schema,
) -> Result<Vec<Value>, ApiError> {
    for item in patch {
        let Some(wanted) = item.get(key).cloned() else {
            return Err(no_merge_key(&item, key));
        };
        let Value::Object(fields) = item else {
            return Err(no_merge_key(&item, key));
        };
        match original
            .iter_mut()
            .find(|stored| stored.get(key) == Some(&wanted))
        {
            Some(stored) => {
                let current = match std::mem::take(stored) {
                    Value::Object(current) => current,
                    _ => Map::new(),
                };
                *stored = Value::Object(merge_map(current, fields, schema)?);
            }
            None => original.extend(without_directives(Value::Object(fields))),
        }
    }
    Ok(original)
}

/// What identifies an element: its merge key's value, or itself for scalars.
fn identity<'v>(item: &'v Value, key: Option<&str>) -> &'v Value {
    match key {
        Some(key) => item.get(key).unwrap_or(&Value::Null),
        None => item,
    }
}

fn position(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    list.iter()
        .position(|candidate| identity(candidate, key) == identity(item, key))
}

/// The merged list in the library's order (`normalizeElementOrder`): the
/// elements the patch names in the patch's order, the others in the stored
/// order, interleaved where the stored list had them.
fn in_order(
    merged: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let (mut named, mut others): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|item| position(patch_order, item, key).is_some());
    named.sort_by_key(|item| position(patch_order, item, key));
    others.sort_by_key(|item| position(server_order, item, key));
    let mut ordered = Vec::with_capacity(named.len() + others.len());
    let mut named = named.into_iter().peekable();
    let mut others = others.into_iter().peekable();
    loop {
        let other_first = match (others.peek(), named.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(other), Some(item)) => matches!(
                (position(server_order, other, key), position(server_order, item, key)),
                (Some(left), Some(right)) if left < right
            ),
        };
        ordered.extend(if other_first { others.next() } else { named.next() });
    }
    ordered
}

/// `$retainKeys`: the keys of the stored map not listed are cleared.
fn retain_keys(original: &mut Map<String, Value>, patch: &mut Map<String, Value>) -> Result<(), ApiError> {
    let Some(retained) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let malformed = || ApiError::bad_request("invalid patch format of retainKeys");
    let Value::Array(retained) = retained else {
        return Err(malformed());
    };
    let listed = |key: &str| retained.iter().any(|name| name.as_str() == Some(key));
    let unlisted = patch.iter().any(|(key, value)| {
        !value.is_null()
            && !key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !key.starts_with(SET_ELEMENT_ORDER)
            && !listed(key)
    });
    if unlisted {
        return Err(malformed());
    }
    original.retain(|key, _| listed(key));
    Ok(())
}

/// The list at `key` of a map, if there is one; another value there is an error.
fn list_at(map: &Map<String, Value>, key: &str) -> Result<Option<Vec<Value>>, ApiError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.clone())),
        Some(other) => Err(ApiError::unknown(format!(
            "expected a []interface {{}}, but received a {}",
            go_type_name(other)
        ))),
    }
}

fn go_type_name(value: &Value) -> &'static str {
    match go_type(value) {
        GoType::Nil => "<nil>",
        GoType::Bool => "bool",
        GoType::Integer => "int64",
        GoType::Float => "float64",
        GoType::String => "string",
        GoType::Slice => "[]interface {}",
        GoType::Map => "map[string]interface {}",
    }
}

/// `$setElementOrder/<field>`: the list merged with the patch's, in the
/// order the directive gives (`mergePatchIntoOriginal`).
fn set_element_orders(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Schema,
) -> Result<(), ApiError> {
    let directives: Vec<String> = patch
        .keys()
        .filter(|key| key.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive in directives {
        let Some(order) = patch.remove(&directive) else {
            continue;
        };
        let Value::Array(order) = order else {
            return Err(ApiError::unknown(format!(
                "expected a []interface {{}}, but received a {}",
                go_type_name(&order)
            )));
        };
        let name = directive_field(
            &directive,
            SET_ELEMENT_ORDER,
            "invalid patch format of setElementOrder list",
        )?
        .to_owned();
        let stored = list_at(original, &name)?;
        let patched = list_at(patch, &name)?;
        let field = schema.field(&name);
        let key = field.list.merge_key();
        validate_order(patched.as_deref().unwrap_or_default(), &order, key)?;
        let element = element_type(
            stored.as_deref().unwrap_or_default(),
            patched.as_deref().unwrap_or_default(),
        );
        let merged = match (stored.clone(), patched) {
            (Some(stored), None) => stored,
            (None, Some(patched)) => patched.into_iter().filter_map(without_directives).collect(),
            (Some(_), Some(patched)) if field.list == ListStrategy::Replace => patched,
            (Some(stored), Some(patched)) => merge_list(stored, patched, field, false, &name)?,
            (None, None) => continue,
        };
        let key = if element? == GoType::Map { key } else { None };
        if let Some(key) = key {
            if let Some(unkeyed) = order.iter().find(|item| item.get(key).is_none()) {
                return Err(no_merge_key(unkeyed, key));
            }
        }
        let ordered = in_order(merged, &order, stored.as_deref().unwrap_or_default(), key);
        original.insert(name.clone(), Value::Array(ordered));
        patch.remove(&name);
    }
    Ok(())
}

/// The patch's elements appear in the `$setElementOrder` list, in its order
/// (`validatePatchWithSetOrderList`).
fn validate_order(patch: &[Value], order: &[Value], key: Option<&str>) -> Result<(), ApiError> {
    if patch.is_empty() || order.is_empty() {
        return Ok(());
    }
    let listed: Vec<&Value> = patch
        .iter()
        .filter(|item| key.is_none() || item.get(DIRECTIVE).and_then(Value::as_str) != Some("delete"))
        .collect();
    let same = |item: &Value, expected: &Value| -> Result<bool, ApiError> {
        let Some(key) = key else {
            return Ok(item == expected);
        };
        match (item.get(key), expected.get(key)) {
            (Some(left), Some(right)) => Ok(left == right),
            (None, _) => Err(no_merge_key(item, key)),
            (_, None) => Err(no_merge_key(expected, key)),
        }
    };
    let (mut patch_index, mut order_index) = (0, 0);
    while let (Some(item), Some(expected)) = (listed.get(patch_index), order.get(order_index)) {
        if item.get(DIRECTIVE).is_some() {
            patch_index += 1;
            continue;
        }
        if same(item, expected)? {
            patch_index += 1;
        }
        order_index += 1;
    }
    if patch_index < listed.len() {
        return Err(ApiError::unknown(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}\n",
            go_format(&Value::Array(patch.to_vec())),
            go_format(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patched(original: Value, patch: Value, schema: Schema) -> Value {
        apply(original, patch, schema).unwrap()
    }

    fn deployment() -> Value {
        json!({
            "metadata": { "name": "web", "labels": { "app": "web", "tier": "front" }, "finalizers": ["a", "b"] },
            "spec": {
                "replicas": 1,
                "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1 } },
                "template": { "spec": {
                    "containers": [
                        { "name": "app", "image": "app:1", "env": [{ "name": "A", "value": "1" }, { "name": "B", "value": "2" }],
                          "ports": [{ "containerPort": 80 }], "command": ["run", "--fast"] },
                        { "name": "sidecar", "image": "proxy:1" }
                    ],
                    "volumes": [{ "name": "data", "emptyDir": {} }]
                } }
            }
        })
    }

    #[test]
    fn maps_merge_and_null_deletes() {
        let result = patched(
            deployment(),
            json!({ "metadata": { "labels": { "tier": null, "new": "x" } }, "spec": { "replicas": 3 } }),
            Schema::Workload,
        );
        assert_eq!(result["metadata"]["labels"], json!({ "app": "web", "new": "x" }));
        assert_eq!(result["spec"]["replicas"], 3);
        assert_eq!(
            result["spec"]["template"]["spec"]["containers"][1]["name"],
            "sidecar"
        );
    }

    #[test]
    fn containers_and_env_merge_by_name_other_lists_are_replaced() {
        let result = patched(
            deployment(),
            json!({ "spec": { "template": { "spec": { "containers": [
                { "name": "app", "image": "app:2", "env": [{ "name": "B", "value": "two" }, { "name": "C", "value": "3" }],
                  "command": ["run"] },
                { "name": "logger", "image": "log:1" }
            ] } } } }),
            Schema::Workload,
        );
        let containers = &result["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers.as_array().map(Vec::len), Some(3));
        assert_eq!(containers[0]["image"], "app:2");
        assert_eq!(
            containers[0]["env"],
            json!([{ "name": "A", "value": "1" }, { "name": "B", "value": "two" }, { "name": "C", "value": "3" }])
        );
        assert_eq!(containers[0]["command"], json!(["run"]), "no strategy: replaced");
        assert_eq!(containers[0]["ports"], json!([{ "containerPort": 80 }]));
        // Go's order: what the patch names first, then what it does not, where no stored order says otherwise.
        assert_eq!(containers[1]["name"], "logger");
        assert_eq!(containers[2]["name"], "sidecar");
    }

    #[test]
    fn list_directives_delete_an_element_or_replace_the_list() {
        let result = patched(
            deployment(),
            json!({ "spec": { "template": { "spec": {
                "containers": [{ "name": "sidecar", "$patch": "delete" }],
                "volumes": [{ "name": "cache", "emptyDir": {} }, { "$patch": "replace" }]
            } } } }),
            Schema::Workload,
        );
        let spec = &result["spec"]["template"]["spec"];
        assert_eq!(spec["containers"].as_array().map(Vec::len), Some(1));
        assert_eq!(spec["containers"][0]["name"], "app");
        assert_eq!(spec["volumes"], json!([{ "name": "cache", "emptyDir": {} }]));
    }

    #[test]
    fn map_directives_replace_or_empty_a_map() {
        let result = patched(
            deployment(),
            json!({ "metadata": { "labels": { "$patch": "replace", "only": "this" } },
                    "spec": { "strategy": { "$patch": "delete" } } }),
            Schema::Workload,
        );
        assert_eq!(result["metadata"]["labels"], json!({ "only": "this" }));
        assert_eq!(result["spec"]["strategy"], json!({}));
        let error = apply(
            deployment(),
            json!({ "spec": { "$patch": "merge" } }),
            Schema::Workload,
        )
        .unwrap_err();
        assert_eq!((error.code, error.reason), (500, ""));
        assert!(error
            .message
            .starts_with("unknown patch type: merge in map: map[$patch:merge]"));
    }

    #[test]
    fn retain_keys_clears_what_is_not_listed() {
        let result = patched(
            deployment(),
            json!({ "spec": { "strategy": { "$retainKeys": ["type"], "type": "Recreate" } } }),
            Schema::Workload,
        );
        assert_eq!(result["spec"]["strategy"], json!({ "type": "Recreate" }));
        let error = apply(
            deployment(),
            json!({ "spec": { "strategy": { "$retainKeys": ["type"], "rollingUpdate": {} } } }),
            Schema::Workload,
        )
        .unwrap_err();
        assert_eq!(
            (error.code, error.message.as_str()),
            (400, "invalid patch format of retainKeys")
        );
    }

    #[test]
    fn finalizers_merge_as_a_set_and_deletion_lists_remove() {
        let result = patched(
            deployment(),
            json!({ "metadata": { "finalizers": ["b", "c"], "$deleteFromPrimitiveList/finalizers": ["a"] } }),
            Schema::Workload,
        );
        assert_eq!(result["metadata"]["finalizers"], json!(["b", "c"]));
        let error = apply(
            deployment(),
            json!({ "metadata": { "$deleteFromPrimitiveListfinalizers": ["a"] } }),
            Schema::Workload,
        )
        .unwrap_err();
        assert_eq!(
            (error.code, error.message.as_str()),
            (400, "invalid patch format of primitive list")
        );
    }

    #[test]
    fn set_element_order_orders_the_merged_list() {
        let result = patched(
            deployment(),
            json!({ "spec": { "template": { "spec": {
                "$setElementOrder/containers": [{ "name": "sidecar" }, { "name": "app" }],
                "containers": [{ "name": "app", "image": "app:3" }]
            } } } }),
            Schema::Workload,
        );
        let containers = &result["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["name"], "sidecar");
        assert_eq!(containers[1]["image"], "app:3");
    }

    #[test]
    fn new_elements_keep_their_place_in_the_patch() {
        let original = json!({ "spec": { "ports": [{ "port": 1 }, { "port": 2 }, { "port": 3 }] } });
        let result = patched(
            original,
            json!({ "spec": { "ports": [{ "port": 4 }, { "port": 1, "name": "one" }] } }),
            Schema::Service,
        );
        let ports: Vec<&Value> = result["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|port| &port["port"])
            .collect();
        assert_eq!(ports, [&json!(4), &json!(1), &json!(2), &json!(3)]);
        assert_eq!(result["spec"]["ports"][1]["name"], "one");
    }

    #[test]
    fn a_missing_merge_key_is_the_libraries_plain_error() {
        let error = apply(
            deployment(),
            json!({ "spec": { "template": { "spec": { "containers": [{ "image": "x" }] } } } }),
            Schema::Workload,
        )
        .unwrap_err();
        assert_eq!(error.code, 500);
        assert_eq!(
            error.message,
            "map: map[image:x] does not contain declared merge key: name"
        );
        let error = apply(deployment(), json!([]), Schema::Workload).unwrap_err();
        assert_eq!(error.code, 400);
        let error = apply(
            json!({ "metadata": { "finalizers": [["a"]] } }),
            json!({ "metadata": { "finalizers": [["b"]] } }),
            Schema::Object,
        )
        .unwrap_err();
        assert_eq!((error.code, error.reason), (422, "Invalid"));
    }

    #[test]
    fn new_values_lose_their_directives_and_nulls() {
        let result = patched(
            json!({ "metadata": { "name": "x" } }),
            json!({ "data": { "a": "1", "b": null }, "spec": { "$retainKeys": ["x"], "x": { "$patch": "delete" }, "y": 1 } }),
            Schema::Object,
        );
        assert_eq!(result["data"], json!({ "a": "1" }));
        assert_eq!(result["spec"], json!({ "y": 1 }));
    }
}
