"""`sim kubernetes` driven by the official Python client (kubernetes 37.0.2):
every operation Bibind's provisioning performs (control::backends::kubernetes),
the discovery kubectl and the DynamicClient read first, strategic merge patch
(what the client sends for a dict body, as `kubectl patch` does), the `scale`
subresource, and the API server's errors as the client raises them."""

import json
import time
import urllib.error
import urllib.request

import pytest
from kubernetes import client, dynamic
from kubernetes.client.exceptions import ApiException

TOKEN = "kubernetes-real-client-token"
MANAGED_BY = "app.kubernetes.io/managed-by"
APP = "app.kubernetes.io/name"


def api_client(url: str, token: str | None = TOKEN) -> client.ApiClient:
    configuration = client.Configuration(host=url)
    if token is not None:
        configuration.api_key = {"BearerToken": token}
        configuration.api_key_prefix = {"BearerToken": "Bearer"}
    return client.ApiClient(configuration)


@pytest.fixture(scope="module")
def sim(start_sim):
    return start_sim("kubernetes", "--termination-ms", "300", "--token", TOKEN)


@pytest.fixture(scope="module")
def kube(sim) -> client.ApiClient:
    return api_client(sim.url)


@pytest.fixture(scope="module")
def core(kube) -> client.CoreV1Api:
    return client.CoreV1Api(kube)


@pytest.fixture(scope="module")
def apps(kube) -> client.AppsV1Api:
    return client.AppsV1Api(kube)


def status_of(error: ApiException) -> dict:
    """The `Status` body the API server sends with an error."""
    return json.loads(error.body)


def raises(status: int, reason: str | None, call, *args, **kwargs) -> dict:
    """Calls the client, which must raise `ApiException` with that status and
    Status reason (`None`: the body has none); returns the Status."""
    with pytest.raises(ApiException) as caught:
        call(*args, **kwargs)
    assert caught.value.status == status, caught.value.body
    body = status_of(caught.value)
    assert body["kind"] == "Status" and body["code"] == status
    assert body.get("reason") == reason, body
    return body


def tenant_namespace(core: client.CoreV1Api, name: str) -> None:
    core.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={MANAGED_BY: "bibind"}))
    )


def container(name: str, image: str, cpu: str = "100m", memory: str = "128Mi", **extra) -> dict:
    resources = {"cpu": cpu, "memory": memory}
    return {"name": name, "image": image, "resources": {"requests": resources, "limits": resources}, **extra}


def deployment(name: str, replicas: int = 1, containers: list | None = None) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {APP: name, MANAGED_BY: "bibind"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {APP: name}},
            "template": {
                "metadata": {"labels": {APP: name}},
                "spec": {"containers": containers or [container(name, "nginx:1.27")]},
            },
        },
    }


def stateful_set(name: str, replicas: int = 1) -> dict:
    manifest = deployment(name, replicas)
    manifest["kind"] = "StatefulSet"
    manifest["spec"]["serviceName"] = name
    manifest["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    manifest["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    ]
    return manifest


def test_discovery_lists_what_is_served(sim, kube):
    assert client.VersionApi(kube).get_code().git_version.startswith("v1.33")
    versions = client.CoreApi(kube).get_api_versions()
    assert versions.versions == ["v1"]
    assert versions.server_address_by_client_cidrs[0].client_cidr == "0.0.0.0/0"

    groups = {group.name: group for group in client.ApisApi(kube).get_api_versions().groups}
    assert set(groups) == {"apps", "batch", "networking.k8s.io", "cert-manager.io", "metrics.k8s.io"}
    assert groups["apps"].preferred_version.group_version == "apps/v1"
    assert client.AppsApi(kube).get_api_group().versions[0].version == "v1"

    core_resources = {resource.name: resource for resource in client.CoreV1Api(kube).get_api_resources().resources}
    assert core_resources["namespaces"].namespaced is False
    assert core_resources["namespaces"].short_names == ["ns"]
    assert core_resources["configmaps"].kind == "ConfigMap"
    assert "patch" in core_resources["secrets"].verbs
    assert core_resources["pods"].verbs == ["get", "list"]
    assert core_resources["nodes/proxy"].kind == "NodeProxyOptions"

    app_resources = {resource.name: resource for resource in client.AppsV1Api(kube).get_api_resources().resources}
    scale = app_resources["deployments/scale"]
    assert (scale.group, scale.version, scale.kind) == ("autoscaling", "v1", "Scale")
    assert sorted(scale.verbs) == ["get", "patch", "update"]
    assert "statefulsets/scale" in app_resources
    assert {r.name for r in client.BatchV1Api(kube).get_api_resources().resources} == {"jobs"}
    networking = {r.name for r in client.NetworkingV1Api(kube).get_api_resources().resources}
    assert networking == {"networkpolicies", "ingresses"}

    request = urllib.request.Request(f"{sim.url}/apis/example.com/v1", headers={"Authorization": f"Bearer {TOKEN}"})
    with pytest.raises(urllib.error.HTTPError) as unknown:
        urllib.request.urlopen(request)
    assert unknown.value.code == 404
    assert json.loads(unknown.value.read())["message"] == "the server could not find the requested resource"


def test_the_dynamic_client_finds_kinds_through_discovery(kube, core, tmp_path):
    tenant_namespace(core, "dynamic")
    client.AppsV1Api(kube).create_namespaced_deployment("dynamic", deployment("web", replicas=2))
    discovered = dynamic.DynamicClient(kube, cache_file=str(tmp_path / "discovery.json"))
    deployments = discovered.resources.get(api_version="apps/v1", kind="Deployment")
    assert deployments.namespaced and deployments.name == "deployments"
    found = deployments.get(name="web", namespace="dynamic")
    assert found.spec.replicas == 2
    assert "scale" in deployments.subresources
    namespaces = discovered.resources.get(api_version="v1", kind="Namespace")
    assert "dynamic" in [item.metadata.name for item in namespaces.get().items]


def test_a_namespace_is_created_patched_listed_then_terminates(core):
    created = core.create_namespace(
        client.V1Namespace(
            metadata=client.V1ObjectMeta(
                name="tenant-a", labels={MANAGED_BY: "bibind", "bibind.io/subscription": "s-1"}
            )
        )
    )
    assert created.metadata.labels["kubernetes.io/metadata.name"] == "tenant-a"
    assert created.spec.finalizers == ["kubernetes"]
    assert created.status.phase == "Active"
    assert core.read_namespace("tenant-a").metadata.uid == created.metadata.uid

    patched = core.patch_namespace("tenant-a", {"metadata": {"labels": {"bibind.io/offer": "shop"}}})
    assert patched.metadata.labels["bibind.io/offer"] == "shop"
    assert patched.metadata.labels["bibind.io/subscription"] == "s-1"
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)

    managed = core.list_namespace(label_selector=f"{MANAGED_BY}=bibind,bibind.io/offer in (shop)")
    assert [namespace.metadata.name for namespace in managed.items] == ["tenant-a"]
    body = raises(409, "AlreadyExists", core.create_namespace, {"metadata": {"name": "tenant-a"}})
    assert body["message"] == 'namespaces "tenant-a" already exists'
    assert body["details"] == {"name": "tenant-a", "kind": "namespaces"}

    # The API server answers a namespace's DELETE with the Namespace itself
    # (the client declares an untyped object: a dict).
    terminating = core.delete_namespace("tenant-a")
    assert terminating["kind"] == "Namespace" and terminating["status"]["phase"] == "Terminating"
    assert core.read_namespace("tenant-a").metadata.deletion_timestamp is not None
    body = raises(
        403, "Forbidden", core.create_namespaced_config_map, "tenant-a", {"metadata": {"name": "late"}}
    )
    assert body["message"] == (
        'configmaps "late" is forbidden: unable to create new content in namespace tenant-a '
        "because it is being terminated"
    )
    assert body["details"]["causes"][0]["reason"] == "NamespaceTerminating"
    # Deleted again: the namespace is answered, still terminating (kube-apiserver 1.37).
    again = core.delete_namespace("tenant-a")
    assert again["kind"] == "Namespace" and again["status"]["phase"] == "Terminating"

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            core.read_namespace("tenant-a")
        except ApiException as gone:
            assert gone.status == 404
            assert status_of(gone)["message"] == 'namespaces "tenant-a" not found'
            break
        time.sleep(0.05)
    else:
        pytest.fail("the namespace never went away")


def test_quota_limits_secrets_and_service_accounts(core, apps):
    tenant_namespace(core, "quota")
    hard = {"requests.cpu": "1", "limits.cpu": "1", "requests.memory": "1Gi", "limits.memory": "1Gi",
            "requests.storage": "5Gi", "count/jobs.batch": "3"}
    core.create_namespaced_resource_quota(
        "quota", {"metadata": {"name": "bibind-quota", "labels": {MANAGED_BY: "bibind"}}, "spec": {"hard": hard}}
    )
    quota = core.read_namespaced_resource_quota("bibind-quota", "quota")
    assert quota.status.hard == hard
    assert quota.status.used["requests.cpu"] == "0"
    # A strategic merge patch merges maps and deletes what is null, like a merge patch.
    patched = core.patch_namespaced_resource_quota(
        "bibind-quota", "quota", {"spec": {"hard": {"count/jobs.batch": None, "requests.cpu": "2", "limits.cpu": "2"}}}
    )
    assert "count/jobs.batch" not in patched.spec.hard
    assert patched.spec.hard["requests.cpu"] == "2"

    core.create_namespaced_limit_range(
        "quota",
        {"metadata": {"name": "bibind-limits"},
         "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}},
    )
    limits = core.read_namespaced_limit_range("bibind-limits", "quota")
    limits.spec.limits[0].default = {"cpu": "500m", "memory": "512Mi"}
    replaced = core.replace_namespaced_limit_range("bibind-limits", "quota", limits)
    assert replaced.spec.limits[0].default == {"cpu": "500m", "memory": "512Mi"}

    # Over the quota (3 replicas × 1 CPU > 2): the API server takes the
    # Deployment; its pods are what a real cluster refuses, later.
    big = apps.create_namespaced_deployment(
        "quota", deployment("big", replicas=3, containers=[container("big", "nginx", cpu="1")])
    )
    assert big.spec.replicas == 3
    apps.delete_namespaced_deployment("big", "quota")

    secret = core.create_namespaced_secret(
        "quota", {"metadata": {"name": "env", "labels": {MANAGED_BY: "bibind"}}, "stringData": {"PASSWORD": "hunter22"}}
    )
    assert secret.data == {"PASSWORD": "aHVudGVyMjI="} and secret.type == "Opaque"
    stale = core.read_namespaced_secret("env", "quota")
    stale.data = {"PASSWORD": "c2VjcmV0"}
    fresh = core.replace_namespaced_secret("env", "quota", stale)
    assert fresh.data == {"PASSWORD": "c2VjcmV0"}
    body = raises(409, "Conflict", core.replace_namespaced_secret, "env", "quota", stale)
    assert body["message"] == (
        'Operation cannot be fulfilled on secrets "env": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )

    account = core.read_namespaced_service_account("default", "quota")
    assert account.metadata.name == "default"
    core.patch_namespaced_service_account("default", "quota", {"secrets": [{"name": "one"}]})
    merged = core.patch_namespaced_service_account("default", "quota", {"secrets": [{"name": "two"}]})
    assert [reference.name for reference in merged.secrets] == ["two", "one"], "merged by name"
    assert core.read_namespaced_config_map("kube-root-ca.crt", "quota").data["ca.crt"].startswith("-----BEGIN")
    raises(404, "NotFound", core.read_namespaced_secret, "missing", "quota")


def test_strategic_merge_patch_merges_containers_env_and_ports(core, apps):
    tenant_namespace(core, "smp")
    app = container("app", "shop:1", env=[{"name": "MODE", "value": "prod"}, {"name": "LOG", "value": "info"}],
                    ports=[{"name": "http", "containerPort": 8080, "protocol": "TCP"}])
    apps.create_namespaced_deployment("smp", deployment("shop", containers=[app, container("proxy", "envoy:1")]))

    patched = apps.patch_namespaced_deployment(
        "shop", "smp",
        {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "shop:2",
             "env": [{"name": "LOG", "value": "debug"}, {"name": "NEW", "value": "1"}],
             "ports": [{"containerPort": 9090, "name": "metrics"}]},
        ]}}}},
    )
    containers = patched.spec.template.spec.containers
    assert [c.name for c in containers] == ["app", "proxy"], "containers merged by name, none lost"
    assert containers[0].image == "shop:2"
    assert [(e.name, e.value) for e in containers[0].env] == [("MODE", "prod"), ("LOG", "debug"), ("NEW", "1")]
    # Merged by containerPort; as in apimachinery, what the patch names comes before what it does not.
    assert [(p.container_port, p.protocol) for p in containers[0].ports] == [(9090, "TCP"), (8080, "TCP")]
    assert containers[0].resources.requests == {"cpu": "100m", "memory": "128Mi"}
    assert patched.metadata.generation == 2

    removed = apps.patch_namespaced_deployment(
        "shop", "smp",
        {"spec": {"template": {"spec": {"containers": [
            {"name": "proxy", "$patch": "delete"},
            {"name": "app", "env": [{"name": "MODE", "$patch": "delete"}]},
        ]}}}},
    )
    containers = removed.spec.template.spec.containers
    assert [c.name for c in containers] == ["app"]
    assert [e.name for e in containers[0].env] == ["LOG", "NEW"]

    service = core.create_namespaced_service(
        "smp", {"metadata": {"name": "shop"},
                "spec": {"selector": {APP: "shop"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
    )
    assert service.spec.cluster_ip.startswith("10.96.")
    patched = core.patch_namespaced_service("shop", "smp", {"spec": {"ports": [{"name": "metrics", "port": 9090}]}})
    assert [port.port for port in patched.spec.ports] == [9090, 80], "ports merged by port"
    assert patched.spec.cluster_ip == service.spec.cluster_ip

    config = core.create_namespaced_config_map("smp", {"metadata": {"name": "settings"}, "data": {"a": "1", "b": "2"}})
    replaced = core.patch_namespaced_config_map(
        "settings", "smp", {"metadata": {"finalizers": ["example.com/keep"]}, "data": {"$patch": "replace", "c": "3"}}
    )
    assert replaced.data == {"c": "3"}
    assert replaced.metadata.finalizers == ["example.com/keep"]
    assert replaced.metadata.uid == config.metadata.uid

    # A model object as the body is a strategic merge patch too: only the fields it sets.
    labelled = core.patch_namespaced_config_map(
        "settings", "smp", client.V1ConfigMap(metadata=client.V1ObjectMeta(labels={"tier": "web"}))
    )
    assert labelled.metadata.labels == {"tier": "web"} and labelled.data == {"c": "3"}

    # JSON patch and merge patch still apply when asked for by Content-Type.
    core.patch_namespaced_config_map("settings", "smp", [{"op": "add", "path": "/data/d", "value": "4"}])
    merged = core.patch_namespaced_config_map(
        "settings", "smp", {"data": {"c": None}}, _content_type="application/merge-patch+json"
    )
    assert merged.data == {"d": "4"}


def test_patch_errors_are_the_api_servers(core, apps):
    tenant_namespace(core, "patch-errors")
    apps.create_namespaced_deployment("patch-errors", deployment("web"))
    body = raises(
        415, "UnsupportedMediaType", apps.patch_namespaced_deployment, "web", "patch-errors",
        {"spec": {"replicas": 2}}, _content_type="application/json",
    )
    assert body["message"].startswith("the body of the request was in an unknown format - accepted media types include:")
    assert "application/strategic-merge-patch+json" in body["message"]
    # A list element without its merge key is the library's plain error: 500, no reason.
    body = raises(
        500, None, apps.patch_namespaced_deployment, "web", "patch-errors",
        {"spec": {"template": {"spec": {"containers": [{"image": "nginx:2"}]}}}},
    )
    assert body["message"] == "map: map[image:nginx:2] does not contain declared merge key: name"
    body = raises(
        400, "BadRequest", apps.patch_namespaced_deployment, "web", "patch-errors",
        {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}},
    )
    assert body["message"] == "invalid patch format of retainKeys"
    body = raises(
        422, "Invalid", core.patch_namespaced_config_map, "kube-root-ca.crt", "patch-errors",
        [{"op": "test", "path": "/data/ca.crt", "value": "other"}],
    )
    assert body["message"] == "the server rejected our request due to an error in our request"
    body = raises(
        422, "Invalid", apps.patch_namespaced_deployment, "web", "patch-errors",
        {"spec": {"selector": {"matchLabels": {APP: "other"}}}},
    )
    assert body["message"].startswith('Deployment.apps "web" is invalid: spec.template.metadata.labels')
    assert body["details"]["causes"][0]["field"] == "spec.template.metadata.labels"
    raises(404, "NotFound", apps.patch_namespaced_deployment, "missing", "patch-errors", {"spec": {"replicas": 2}})


def test_deployments_list_by_label_page_and_scale(core, apps):
    tenant_namespace(core, "shop")
    for name in ("alpha", "beta", "gamma"):
        apps.create_namespaced_deployment("shop", deployment(name, replicas=1))
    apps.create_namespaced_deployment(
        "shop", {**deployment("handmade"), "metadata": {"name": "handmade", "labels": {APP: "handmade"}}}
    )
    managed = apps.list_namespaced_deployment("shop", label_selector=f"{MANAGED_BY}=bibind")
    assert [item.metadata.name for item in managed.items] == ["alpha", "beta", "gamma"]
    first = apps.list_namespaced_deployment("shop", label_selector=f"{MANAGED_BY}=bibind", limit=2)
    assert len(first.items) == 2 and first.metadata.remaining_item_count == 1
    rest = apps.list_namespaced_deployment(
        "shop", label_selector=f"{MANAGED_BY}=bibind", limit=2, _continue=first.metadata._continue
    )
    assert [item.metadata.name for item in rest.items] == ["gamma"] and not rest.metadata._continue
    assert len(apps.list_deployment_for_all_namespaces(label_selector=f"{APP}=alpha").items) == 1

    scale = apps.read_namespaced_deployment_scale("alpha", "shop")
    assert (scale.kind, scale.api_version) == ("Scale", "autoscaling/v1")
    assert scale.spec.replicas == 1 and scale.status.replicas == 1
    assert scale.status.selector == f"{APP}=alpha"
    patched = apps.patch_namespaced_deployment_scale("alpha", "shop", {"spec": {"replicas": 3}})
    assert patched.spec.replicas == 3 and patched.status.replicas == 3
    alpha = apps.read_namespaced_deployment("alpha", "shop")
    assert alpha.spec.replicas == 3 and alpha.status.ready_replicas == 3
    assert alpha.metadata.generation == 2
    pods = core.list_namespaced_pod("shop", label_selector=f"{APP}=alpha")
    assert len(pods.items) == 3 and all(pod.status.phase == "Running" for pod in pods.items)
    assert core.read_namespaced_pod(pods.items[0].metadata.name, "shop").spec.node_name == "sim-node-1"

    current = apps.read_namespaced_deployment_scale("alpha", "shop")
    current.spec.replicas = 0
    replaced = apps.replace_namespaced_deployment_scale("alpha", "shop", current)
    assert replaced.spec.replicas is None, "autoscaling/v1 omits 0 replicas"
    assert replaced.status.replicas == 0
    assert core.list_namespaced_pod("shop", label_selector=f"{APP}=alpha").items == []

    body = raises(409, "Conflict", apps.replace_namespaced_deployment_scale, "alpha", "shop", current)
    assert body["message"].startswith('Operation cannot be fulfilled on deployments.apps "alpha"')
    body = raises(
        422, "Invalid", apps.patch_namespaced_deployment_scale, "alpha", "shop", {"spec": {"replicas": -1}}
    )
    assert body["message"] == (
        'Scale.autoscaling "alpha" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    )
    assert body["details"]["group"] == "autoscaling" and body["details"]["kind"] == "Scale"
    body = raises(
        409, "Conflict", apps.replace_namespaced_deployment_scale, "beta", "shop",
        {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "beta", "uid": "not-its-uid"},
         "spec": {"replicas": 2}},
    )
    assert "Precondition failed: UID in precondition: not-its-uid" in body["message"]
    assert body["details"]["kind"] == "deployments/scale"
    body = raises(404, "NotFound", apps.read_namespaced_deployment_scale, "missing", "shop")
    assert body["message"] == 'deployments.apps "missing" not found'
    raises(
        400, "BadRequest", apps.replace_namespaced_deployment_scale, "beta", "shop",
        {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "alpha"}, "spec": {"replicas": 1}},
    )

    body = raises(
        422, "Invalid", apps.create_namespaced_deployment, "shop",
        {"metadata": {"name": "Bad_Name"},
         "spec": {"selector": {"matchLabels": {APP: "x"}}, "template": {"spec": {"containers": []}}}},
    )
    assert body["message"].startswith('Deployment.apps "Bad_Name" is invalid: [metadata.name')
    assert {cause["field"] for cause in body["details"]["causes"]} == {
        "metadata.name", "spec.template.spec.containers", "spec.template.metadata.labels"
    }
    body = raises(409, "AlreadyExists", apps.create_namespaced_deployment, "shop", deployment("alpha"))
    assert body["message"] == 'deployments.apps "alpha" already exists'

    alpha = apps.read_namespaced_deployment("alpha", "shop")
    alpha.metadata.annotations = {"bibind.io/replicas": "1"}
    assert apps.replace_namespaced_deployment("alpha", "shop", alpha).metadata.annotations == {"bibind.io/replicas": "1"}
    # The client declares this answer an untyped object: the Status as a dict.
    deleted = apps.delete_namespaced_deployment("gamma", "shop")
    assert deleted["status"] == "Success" and deleted["details"]["name"] == "gamma"
    raises(404, "NotFound", apps.delete_namespaced_deployment, "gamma", "shop")


def test_stateful_sets_get_claims_and_scale(core, apps):
    tenant_namespace(core, "db")
    created = apps.create_namespaced_stateful_set("db", stateful_set("pg", replicas=1))
    assert created.metadata.generation == 1
    scaled = apps.patch_namespaced_stateful_set_scale("pg", "db", {"spec": {"replicas": 2}})
    assert scaled.spec.replicas == 2
    current = apps.read_namespaced_stateful_set_scale("pg", "db")
    assert current.status.replicas == 2 and current.status.selector == f"{APP}=pg"
    claims = core.list_namespaced_persistent_volume_claim("db", label_selector=f"{APP}=pg")
    assert [claim.metadata.name for claim in claims.items] == ["data-pg-0", "data-pg-1"]
    assert claims.items[0].status.phase == "Bound"
    pods = core.list_namespaced_pod("db")
    assert [pod.metadata.name for pod in pods.items] == ["pg-0", "pg-1"]
    replaced = apps.replace_namespaced_stateful_set_scale(
        "pg", "db", {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "pg"}, "spec": {"replicas": 1}}
    )
    assert replaced.spec.replicas == 1
    assert apps.read_namespaced_stateful_set("pg", "db").spec.replicas == 1
    raises(404, "NotFound", core.read_namespaced_persistent_volume_claim, "data-pg-9", "db")
    claim = core.create_namespaced_persistent_volume_claim(
        "db", {"metadata": {"name": "scratch"},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    )
    assert claim.spec.resources.requests == {"storage": "1Gi"}
    # Claims, like Services, ServiceAccounts and ResourceQuotas, answer a DELETE with themselves.
    assert core.delete_namespaced_persistent_volume_claim("scratch", "db").metadata.uid == claim.metadata.uid
    raises(404, "NotFound", core.read_namespaced_persistent_volume_claim, "scratch", "db")


def test_jobs_policies_and_ingresses(kube, core):
    tenant_namespace(core, "edge")
    batch = client.BatchV1Api(kube)
    job = batch.create_namespaced_job(
        "edge",
        {"metadata": {"name": "migrate", "labels": {MANAGED_BY: "bibind"}},
         "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never",
                                                          "containers": [container("migrate", "shop:1", args=["migrate"])]}}}},
    )
    assert job.metadata.name == "migrate"
    finished = batch.read_namespaced_job("migrate", "edge")
    assert finished.status.succeeded == 1
    assert [(c.type, c.status) for c in finished.status.conditions] == [("Complete", "True")]
    # The client declares this answer an untyped object: the Status as a dict.
    assert batch.delete_namespaced_job("migrate", "edge")["status"] == "Success"

    networking = client.NetworkingV1Api(kube)
    networking.create_namespaced_network_policy(
        "edge",
        {"metadata": {"name": "bibind-isolation", "labels": {MANAGED_BY: "bibind"}},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                  "ingress": [{"from": [{"podSelector": {}}]}], "egress": [{"to": [{"podSelector": {}}]}]}},
    )
    # Rules carry no patch strategy: the patch's list replaces them.
    patched = networking.patch_namespaced_network_policy(
        "bibind-isolation", "edge", {"spec": {"egress": [{"ports": [{"protocol": "UDP", "port": 53}]}]}}
    )
    assert len(patched.spec.egress) == 1 and patched.spec.egress[0].to is None
    assert patched.spec.ingress[0]._from[0].pod_selector is not None
    assert patched.metadata.generation == 2

    ingress = networking.create_namespaced_ingress(
        "edge",
        {"metadata": {"name": "shop", "labels": {MANAGED_BY: "bibind"}},
         "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["shop.example"], "secretName": "shop-tls"}],
                  "rules": [{"host": "shop.example", "http": {"paths": [
                      {"path": "/", "pathType": "Prefix",
                       "backend": {"service": {"name": "shop", "port": {"number": 80}}}}]}}]}},
    )
    assert ingress.spec.rules[0].host == "shop.example"
    annotated = networking.patch_namespaced_ingress(
        "shop", "edge", {"metadata": {"annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"}}}
    )
    assert annotated.metadata.annotations["cert-manager.io/cluster-issuer"] == "letsencrypt"
    assert [i.metadata.name for i in networking.list_namespaced_ingress("edge", label_selector=MANAGED_BY).items] == ["shop"]
    assert networking.delete_namespaced_ingress("shop", "edge")["status"] == "Success"
    body = raises(404, "NotFound", networking.read_namespaced_ingress, "shop", "edge")
    assert body["details"] == {"name": "shop", "group": "networking.k8s.io", "kind": "ingresses"}


def test_cert_manager_certificates_are_custom_objects(kube, core, tmp_path):
    tenant_namespace(core, "certs")
    custom = client.CustomObjectsApi(kube)
    where = {"group": "cert-manager.io", "version": "v1", "namespace": "certs", "plural": "certificates"}
    created = custom.create_namespaced_custom_object(
        **where,
        body={"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
              "metadata": {"name": "shop-example-fr", "labels": {MANAGED_BY: "bibind"}},
              "spec": {"secretName": "shop-example-fr-tls", "dnsNames": ["shop.example.fr"],
                       "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}}},
    )
    assert created["metadata"]["generation"] == 1
    # The client patches custom objects with a merge patch.
    patched = custom.patch_namespaced_custom_object(
        **where, name="shop-example-fr", body={"spec": {"dnsNames": ["shop.example.fr", "www.shop.example.fr"]}}
    )
    assert patched["spec"]["dnsNames"] == ["shop.example.fr", "www.shop.example.fr"]
    assert patched["metadata"]["generation"] == 2
    ready = custom.patch_namespaced_custom_object_status(
        **where, name="shop-example-fr", body={"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    )
    assert ready["status"]["conditions"][0]["type"] == "Ready"
    listed = custom.list_namespaced_custom_object(**where, label_selector=f"{MANAGED_BY}=bibind")
    assert [item["metadata"]["name"] for item in listed["items"]] == ["shop-example-fr"]
    assert listed["items"][0]["kind"] == "Certificate"

    # The DynamicClient finds the kind, and patches strategically by default:
    # a custom resource refuses that, as on a real cluster.
    discovered = dynamic.DynamicClient(kube, cache_file=str(tmp_path / "discovery.json"))
    certificates = discovered.resources.get(api_version="cert-manager.io/v1", kind="Certificate")
    assert certificates.short_names == ["cert", "certs"] and "status" in certificates.subresources
    body = raises(415, "UnsupportedMediaType", certificates.patch,
                  name="shop-example-fr", namespace="certs", body={"spec": {"dnsNames": []}})
    assert body["message"].endswith(
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )
    merged = certificates.patch(name="shop-example-fr", namespace="certs", body={"spec": {"duration": "2160h"}},
                                content_type="application/merge-patch+json")
    assert merged.spec.duration == "2160h"

    assert custom.delete_namespaced_custom_object(**where, name="shop-example-fr")["status"] == "Success"
    raises(404, "NotFound", custom.get_namespaced_custom_object, **where, name="shop-example-fr")


def test_consumption_is_read_from_pod_metrics_and_the_node_summary(sim, kube, core, apps):
    tenant_namespace(core, "metered")
    apps.create_namespaced_deployment("metered", deployment("web", replicas=2))
    apps.create_namespaced_stateful_set("metered", stateful_set("db"))

    metrics = client.CustomObjectsApi(kube).list_namespaced_custom_object("metrics.k8s.io", "v1beta1", "metered", "pods")
    assert metrics["kind"] == "PodMetricsList" and len(metrics["items"]) == 3
    usage = metrics["items"][0]["containers"][0]["usage"]
    assert usage["cpu"].endswith("n") and usage["memory"].endswith("Ki")
    one = client.CustomObjectsApi(kube).get_namespaced_custom_object(
        "metrics.k8s.io", "v1beta1", "metered", "pods", "db-0"
    )
    assert one["kind"] == "PodMetrics" and one["metadata"]["name"] == "db-0"

    pods = core.list_namespaced_pod("metered")
    assert {pod.spec.node_name for pod in pods.items} == {"sim-node-1"}
    assert core.list_node().items[0].metadata.name == "sim-node-1"
    # The kubelet's Summary through the API server's node proxy, read raw as its JSON.
    answer = core.connect_get_node_proxy_with_path("sim-node-1", "stats/summary", _preload_content=False)
    summary = json.loads(answer.data)
    volumes = [volume for pod in summary["pods"] if pod["podRef"]["namespace"] == "metered"
               for volume in pod.get("volume", []) if "pvcRef" in volume]
    assert [volume["pvcRef"]["name"] for volume in volumes] == ["data-db-0"]
    assert volumes[0]["capacityBytes"] == 1024**3 and 0 < volumes[0]["usedBytes"] < 1024**3
    raises(404, "NotFound", core.connect_get_node_proxy_with_path, "other-node", "stats/summary")


def test_injected_faults_reach_the_client_as_statuses(sim, apps, core):
    tenant_namespace(core, "faulty")
    apps.create_namespaced_deployment("faulty", deployment("web"))
    request = urllib.request.Request(
        f"{sim.url}/_sim/faults/patch_deployment_scale", data=json.dumps({"status": 503, "times": 1}).encode(),
        method="PUT", headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).close()
    raises(503, "ServiceUnavailable", apps.patch_namespaced_deployment_scale, "web", "faulty", {"spec": {"replicas": 2}})
    assert apps.patch_namespaced_deployment_scale("web", "faulty", {"spec": {"replicas": 2}}).spec.replicas == 2


def test_tokens_are_checked_as_the_api_server_does(sim):
    body = raises(401, "Unauthorized", client.CoreV1Api(api_client(sim.url, "wrong")).list_namespace)
    assert body["message"] == "Unauthorized"
    anonymous = api_client(sim.url, token=None)
    body = raises(403, "Forbidden", client.CoreV1Api(anonymous).read_namespace, "default")
    assert body["message"] == (
        'namespaces "default" is forbidden: User "system:anonymous" cannot get resource "namespaces" '
        'in API group "" in the namespace "default"'
    )
    body = raises(403, "Forbidden", client.ApisApi(anonymous).get_api_versions)
    assert body["message"] == 'forbidden: User "system:anonymous" cannot get path "/apis/"'
    assert client.VersionApi(anonymous).get_code().major == "1"
