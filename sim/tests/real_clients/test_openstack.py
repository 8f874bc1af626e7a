"""openstacksdk and the `openstack` CLI against `sim openstack`, behind the
test stack's REAL Keystone, finding Nova, Cinder and Neutron through the
token's service catalog as they would in a real cloud.

Each test module run registers the simulator's public endpoints (with an
identity endpoint, since the clients look Keystone up in the catalog too)
under a region of its own, through openstacksdk's identity API, and removes
them at the end. Covered: what the portal's client
(`control/src/backends/openstack`) does: quota show, set and reset on Nova,
Cinder and Neutron, plus the errors each service answers in its own shape.
"""

import json
import os
import subprocess
import types
import uuid

import openstack
import pytest
import requests
from keystoneauth1 import exceptions as keystone_errors
from openstack import exceptions

KEYSTONE_URL = os.environ.get("TEST_KEYSTONE_URL")
ADMIN_PASSWORD = os.environ.get("TEST_KEYSTONE_ADMIN_PASSWORD")
ADMIN_USER = os.environ.get("TEST_KEYSTONE_ADMIN_USER", "admin")
ADMIN_PROJECT = os.environ.get("TEST_KEYSTONE_ADMIN_PROJECT", "admin")
DOMAIN = os.environ.get("TEST_KEYSTONE_DOMAIN", "Default")
# Where `keystone-manage bootstrap` put Keystone's own endpoint.
BOOTSTRAP_REGION = "RegionOne"

pytestmark = pytest.mark.skipif(
    not (KEYSTONE_URL and ADMIN_PASSWORD),
    reason="needs the test stack's Keystone: TEST_KEYSTONE_URL and "
    "TEST_KEYSTONE_ADMIN_PASSWORD (cargo xtask test, or source .data/test-services.env)",
)

# Type, name and path on the simulator of each service the catalog gets, as
# devstack registers the real ones.
SERVICES = [
    ("compute", "nova", "/compute/v2.1"),
    ("block-storage", "cinder", "/volume/v3"),
    ("volumev3", "cinderv3", "/volume/v3"),
    ("network", "neutron", "/network"),
]


def credentials(**overrides) -> dict:
    return {
        "auth_url": KEYSTONE_URL,
        "username": ADMIN_USER,
        "password": ADMIN_PASSWORD,
        "project_name": ADMIN_PROJECT,
        "user_domain_name": DOMAIN,
        "project_domain_name": DOMAIN,
        **overrides,
    }


def service_of_type(admin, kind: str, name: str):
    """The catalog's service of that type (another test may have made it)."""
    existing = list(admin.identity.services(type=kind))
    if existing:
        return existing[0]
    return admin.identity.create_service(type=kind, name=name, is_enabled=True)


@pytest.fixture(scope="module")
def cloud(start_sim):
    sim = start_sim("openstack", "--keystone-url", KEYSTONE_URL)
    admin = openstack.connect(region_name=BOOTSTRAP_REGION, **credentials())
    region = admin.identity.create_region(id=f"rc-{uuid.uuid4().hex[:12]}")
    endpoints = [
        admin.identity.create_endpoint(
            service_id=service_of_type(admin, "identity", "keystone").id,
            interface="public",
            region_id=region.id,
            url=KEYSTONE_URL,
        )
    ]
    for kind, name, path in SERVICES:
        endpoints.append(
            admin.identity.create_endpoint(
                service_id=service_of_type(admin, kind, name).id,
                interface="public",
                region_id=region.id,
                url=f"{sim.url}{path}",
            )
        )
    project = admin.identity.create_project(
        name=f"rc-{uuid.uuid4().hex[:12]}", domain_id="default", description="real clients"
    )
    yield types.SimpleNamespace(
        sim=sim,
        region=region.id,
        project=project,
        admin=admin,
        conn=openstack.connect(region_name=region.id, **credentials()),
    )
    admin.identity.update_project(project, is_enabled=False)
    admin.identity.delete_project(project)
    for endpoint in endpoints:
        admin.identity.delete_endpoint(endpoint)
    admin.identity.delete_region(region)


def set_usage(cloud, service: str, usage: dict) -> None:
    """What the project uses (the simulator's test hook)."""
    answer = requests.put(
        f"{cloud.sim.url}/_sim/usage/{service}/{cloud.project.id}", json=usage, timeout=10
    )
    assert answer.status_code == 204


def test_the_services_are_found_in_the_catalog_and_discovered(cloud):
    conn = cloud.conn
    compute = conn.compute.get_endpoint_data()
    assert compute.service_url.rstrip("/") == f"{cloud.sim.url}/compute/v2.1"
    assert (compute.min_microversion, compute.max_microversion) == ((2, 1), (2, 96))
    block_storage = conn.block_storage.get_endpoint_data()
    assert block_storage.service_url.rstrip("/") == f"{cloud.sim.url}/volume/v3"
    assert block_storage.max_microversion == (3, 71)
    network = conn.network.get_endpoint_data()
    assert network.service_url.rstrip("/") == f"{cloud.sim.url}/network/v2.0"


def test_compute_quota_set_is_shown_updated_and_reverted(cloud):
    conn, project = cloud.conn, cloud.project.id
    shown = conn.compute.get_quota_set(project)
    assert (shown.cores, shown.ram, shown.instances) == (20, 51200, 10)

    updated = conn.compute.update_quota_set(project, cores=8, ram=16384, instances=4)
    assert (updated.cores, updated.ram, updated.instances) == (8, 16384, 4)
    detail = conn.compute.get_quota_set(project, usage=True)
    assert (detail.cores, detail.usage["cores"], detail.reservation["cores"]) == (8, 0, 0)
    assert conn.compute.get_quota_set_defaults(project).cores == 20

    assert conn.compute.revert_quota_set(project) is None
    assert conn.compute.get_quota_set(project).cores == 20


def test_block_storage_quota_set_is_shown_updated_and_reverted(cloud):
    conn, project = cloud.conn, cloud.project.id
    shown = conn.block_storage.get_quota_set(project)
    assert (shown.volumes, shown.gigabytes) == (10, 1000)

    updated = conn.block_storage.update_quota_set(project, volumes=6, gigabytes=200)
    assert (updated.volumes, updated.gigabytes) == (6, 200)
    with_usage = conn.block_storage.get_quota_set(project, usage=True)
    assert (with_usage.volumes, with_usage.usage["volumes"]) == (6, 0)
    assert conn.block_storage.get_quota_set_defaults(project).volumes == 10

    assert conn.block_storage.revert_quota_set(project) is None
    assert conn.block_storage.get_quota_set(project).volumes == 10


def test_network_quota_is_shown_updated_and_deleted(cloud):
    conn, project = cloud.conn, cloud.project.id
    assert conn.network.get_quota(project).networks == 100

    updated = conn.network.update_quota(project, networks=2, check_limit=True)
    assert updated.networks == 2
    details = conn.network.get_quota(project, details=True)
    assert details.networks == {"limit": 2, "used": 0, "reserved": 0}
    assert conn.network.get_quota_default(project).networks == 100

    assert conn.network.delete_quota(project) is None
    assert conn.network.get_quota(project).networks == 100


def openstack_cli(cloud, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "OS_AUTH_URL": KEYSTONE_URL,
        "OS_IDENTITY_API_VERSION": "3",
        "OS_USERNAME": ADMIN_USER,
        "OS_PASSWORD": ADMIN_PASSWORD,
        "OS_PROJECT_NAME": ADMIN_PROJECT,
        "OS_USER_DOMAIN_NAME": DOMAIN,
        "OS_PROJECT_DOMAIN_NAME": DOMAIN,
        "OS_REGION_NAME": cloud.region,
    }
    return subprocess.run(
        ["openstack", *args], env=env, capture_output=True, text=True, timeout=120
    )


def cli_quota(cloud, service: str) -> dict:
    shown = openstack_cli(cloud, "quota", "show", f"--{service}", "-f", "json", cloud.project.name)
    assert shown.returncode == 0, shown.stderr
    return {row["Resource"]: row["Limit"] for row in json.loads(shown.stdout)}


def test_the_openstack_cli_shows_sets_and_deletes_quotas(cloud):
    assert cli_quota(cloud, "compute")["cores"] == 20
    assert cli_quota(cloud, "volume")["volumes"] == 10
    assert cli_quota(cloud, "network")["networks"] == 100

    set_ = openstack_cli(
        cloud,
        "quota", "set",
        "--cores", "6", "--ram", "8192", "--instances", "3",
        "--volumes", "5", "--gigabytes", "100",
        "--networks", "4",
        cloud.project.name,
    )
    assert set_.returncode == 0, set_.stderr
    compute = cli_quota(cloud, "compute")
    assert (compute["cores"], compute["ram"], compute["instances"]) == (6, 8192, 3)
    volume = cli_quota(cloud, "volume")
    assert (volume["volumes"], volume["gigabytes"]) == (5, 100)
    assert cli_quota(cloud, "network")["networks"] == 4

    deleted = openstack_cli(cloud, "quota", "delete", cloud.project.name)
    assert deleted.returncode == 0, deleted.stderr
    assert cli_quota(cloud, "compute")["cores"] == 20
    assert cli_quota(cloud, "volume")["volumes"] == 10
    assert cli_quota(cloud, "network")["networks"] == 100

    refused = openstack_cli(cloud, "quota", "set", "--cores", "-5", cloud.project.name)
    assert refused.returncode != 0
    assert "-5 is less than the minimum of -1" in refused.stderr


def test_a_token_keystone_rejects_is_refused_with_401(cloud):
    with pytest.raises(keystone_errors.Unauthorized):
        openstack.connect(
            region_name=cloud.region, **credentials(password="not-the-password")
        ).compute.get_quota_set(cloud.project.id)

    # A token sent as is: the simulator asks Keystone, as keystonemiddleware does.
    forged = openstack.connect(
        auth_type="admin_token",
        auth={"token": "gAAAAABnot-a-real-token", "endpoint": f"{cloud.sim.url}/compute/v2.1"},
    )
    with pytest.raises(exceptions.HttpException) as refused:
        forged.compute.get_quota_set(cloud.project.id)
    assert refused.value.status_code == 401
    assert refused.value.details == "The request you have made requires authentication."


def test_a_project_keystone_does_not_know(cloud):
    conn = cloud.conn
    unknown = uuid.uuid4().hex
    # Nova asks Keystone and refuses it; Cinder and Neutron do not look.
    with pytest.raises(exceptions.BadRequestException) as refused:
        conn.compute.get_quota_set(unknown)
    assert refused.value.status_code == 400
    assert refused.value.details == f"Project ID {unknown} is not a valid project."
    assert conn.block_storage.get_quota_set(unknown).volumes == 10
    assert conn.network.get_quota(unknown).networks == 100


def test_paths_the_services_lack_are_404_in_their_shapes(cloud):
    conn, project = cloud.conn, cloud.project.id
    for proxy, path in [
        (conn.compute, f"/os-quota-sets/{project}/unknown"),
        (conn.block_storage, f"/os-quota-sets/{project}/unknown"),
        (conn.network, f"/quotas/{project}/unknown"),
    ]:
        with pytest.raises(exceptions.NotFoundException) as missing:
            exceptions.raise_from_response(proxy.get(path))
        assert missing.value.details == "The resource could not be found."


def test_limits_below_the_usage_and_bad_values_are_400(cloud):
    conn, project = cloud.conn, cloud.project.id
    with pytest.raises(exceptions.BadRequestException) as refused:
        conn.compute.update_quota_set(project, cores=-5)
    assert refused.value.details == (
        "Invalid input for field/attribute cores. Value: -5. -5 is less than the minimum of -1"
    )

    set_usage(cloud, "compute", {"cores": 12})
    set_usage(cloud, "volume", {"volumes": 9})
    set_usage(cloud, "network", {"network": 3})
    with pytest.raises(exceptions.BadRequestException) as refused:
        conn.compute.update_quota_set(project, cores=8)
    assert refused.value.details == (
        "Quota limit 8 for cores must be greater than or equal to already used and reserved 12."
    )
    assert conn.compute.update_quota_set(project, cores=8, force=True).cores == 8
    with pytest.raises(exceptions.BadRequestException) as refused:
        conn.block_storage.update_quota_set(project, volumes=6)
    assert refused.value.details == (
        "Quota volumes limit must be equal or greater than existing resources. "
        "Current usage is 9 and the requested limit is 6."
    )
    with pytest.raises(exceptions.BadRequestException) as refused:
        conn.network.update_quota(project, networks=2)
    assert refused.value.details == (
        "Quota limit 2 for network must be greater than or equal to already used 3"
    )
    with pytest.raises(exceptions.BadRequestException) as refused:
        conn.network.update_quota(project, networks="many")
    assert "'many' is not an integer." in refused.value.details

    set_usage(cloud, "compute", {"cores": 0})
    set_usage(cloud, "volume", {"volumes": 0})
    set_usage(cloud, "network", {"network": 0})
    conn.compute.revert_quota_set(project)


def test_a_member_may_read_but_not_change_its_quotas_403(cloud):
    admin = cloud.admin
    password = uuid.uuid4().hex
    user = admin.identity.create_user(
        name=f"rc-member-{uuid.uuid4().hex[:8]}", domain_id="default", password=password
    )
    try:
        member_role = admin.identity.find_role("member")
        admin.identity.assign_project_role_to_user(cloud.project, user, member_role)
        member = openstack.connect(
            region_name=cloud.region,
            **credentials(username=user.name, password=password, project_name=cloud.project.name),
        )
        project = cloud.project.id
        assert member.compute.get_quota_set(project).cores == 20
        with pytest.raises(exceptions.ForbiddenException) as refused:
            member.compute.update_quota_set(project, cores=99)
        assert refused.value.details == (
            "Policy doesn't allow os_compute_api:os-quota-sets:update to be performed."
        )
        with pytest.raises(exceptions.ForbiddenException) as refused:
            member.block_storage.update_quota_set(project, volumes=99)
        assert "volume_extension:quotas:update" in refused.value.details
        with pytest.raises(exceptions.ForbiddenException) as refused:
            member.network.update_quota(project, networks=99)
        assert refused.value.details == "rule:update_quota is disallowed by policy"
    finally:
        admin.identity.delete_user(user)


def test_a_taken_project_name_is_409_at_keystone(cloud):
    # What the portal's project step meets when it races: Keystone's conflict.
    with pytest.raises(exceptions.ConflictException) as conflict:
        cloud.admin.identity.create_project(name=cloud.project.name, domain_id="default")
    assert conflict.value.status_code == 409
    assert "Conflict occurred attempting to store project" in conflict.value.details
