//! The simulated cluster's objects and what the API server does on each
//! write: server-owned fields, optimistic concurrency, generation, status,
//! namespace lifecycle, quota admission and the controllers' visible effects.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use serde_json::{json, Map, Value};

use super::{
    custom, defaults,
    kinds::{self, Generation, Kind},
    metrics, quota,
    selectors::{FieldSelector, LabelSelector},
    status::ApiError,
};

/// (plural, namespace or `""`, name).
type Key = (&'static str, String, String);

/// Namespaces every cluster starts with.
const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// A list request's options.
#[derive(Debug, Default)]
pub struct ListOptions {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub limit: Option<usize>,
    pub continue_after: Option<String>,
}

pub struct Cluster {
    revision: u64,
    objects: BTreeMap<Key, Value>,
    /// Namespaces being deleted, and when they will be gone.
    terminating: BTreeMap<String, Instant>,
    termination_delay: Duration,
    next_cluster_ip: u32,
}

fn namespace_kind() -> &'static Kind {
    &kinds::KINDS[0]
}

pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let whole_seconds = now.replace_nanosecond(0).unwrap_or(now);
    whole_seconds
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or("")
}

fn is_dns_label(name: &str) -> bool {
    name.len() <= 63
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

/// Standard base64, for Secrets' `stringData`.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let triple = chunk.iter().enumerate().fold(0u32, |acc, (index, byte)| {
            acc | u32::from(*byte) << (16 - 8 * index)
        });
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(ALPHABET[(triple >> (18 - 6 * index) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Cluster {
    pub fn new(termination_delay: Duration) -> Self {
        let mut cluster = Self {
            revision: 0,
            objects: BTreeMap::new(),
            terminating: BTreeMap::new(),
            termination_delay,
            next_cluster_ip: 1,
        };
        for name in SYSTEM_NAMESPACES {
            // Fresh names in an empty cluster: cannot fail.
            let _ = cluster.create(namespace_kind(), "", json!({ "metadata": { "name": name } }));
        }
        cluster
    }

    fn next_revision(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    /// Removes the namespaces whose deletion has run its course, with everything in them.
    pub fn sweep(&mut self, now: Instant) {
        let done: Vec<String> = self
            .terminating
            .iter()
            .filter(|(_, gone_at)| **gone_at <= now)
            .map(|(name, _)| name.clone())
            .collect();
        for namespace in done {
            self.terminating.remove(&namespace);
            self.objects
                .retain(|(_, object_namespace, _), _| *object_namespace != namespace);
            self.objects
                .remove(&("namespaces", String::new(), namespace.clone()));
            self.revision += 1;
        }
    }

    fn key(kind: &Kind, namespace: &str, name: &str) -> Key {
        (kind.plural, namespace.to_owned(), name.to_owned())
    }

    pub fn get(&self, kind: &Kind, namespace: &str, name: &str) -> Result<Value, ApiError> {
        self.objects
            .get(&Self::key(kind, namespace, name))
            .cloned()
            .ok_or_else(|| ApiError::not_found(kind, name))
    }

    /// A list in the API's shape; `namespace` `None` lists every namespace.
    pub fn list(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        options: &ListOptions,
    ) -> Result<Value, ApiError> {
        let start = match &options.continue_after {
            Some(token) => Some(
                token
                    .split_once('/')
                    .map(|(namespace, name)| (namespace.to_owned(), name.to_owned()))
                    .ok_or_else(|| {
                        ApiError::bad_request("continue key is not valid: invalid continue token")
                    })?,
            ),
            None => None,
        };
        let matching: Vec<(&Key, &Value)> = self
            .objects
            .iter()
            .filter(|((plural, object_namespace, _), _)| {
                *plural == kind.plural && namespace.is_none_or(|wanted| wanted == object_namespace)
            })
            .filter(|((_, object_namespace, name), _)| {
                start.as_ref().is_none_or(|(after_namespace, after_name)| {
                    (object_namespace, name) > (after_namespace, after_name)
                })
            })
            .filter(|(_, object)| options.labels.matches(object) && options.fields.matches(object))
            .collect();
        let limit = options.limit.filter(|limit| *limit > 0).unwrap_or(usize::MAX);
        let mut metadata = json!({ "resourceVersion": self.revision.to_string() });
        if matching.len() > limit {
            if let Some(((_, last_namespace, last_name), _)) = matching.get(limit - 1) {
                metadata["continue"] = json!(format!("{last_namespace}/{last_name}"));
                metadata["remainingItemCount"] = json!(matching.len() - limit);
            }
        }
        let items: Vec<Value> = matching
            .iter()
            .take(limit)
            .map(|(_, object)| {
                let mut item = (*object).clone();
                // The API server leaves these out of built-in kinds' list
                // items; custom resources are stored and listed whole.
                if let Some(fields) = item.as_object_mut().filter(|_| !kind.custom) {
                    fields.remove("kind");
                    fields.remove("apiVersion");
                }
                item
            })
            .collect();
        Ok(json!({
            "kind": format!("{}List", kind.kind),
            "apiVersion": kind.api_version(),
            "metadata": metadata,
            "items": items,
        }))
    }

    /// The pods the Deployments and StatefulSets run (all namespaces for `None`).
    pub fn pods(&self, namespace: Option<&str>) -> Vec<metrics::Pod> {
        self.objects
            .iter()
            .filter(|((_, object_namespace, _), _)| namespace.is_none_or(|wanted| wanted == object_namespace))
            .flat_map(|((plural, _, _), object)| match *plural {
                "deployments" => metrics::pods_of("Deployment", object),
                "statefulsets" => metrics::pods_of("StatefulSet", object),
                _ => Vec::new(),
            })
            .collect()
    }

    /// Where a namespaced write may go: the namespace exists and is not terminating.
    fn check_namespace(&self, kind: &Kind, namespace: &str, name: &str) -> Result<(), ApiError> {
        if !kind.namespaced {
            return Ok(());
        }
        if !self
            .objects
            .contains_key(&("namespaces", String::new(), namespace.to_owned()))
        {
            return Err(ApiError::namespace_not_found(namespace));
        }
        if self.terminating.contains_key(namespace) {
            return Err(ApiError::namespace_terminating(kind, name, namespace));
        }
        Ok(())
    }

    /// The body's kind, apiVersion and namespace agree with the URL.
    fn check_body(kind: &Kind, namespace: &str, body: &Value) -> Result<(), ApiError> {
        if !body.is_object() {
            return Err(ApiError::bad_request("the request body must be a JSON object"));
        }
        custom::check_kind_named(kind, body)?;
        if let Some(found) = body.get("kind").and_then(Value::as_str) {
            if found != kind.kind {
                return Err(ApiError::bad_request(format!(
                    "the kind in the request body ({found}) does not match the resource ({})",
                    kind.kind
                )));
            }
        }
        if let Some(found) = body.get("apiVersion").and_then(Value::as_str) {
            if found != kind.api_version() {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({found}) does not match the expected API version ({})",
                    kind.api_version()
                )));
            }
        }
        let body_namespace = body["metadata"]["namespace"].as_str().unwrap_or("");
        if kind.namespaced && !body_namespace.is_empty() && body_namespace != namespace {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        Ok(())
    }

    fn validate(kind: &Kind, name: &str, object: &Value) -> Result<(), ApiError> {
        let schema_causes = custom::missing_required(kind, object);
        let mut causes: Vec<(&str, String)> = Vec::new();
        let mut image_causes: Vec<String> = Vec::new();
        let label_named = matches!(kind.plural, "namespaces" | "services");
        if label_named && !is_dns_label(name) {
            causes.push(("metadata.name", format!("Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")));
        } else if !label_named && !is_dns_subdomain(name) {
            causes.push(("metadata.name", format!("Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")));
        }
        if matches!(kind.plural, "deployments" | "statefulsets") {
            let spec = &object["spec"];
            if spec["selector"].is_null() {
                causes.push(("spec.selector", "Required value".to_owned()));
            }
            let containers = spec["template"]["spec"]["containers"].as_array();
            if containers.is_none_or(Vec::is_empty) {
                causes.push(("spec.template.spec.containers", "Required value".to_owned()));
            }
            for (index, container) in containers.into_iter().flatten().enumerate() {
                if container["image"].as_str().is_none_or(str::is_empty) {
                    image_causes.push(format!("spec.template.spec.containers[{index}].image"));
                }
            }
            let template_labels = &spec["template"]["metadata"]["labels"];
            let selected = spec["selector"]["matchLabels"].as_object().is_none_or(|wanted| {
                wanted
                    .iter()
                    .all(|(key, value)| template_labels.get(key) == Some(value))
            });
            if !selected {
                causes.push((
                    "spec.template.metadata.labels",
                    "Invalid value: `selector` does not match template `labels`".to_owned(),
                ));
            }
        }
        causes.extend(
            image_causes
                .iter()
                .map(|field| (field.as_str(), "Required value".to_owned())),
        );
        causes.extend(
            schema_causes
                .iter()
                .map(|(field, message)| (field.as_str(), message.clone())),
        );
        if causes.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(kind, name, &causes))
        }
    }

    /// The namespace's objects after replacing (or adding) `candidate`.
    fn usage_with(&self, namespace: &str, candidate: Option<(&'static str, &str, &Value)>) -> quota::Usage {
        let mut entries: Vec<quota::Entry<'_>> = self
            .objects
            .iter()
            .filter(|((plural, object_namespace, name), _)| {
                object_namespace == namespace
                    && candidate.is_none_or(|(candidate_plural, candidate_name, _)| {
                        !(*plural == candidate_plural && name == candidate_name)
                    })
            })
            .map(|((plural, _, _), object)| quota::Entry { plural, object })
            .collect();
        if let Some((plural, _, object)) = candidate {
            entries.push(quota::Entry { plural, object });
        }
        quota::usage(&entries)
    }

    /// 403 when writing `object` takes the namespace over one of its quotas.
    /// A Deployment or StatefulSet is never refused: its pods and claims
    /// are, when its controller makes them (which the simulator does not).
    fn admit(
        &self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
        object: &Value,
    ) -> Result<(), ApiError> {
        if !kind.namespaced || matches!(kind.plural, "deployments" | "statefulsets") {
            return Ok(());
        }
        let quotas: Vec<&Value> = self
            .objects
            .iter()
            .filter(|((plural, object_namespace, _), _)| {
                *plural == "resourcequotas" && object_namespace == namespace
            })
            .map(|(_, quota)| quota)
            .collect();
        if quotas.is_empty() {
            return Ok(());
        }
        let before = self.usage_with(namespace, None);
        let after = self.usage_with(namespace, Some((kind.plural, name, object)));
        for quota_object in quotas {
            let Some(hard) = quota_object["spec"]["hard"].as_object() else {
                continue;
            };
            if let Some(message) = quota::exceeded(name_of(quota_object), hard, &before, &after) {
                return Err(ApiError::forbidden(kind, name, &message));
            }
        }
        Ok(())
    }

    /// What the API server sets on create, per kind.
    fn defaults_on_create(&mut self, kind: &Kind, object: &mut Value) {
        match kind.plural {
            "namespaces" => {
                object["spec"]["finalizers"] = json!(["kubernetes"]);
                object["status"] = json!({ "phase": "Active" });
            }
            "services" => {
                if object["spec"]["clusterIP"].is_null() {
                    let address = format!(
                        "10.96.{}.{}",
                        self.next_cluster_ip / 250,
                        self.next_cluster_ip % 250 + 1
                    );
                    self.next_cluster_ip += 1;
                    object["spec"]["clusterIP"] = json!(address);
                    object["spec"]["clusterIPs"] = json!([address]);
                }
                if object["spec"]["type"].is_null() {
                    object["spec"]["type"] = json!("ClusterIP");
                }
                object["status"] = json!({ "loadBalancer": {} });
            }
            "secrets" if object["type"].is_null() => object["type"] = json!("Opaque"),
            _ => {}
        }
    }

    /// What every write normalises: the API server's defaults, the
    /// namespace's own label, Secrets' `stringData`.
    fn normalise(kind: &Kind, object: &mut Value) {
        defaults::apply(kind, object);
        if kind.plural == "namespaces" {
            let name = name_of(object).to_owned();
            object["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
        }
        if kind.plural == "secrets" {
            if let Some(Value::Object(plain)) = object
                .as_object_mut()
                .and_then(|fields| fields.remove("stringData"))
            {
                for (key, value) in plain {
                    let encoded = base64(value.as_str().unwrap_or("").as_bytes());
                    object["data"][key] = json!(encoded);
                }
            }
        }
    }

    pub fn create(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        mut body: Value,
    ) -> Result<Value, ApiError> {
        Self::check_body(kind, namespace, &body)?;
        let mut name = name_of(&body).to_owned();
        if name.is_empty() {
            if let Some(prefix) = body["metadata"]["generateName"].as_str() {
                name = format!("{prefix}{}", &uuid::Uuid::new_v4().simple().to_string()[..5]);
            }
        }
        if name.is_empty() {
            return Err(ApiError::invalid(
                kind,
                "",
                &[(
                    "metadata.name",
                    "Required value: name or generateName is required".to_owned(),
                )],
            ));
        }
        self.check_namespace(kind, namespace, &name)?;
        Self::validate(kind, &name, &body)?;
        if self.objects.contains_key(&Self::key(kind, namespace, &name)) {
            return Err(ApiError::already_exists(kind, &name));
        }
        body["kind"] = json!(kind.kind);
        body["apiVersion"] = json!(kind.api_version());
        let metadata = &mut body["metadata"];
        metadata["name"] = json!(name);
        if kind.namespaced {
            metadata["namespace"] = json!(namespace);
        }
        metadata["uid"] = json!(uuid::Uuid::new_v4().to_string());
        metadata["creationTimestamp"] = json!(now_rfc3339());
        if let Some(fields) = metadata.as_object_mut() {
            for owned in [
                "resourceVersion",
                "deletionTimestamp",
                "generation",
                "managedFields",
            ] {
                fields.remove(owned);
            }
        }
        if kind.generation != Generation::None {
            body["metadata"]["generation"] = json!(1);
        }
        if kind.has_status {
            if let Some(fields) = body.as_object_mut() {
                fields.remove("status");
            }
        }
        self.defaults_on_create(kind, &mut body);
        Self::normalise(kind, &mut body);
        self.admit(kind, namespace, &name, &body)?;
        body["metadata"]["resourceVersion"] = json!(self.next_revision());
        self.objects
            .insert(Self::key(kind, namespace, &name), body.clone());
        if kind.plural == "namespaces" {
            self.populate_namespace(&name);
        }
        self.settle(namespace);
        self.get(kind, namespace, &name)
    }

    /// What the controllers of a real cluster put in every new namespace.
    fn populate_namespace(&mut self, namespace: &str) {
        let service_accounts = kinds::by_plural("serviceaccounts");
        let config_maps = kinds::by_plural("configmaps");
        if let (Some(service_accounts), Some(config_maps)) = (service_accounts, config_maps) {
            let _ = self.create(
                service_accounts,
                namespace,
                json!({ "metadata": { "name": "default" } }),
            );
            let _ = self.create(
                config_maps,
                namespace,
                json!({ "metadata": { "name": "kube-root-ca.crt" }, "data": { "ca.crt": "-----BEGIN CERTIFICATE-----\nsimulated\n-----END CERTIFICATE-----\n" } }),
            );
        }
    }

    /// PUT, and PATCH once the patch is applied: `object` replaces the stored one.
    pub fn update(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
        mut object: Value,
    ) -> Result<Value, ApiError> {
        let key = Self::key(kind, namespace, name);
        let stored = self.get(kind, namespace, name)?;
        Self::check_write(kind, namespace, name, &object, &stored)?;
        Self::validate(kind, name, &object)?;
        object["kind"] = json!(kind.kind);
        object["apiVersion"] = json!(kind.api_version());
        for owned in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "namespace",
            "generation",
            "resourceVersion",
        ] {
            match stored["metadata"].get(owned) {
                Some(value) => object["metadata"][owned] = value.clone(),
                None => {
                    if let Some(fields) = object["metadata"].as_object_mut() {
                        fields.remove(owned);
                    }
                }
            }
        }
        if kind.has_status {
            object["status"] = stored["status"].clone();
            if object["status"].is_null() {
                if let Some(fields) = object.as_object_mut() {
                    fields.remove("status");
                }
            }
        }
        match kind.plural {
            "services" => {
                for allocated in ["clusterIP", "clusterIPs", "type"] {
                    if object["spec"][allocated].is_null() {
                        object["spec"][allocated] = stored["spec"][allocated].clone();
                    }
                }
            }
            "namespaces" if object["spec"]["finalizers"].is_null() => {
                object["spec"]["finalizers"] = stored["spec"]["finalizers"].clone();
            }
            _ => {}
        }
        Self::normalise(kind, &mut object);
        let spec_changed = object.get("spec") != stored.get("spec");
        let annotations_changed =
            object["metadata"].get("annotations") != stored["metadata"].get("annotations");
        let bump = match kind.generation {
            Generation::None => false,
            Generation::Spec => spec_changed,
            Generation::SpecOrAnnotations => spec_changed || annotations_changed,
            Generation::NonMetadata => without_metadata(&object) != without_metadata(&stored),
        };
        if bump {
            let generation = stored["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
            object["metadata"]["generation"] = json!(generation);
        }
        // An update that changes nothing writes nothing: same resourceVersion.
        if object == stored {
            return Ok(stored);
        }
        self.admit(kind, namespace, name, &object)?;
        object["metadata"]["resourceVersion"] = json!(self.next_revision());
        self.objects.insert(key, object);
        self.settle(namespace);
        self.get(kind, namespace, name)
    }

    /// What a write to an existing object must agree with: the body's kind
    /// and namespace, its name (the URL's) and, when given, its resourceVersion.
    fn check_write(
        kind: &Kind,
        namespace: &str,
        name: &str,
        object: &Value,
        stored: &Value,
    ) -> Result<(), ApiError> {
        Self::check_body(kind, namespace, object)?;
        let body_name = name_of(object);
        if body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        let wanted_version = object["metadata"]["resourceVersion"].as_str().unwrap_or("");
        if !wanted_version.is_empty() && wanted_version != stored["metadata"]["resourceVersion"] {
            return Err(ApiError::conflict(kind, name));
        }
        Ok(())
    }

    /// PUT of `…/status`, and PATCH once applied to the whole object: only
    /// the status changes, metadata and spec stay the stored ones (the
    /// status strategy of custom resources).
    pub fn update_status(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
        object: Value,
    ) -> Result<Value, ApiError> {
        let stored = self.get(kind, namespace, name)?;
        Self::check_write(kind, namespace, name, &object, &stored)?;
        let mut updated = stored.clone();
        match object.get("status").filter(|status| !status.is_null()) {
            Some(status) => updated["status"] = status.clone(),
            None => {
                if let Some(fields) = updated.as_object_mut() {
                    fields.remove("status");
                }
            }
        }
        if updated == stored {
            return Ok(stored);
        }
        updated["metadata"]["resourceVersion"] = json!(self.next_revision());
        self.objects.insert(Self::key(kind, namespace, name), updated);
        self.get(kind, namespace, name)
    }

    /// DELETE: a namespace starts terminating; anything else goes at once.
    pub fn delete(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
        options: &Value,
    ) -> Result<Value, ApiError> {
        let key = Self::key(kind, namespace, name);
        let stored = self.get(kind, namespace, name)?;
        let preconditions = &options["preconditions"];
        for (field, label) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
            if let Some(wanted) = preconditions.get(field).and_then(Value::as_str) {
                let found = stored["metadata"][field].as_str().unwrap_or("");
                if wanted != found {
                    return Err(ApiError {
                        message: format!("Precondition failed: {label} in precondition: {wanted}, {label} in object meta: {found}"),
                        ..ApiError::conflict(kind, name)
                    });
                }
            }
        }
        if kind.plural == "namespaces" {
            // Deleting it again answers the namespace, still terminating
            // (as kube-apiserver 1.37 does: no conflict).
            if self.terminating.contains_key(name) {
                return Ok(stored);
            }
            let mut terminating = stored;
            terminating["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
            terminating["status"]["phase"] = json!("Terminating");
            terminating["metadata"]["resourceVersion"] = json!(self.next_revision());
            self.objects.insert(key, terminating.clone());
            self.terminating
                .insert(name.to_owned(), Instant::now() + self.termination_delay);
            return Ok(terminating);
        }
        self.objects.remove(&key);
        self.revision += 1;
        self.settle(namespace);
        if kind.returns_deleted {
            return Ok(stored);
        }
        let mut details = json!({ "name": name, "kind": kind.plural, "uid": stored["metadata"]["uid"] });
        if !kind.group.is_empty() {
            details["group"] = json!(kind.group);
        }
        Ok(
            json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details }),
        )
    }

    /// Writes a derived field the way a controller would, bumping the resourceVersion when it changes.
    fn set_status(&mut self, key: &Key, status: Value) {
        let changed = self
            .objects
            .get(key)
            .is_some_and(|object| object.get("status") != Some(&status));
        if changed {
            let revision = self.next_revision();
            if let Some(object) = self.objects.get_mut(key) {
                object["status"] = status;
                object["metadata"]["resourceVersion"] = json!(revision);
            }
        }
    }

    /// The controllers' visible work after a write in `namespace`: workload
    /// status, a StatefulSet's claims, finished Jobs, quota usage.
    fn settle(&mut self, namespace: &str) {
        if namespace.is_empty() {
            return;
        }
        let in_namespace: Vec<(Key, Value)> = self
            .objects
            .iter()
            .filter(|((_, object_namespace, _), _)| object_namespace == namespace)
            .map(|(key, object)| (key.clone(), object.clone()))
            .collect();
        for (key, object) in &in_namespace {
            let replicas = object["spec"]["replicas"].as_i64().unwrap_or(1);
            let generation = object["metadata"]["generation"].clone();
            match key.0 {
                "deployments" | "statefulsets" => {
                    let status = if replicas == 0 {
                        json!({ "observedGeneration": generation, "replicas": 0 })
                    } else {
                        json!({ "observedGeneration": generation, "replicas": replicas, "readyReplicas": replicas,
                                "availableReplicas": replicas, "updatedReplicas": replicas })
                    };
                    self.set_status(key, status);
                    if key.0 == "statefulsets" {
                        self.create_claims(namespace, object);
                    }
                }
                "jobs" => {
                    let completions = object["spec"]["completions"].as_i64().unwrap_or(1);
                    let done = json!({ "succeeded": completions, "conditions": [{ "type": "Complete", "status": "True" }] });
                    if object.get("status").is_none_or(Value::is_null) {
                        self.set_status(key, done);
                    }
                }
                _ => {}
            }
        }
        let usage = self.usage_with(namespace, None);
        for (key, object) in &in_namespace {
            if key.0 == "resourcequotas" {
                let hard = object["spec"]["hard"].as_object().cloned().unwrap_or_default();
                let status = json!({ "hard": hard, "used": quota::used(&hard, &usage) });
                self.set_status(key, status);
            }
        }
    }

    /// The StatefulSet controller's claims, one per template and ordinal; they outlive scaling down.
    fn create_claims(&mut self, namespace: &str, stateful_set: &Value) {
        let Some(claims_kind) = kinds::by_plural("persistentvolumeclaims") else {
            return;
        };
        let labels = stateful_set["spec"]["selector"]["matchLabels"].clone();
        for (name, template) in quota::stateful_set_claims(stateful_set) {
            let key = Self::key(claims_kind, namespace, &name);
            if self.objects.contains_key(&key) {
                continue;
            }
            let mut claim = Map::new();
            claim.insert("kind".into(), json!("PersistentVolumeClaim"));
            claim.insert("apiVersion".into(), json!("v1"));
            claim.insert(
                "metadata".into(),
                json!({ "name": name, "namespace": namespace, "labels": labels, "uid": uuid::Uuid::new_v4().to_string(),
                        "creationTimestamp": now_rfc3339(), "resourceVersion": self.next_revision() }),
            );
            claim.insert("spec".into(), template["spec"].clone());
            claim.insert("status".into(), json!({ "phase": "Bound" }));
            self.objects.insert(key, Value::Object(claim));
        }
    }
}

/// The object without its `metadata`, what custom resources' generation follows.
fn without_metadata(object: &Value) -> Map<String, Value> {
    let mut fields = object.as_object().cloned().unwrap_or_default();
    fields.remove("metadata");
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_data_is_encoded_like_the_api_server_does() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"hunter22"), "aHVudGVyMjI=");
    }
}
