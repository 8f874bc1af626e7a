//! The resource kinds the simulator serves, with what the API server does
//! differently per kind (scope, generation, status).

/// How `metadata.generation` moves (apimachinery's per-kind strategies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// Not set (ConfigMap, Secret, Service, …).
    None,
    /// 1 on create, +1 when the spec changes.
    Spec,
    /// 1 on create, +1 when the spec or the annotations change (Deployment).
    SpecOrAnnotations,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub generation: Generation,
    /// Has a status subresource: create clears it, main writes keep it.
    pub has_status: bool,
    /// Fault-injection name, e.g. `stateful_set` in `patch_stateful_set`.
    pub operation: &'static str,
}

impl Kind {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `configmaps` or `deployments.apps`, as error messages name it.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

const fn kind(
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    generation: Generation,
    has_status: bool,
    operation: &'static str,
) -> Kind {
    Kind {
        group,
        version: "v1",
        plural,
        kind,
        namespaced,
        generation,
        has_status,
        operation,
    }
}

pub static KINDS: [Kind; 13] = [
    kind(
        "",
        "namespaces",
        "Namespace",
        false,
        Generation::None,
        true,
        "namespace",
    ),
    kind(
        "",
        "resourcequotas",
        "ResourceQuota",
        true,
        Generation::None,
        true,
        "resource_quota",
    ),
    kind(
        "",
        "limitranges",
        "LimitRange",
        true,
        Generation::None,
        false,
        "limit_range",
    ),
    kind("", "secrets", "Secret", true, Generation::None, false, "secret"),
    kind(
        "",
        "configmaps",
        "ConfigMap",
        true,
        Generation::None,
        false,
        "config_map",
    ),
    kind(
        "",
        "serviceaccounts",
        "ServiceAccount",
        true,
        Generation::None,
        false,
        "service_account",
    ),
    kind("", "services", "Service", true, Generation::None, true, "service"),
    kind(
        "",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
        Generation::None,
        true,
        "persistent_volume_claim",
    ),
    kind(
        "apps",
        "deployments",
        "Deployment",
        true,
        Generation::SpecOrAnnotations,
        true,
        "deployment",
    ),
    kind(
        "apps",
        "statefulsets",
        "StatefulSet",
        true,
        Generation::Spec,
        true,
        "stateful_set",
    ),
    kind("batch", "jobs", "Job", true, Generation::Spec, true, "job"),
    kind(
        "networking.k8s.io",
        "networkpolicies",
        "NetworkPolicy",
        true,
        Generation::Spec,
        false,
        "network_policy",
    ),
    kind(
        "networking.k8s.io",
        "ingresses",
        "Ingress",
        true,
        Generation::Spec,
        true,
        "ingress",
    ),
];

/// The kind served at `/{api|apis/group}/{version}/…/{plural}`.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|kind| kind.group == group && kind.version == version && kind.plural == plural)
}

pub fn by_plural(plural: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|kind| kind.plural == plural)
}
