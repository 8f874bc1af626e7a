"""python-gitlab against `sim gitlab`, for every call the portal's GitLab
client makes (`control/src/backends/gitlab.rs`) and one error of each kind."""

import gitlab
import pytest

from conftest import GITLAB_TOKEN

READ_TOKEN = "gitlab-real-client-read-token"
PARENT = "bibind"


@pytest.fixture(scope="module")
def sim(start_sim):
    return start_sim("gitlab", "--group", PARENT, SIM_GITLAB_TOKEN=GITLAB_TOKEN, SIM_GITLAB_READ_TOKEN=READ_TOKEN)


@pytest.fixture
def gl(sim):
    client = gitlab.Gitlab(sim.url, private_token=GITLAB_TOKEN, per_page=2)
    client.auth()
    return client


def test_the_token_owner_and_version_are_what_the_client_reads_first(gl):
    assert gl.user is not None and gl.user.username == "bibind-provisioning"
    version, revision = gl.version()
    assert version.startswith("18.") and revision


def test_a_subgroup_is_created_found_by_its_full_path_and_renamed(gl):
    parent = gl.groups.get(PARENT)
    created = gl.groups.create(
        {"name": "Shop A", "path": "shop-a", "visibility": "private", "description": "bibind:1", "parent_id": parent.id}
    )
    assert created.full_path == f"{PARENT}/shop-a"
    assert created.parent_id == parent.id
    found = gl.groups.get(f"{PARENT}/shop-a")
    assert (found.id, found.visibility, found.description) == (created.id, "private", "bibind:1")
    found.name = "Shop A renamed"
    found.save()
    assert gl.groups.get(created.id).name == "Shop A renamed"


def test_a_taken_path_is_refused_with_gitlabs_message(gl):
    parent = gl.groups.get(PARENT)
    gl.groups.create({"name": "Taken", "path": "taken", "parent_id": parent.id})
    with pytest.raises(gitlab.GitlabCreateError) as refused:
        gl.groups.create({"name": "Taken again", "path": "taken", "parent_id": parent.id})
    assert refused.value.response_code == 400
    assert "has already been taken" in refused.value.error_message


def test_deploy_tokens_are_created_listed_over_pages_and_revoked(gl):
    parent = gl.groups.get(PARENT)
    group = gl.groups.create({"name": "Tokens", "path": "tokens", "parent_id": parent.id})
    scopes = ["read_repository", "read_registry", "write_registry", "read_package_registry", "write_package_registry"]
    created = [group.deploytokens.create({"name": f"registry-{n}", "scopes": scopes}) for n in range(3)]
    assert all(token.token and token.username for token in created)
    assert created[0].scopes == scopes
    listed = group.deploytokens.list(active=True, get_all=True)
    assert sorted(token.name for token in listed) == ["registry-0", "registry-1", "registry-2"]
    assert all(not hasattr(token, "token") for token in listed), "the value is shown only once"
    group.deploytokens.delete(created[1].id)
    assert sorted(token.name for token in group.deploytokens.list(get_all=True)) == ["registry-0", "registry-2"]
    with pytest.raises(gitlab.GitlabDeleteError) as gone:
        group.deploytokens.delete(created[1].id)
    assert gone.value.response_code == 404


def test_a_deleted_subgroup_is_marked_restored_then_removed_for_good(gl):
    parent = gl.groups.get(PARENT)
    group = gl.groups.create({"name": "Leaving", "path": "leaving", "parent_id": parent.id})
    gl.groups.delete(group.id)
    marked = gl.groups.get(group.id)
    assert marked.marked_for_deletion_on is not None
    marked.restore()
    restored = gl.groups.get(group.id)
    assert restored.marked_for_deletion_on is None and restored.full_path == f"{PARENT}/leaving"
    gl.groups.delete(group.id)
    marked = gl.groups.get(group.id)
    gl.groups.delete(group.id, permanently_remove=True, full_path=marked.full_path)
    with pytest.raises(gitlab.GitlabGetError) as gone:
        gl.groups.get(group.id)
    assert gone.value.response_code == 404


def test_an_unknown_group_is_a_404_with_gitlabs_message(gl):
    with pytest.raises(gitlab.GitlabGetError) as missing:
        gl.groups.get(f"{PARENT}/nowhere")
    assert missing.value.response_code == 404
    assert missing.value.error_message == "404 Group Not Found"


def test_a_wrong_token_is_refused_with_401(sim):
    with pytest.raises(gitlab.GitlabAuthenticationError) as refused:
        gitlab.Gitlab(sim.url, private_token="wrong").auth()
    assert refused.value.response_code == 401
    assert refused.value.error_message == "401 Unauthorized"


def test_a_read_only_token_reads_but_cannot_write(sim):
    reader = gitlab.Gitlab(sim.url, private_token=READ_TOKEN)
    parent = reader.groups.get(PARENT)
    with pytest.raises(gitlab.GitlabCreateError) as refused:
        reader.groups.create({"name": "Nope", "path": "nope", "parent_id": parent.id})
    assert refused.value.response_code == 403
    assert "insufficient_scope" in refused.value.error_message
