//! One service's quota limits and usage, per project: limits not set are
//! the service's defaults; a `DELETE` of the quotas forgets the set ones.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

pub struct QuotaBook {
    defaults: &'static [(&'static str, i64)],
    limits: HashMap<String, BTreeMap<String, i64>>,
    usage: HashMap<String, BTreeMap<String, i64>>,
}

impl QuotaBook {
    pub fn new(defaults: &'static [(&'static str, i64)]) -> Self {
        Self {
            defaults,
            limits: HashMap::new(),
            usage: HashMap::new(),
        }
    }

    pub fn is_resource(&self, name: &str) -> bool {
        self.defaults.iter().any(|(resource, _)| *resource == name)
    }

    pub fn limit(&self, project_id: &str, resource: &str) -> i64 {
        self.limits
            .get(project_id)
            .and_then(|limits| limits.get(resource))
            .copied()
            .or_else(|| self.default_limit(resource))
            .unwrap_or(0)
    }

    fn default_limit(&self, resource: &str) -> Option<i64> {
        self.defaults
            .iter()
            .find(|(name, _)| *name == resource)
            .map(|(_, limit)| *limit)
    }

    pub fn in_use(&self, project_id: &str, resource: &str) -> i64 {
        self.usage
            .get(project_id)
            .and_then(|usage| usage.get(resource))
            .copied()
            .unwrap_or(0)
    }

    pub fn set_limit(&mut self, project_id: &str, resource: &str, limit: i64) {
        self.limits
            .entry(project_id.to_owned())
            .or_default()
            .insert(resource.to_owned(), limit);
    }

    pub fn set_usage(&mut self, project_id: &str, resource: &str, in_use: i64) {
        self.usage
            .entry(project_id.to_owned())
            .or_default()
            .insert(resource.to_owned(), in_use);
    }

    pub fn reset(&mut self, project_id: &str) {
        self.limits.remove(project_id);
    }

    /// `{resource: limit}` for the resources `shown` keeps.
    pub fn limits_of(&self, project_id: &str, shown: impl Fn(&str) -> bool) -> Map<String, Value> {
        self.defaults
            .iter()
            .filter(|(resource, _)| shown(resource))
            .map(|(resource, _)| ((*resource).to_owned(), json!(self.limit(project_id, resource))))
            .collect()
    }

    /// `{resource: default}` for the resources `shown` keeps.
    pub fn defaults_of(&self, shown: impl Fn(&str) -> bool) -> Map<String, Value> {
        self.defaults
            .iter()
            .filter(|(resource, _)| shown(resource))
            .map(|(resource, limit)| ((*resource).to_owned(), json!(limit)))
            .collect()
    }

    /// `{resource: {limit, <used_key>, reserved}}` for the resources
    /// `shown` keeps.
    pub fn usage_of(
        &self,
        project_id: &str,
        used_key: &str,
        shown: impl Fn(&str) -> bool,
    ) -> Map<String, Value> {
        self.defaults
            .iter()
            .filter(|(resource, _)| shown(resource))
            .map(|(resource, _)| {
                let mut entry = Map::new();
                entry.insert("limit".into(), json!(self.limit(project_id, resource)));
                entry.insert(used_key.into(), json!(self.in_use(project_id, resource)));
                entry.insert("reserved".into(), json!(0));
                ((*resource).to_owned(), Value::Object(entry))
            })
            .collect()
    }
}
