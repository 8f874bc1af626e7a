//! The resource kinds the simulator serves, with what the API server does
//! differently per kind (scope, generation, status, patch strategies,
//! subresources, discovery names).

use super::strategic::Schema;

/// How `metadata.generation` moves (apimachinery's per-kind strategies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// Not set (ConfigMap, Secret, Service, …).
    None,
    /// 1 on create, +1 when the spec changes.
    Spec,
    /// 1 on create, +1 when the spec or the annotations change (Deployment).
    SpecOrAnnotations,
    /// 1 on create, +1 when anything but `metadata` changes: apiextensions'
    /// strategy for custom resources (with a status subresource, status
    /// never changes through the main resource, so in effect the spec).
    NonMetadata,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
    /// Discovery's `shortNames` (`kubectl get deploy`).
    pub short_names: &'static [&'static str],
    /// Discovery's `categories` (`kubectl get cert-manager`).
    pub categories: &'static [&'static str],
    pub namespaced: bool,
    pub generation: Generation,
    /// Has a status subresource: create clears it, main writes keep it.
    pub has_status: bool,
    /// `…/{name}/status` is served (GET, PUT, PATCH): only for kinds whose
    /// status no simulated controller writes, so tests can play the controller.
    pub serves_status: bool,
    /// Has the `scale` subresource (autoscaling/v1 `Scale`).
    pub scalable: bool,
    /// Served from a CustomResourceDefinition (apiextensions-apiserver): no
    /// strategic merge patch, list items keep `kind`/`apiVersion`, the body
    /// must name its kind, the schema's `required` fields are checked.
    pub custom: bool,
    /// A DELETE answers the object, not a `Status` (the registry's `ReturnDeletedObject`).
    pub returns_deleted: bool,
    /// Where its lists merge under a strategic merge patch (k8s.io/api's struct tags).
    pub schema: Schema,
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

/// What every stored kind shares; each entry below sets what differs.
const BASE: Kind = Kind {
    group: "",
    version: "v1",
    plural: "",
    kind: "",
    short_names: &[],
    categories: &[],
    namespaced: true,
    generation: Generation::None,
    has_status: false,
    serves_status: false,
    scalable: false,
    custom: false,
    returns_deleted: false,
    schema: Schema::Object,
    operation: "",
};

pub static KINDS: [Kind; 14] = [
    Kind {
        plural: "namespaces",
        kind: "Namespace",
        short_names: &["ns"],
        namespaced: false,
        has_status: true,
        schema: Schema::ObjectWithConditions,
        operation: "namespace",
        ..BASE
    },
    Kind {
        plural: "resourcequotas",
        returns_deleted: true,
        kind: "ResourceQuota",
        short_names: &["quota"],
        has_status: true,
        operation: "resource_quota",
        ..BASE
    },
    Kind {
        plural: "limitranges",
        kind: "LimitRange",
        short_names: &["limits"],
        operation: "limit_range",
        ..BASE
    },
    Kind {
        plural: "secrets",
        kind: "Secret",
        operation: "secret",
        ..BASE
    },
    Kind {
        plural: "configmaps",
        kind: "ConfigMap",
        short_names: &["cm"],
        operation: "config_map",
        ..BASE
    },
    Kind {
        plural: "serviceaccounts",
        returns_deleted: true,
        kind: "ServiceAccount",
        short_names: &["sa"],
        schema: Schema::ServiceAccount,
        operation: "service_account",
        ..BASE
    },
    Kind {
        plural: "services",
        returns_deleted: true,
        kind: "Service",
        short_names: &["svc"],
        has_status: true,
        schema: Schema::Service,
        operation: "service",
        ..BASE
    },
    Kind {
        plural: "persistentvolumeclaims",
        returns_deleted: true,
        kind: "PersistentVolumeClaim",
        short_names: &["pvc"],
        has_status: true,
        schema: Schema::ObjectWithConditions,
        operation: "persistent_volume_claim",
        ..BASE
    },
    Kind {
        group: "apps",
        plural: "deployments",
        kind: "Deployment",
        short_names: &["deploy"],
        generation: Generation::SpecOrAnnotations,
        has_status: true,
        scalable: true,
        schema: Schema::Workload,
        operation: "deployment",
        ..BASE
    },
    Kind {
        group: "apps",
        plural: "statefulsets",
        kind: "StatefulSet",
        short_names: &["sts"],
        generation: Generation::Spec,
        has_status: true,
        scalable: true,
        schema: Schema::Workload,
        operation: "stateful_set",
        ..BASE
    },
    Kind {
        group: "batch",
        plural: "jobs",
        kind: "Job",
        generation: Generation::Spec,
        has_status: true,
        schema: Schema::Workload,
        operation: "job",
        ..BASE
    },
    Kind {
        group: "networking.k8s.io",
        plural: "networkpolicies",
        kind: "NetworkPolicy",
        short_names: &["netpol"],
        generation: Generation::Spec,
        operation: "network_policy",
        ..BASE
    },
    Kind {
        group: "networking.k8s.io",
        plural: "ingresses",
        kind: "Ingress",
        short_names: &["ing"],
        generation: Generation::Spec,
        has_status: true,
        operation: "ingress",
        ..BASE
    },
    // cert-manager's CRD `certificates.cert-manager.io` (v1, status subresource).
    Kind {
        group: "cert-manager.io",
        plural: "certificates",
        kind: "Certificate",
        short_names: &["cert", "certs"],
        categories: &["cert-manager"],
        generation: Generation::NonMetadata,
        has_status: true,
        serves_status: true,
        custom: true,
        operation: "certificate",
        ..BASE
    },
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
