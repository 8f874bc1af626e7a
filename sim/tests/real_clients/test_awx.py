"""`sim awx` driven by AWX's own clients: awxkit's API layer (pages found
from `/api/`, followed through `related` links, Bearer token) and the `awx`
CLI (resources from `/api/v2/`, commands and flags from `OPTIONS`), for what
`control::backends::awx` does: find a job template by name, read its launch
document, launch with extra vars, follow the job, read its output, cancel,
list a template's jobs; and AWX's errors as these clients raise them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from awxkit import exceptions
from awxkit.api.client import Connection
from awxkit.api.pages import Api

from conftest import AWX_TOKEN

READ_TOKEN = "awx-real-client-read-token"
# The dev stack's templates and job duration (xtask/src/simulators.rs).
DATABASE_TEMPLATE = "bibind-instance-database"
DROP_TEMPLATE = "bibind-instance-database-drop"
AWX_CLI = str(Path(sys.executable).parent / "awx")
UNAUTHENTICATED = {
    "detail": "Authentication credentials were not provided. To establish a login session, visit /api/login/."
}


@pytest.fixture(scope="module")
def awx(start_sim):
    return start_sim(
        "awx",
        "--template",
        DATABASE_TEMPLATE,
        "--template",
        DROP_TEMPLATE,
        "--job-duration-ms",
        "1000",
        SIM_AWX_TOKEN=AWX_TOKEN,
        SIM_AWX_READ_TOKEN=READ_TOKEN,
    )


@pytest.fixture(scope="module")
def slow_awx(start_sim, tmp_path_factory):
    """Jobs that run for a minute (to cancel them), and a surveyed template."""
    templates = tmp_path_factory.mktemp("awx") / "templates.json"
    templates.write_text(
        json.dumps(
            [
                {"name": "long-running"},
                {
                    "name": "surveyed",
                    "ask_variables_on_launch": False,
                    "survey": [{"variable": "tenant", "required": True}],
                },
            ]
        )
    )
    return start_sim(
        "awx",
        "--templates-file",
        str(templates),
        "--job-duration-ms",
        "60000",
        SIM_AWX_TOKEN=AWX_TOKEN,
        SIM_AWX_READ_TOKEN=READ_TOKEN,
    )


def version_root(simulator, token=AWX_TOKEN):
    """awxkit's way in: `/api/`, then its `current_version` link."""
    connection = Connection(simulator.url)
    connection.login(token=token)
    return Api(connection, endpoint="/api/").get().current_version.get()


def template_named(v2, name):
    page = v2.job_templates.get(name=name)
    assert page.count == 1, page.json
    return page.results[0]


def awx_cli(simulator, *args, token=AWX_TOKEN):
    """`awx <args> -f json` against the simulator, without colours."""
    return subprocess.run(
        [AWX_CLI, "--conf.host", simulator.url, "--conf.token", token, *args, "-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CONTROLLER_COLOR": "f"},
    )


def cli_json(result):
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def test_awxkit_discovers_the_api_and_who_the_token_is(awx):
    root = Api(Connection(awx.url), endpoint="/api/").get()
    assert root.current_version == "/api/v2/"
    assert root.available_versions == {"v2": "/api/v2/"}

    v2 = version_root(awx)
    assert {"ping", "config", "me", "job_templates", "jobs"} <= set(v2.json)
    assert v2.r.headers["X-API-Product-Version"] == "24.6.1"
    assert v2.r.headers["X-API-Product-Name"] == "AWX"

    ping = v2.ping.get()
    assert ping.version == "24.6.1"
    assert ping.instances[0]["node"] == ping.active_node

    config = v2.config.get()
    assert config.is_awx_license
    assert config.version == "24.6.1"

    me = v2.me.get()
    assert me.count == 1
    user = me.results[0]
    assert (user.username, user.is_superuser) == ("admin", True)
    assert user.get().username == "admin"


def test_awxkit_launches_a_template_found_by_name_and_follows_the_job(awx):
    v2 = version_root(awx)
    template = template_named(v2, DATABASE_TEMPLATE)
    assert template.type == "job_template"
    assert v2.job_templates.get(name="no-such-template").count == 0

    launch = template.related.launch.get()
    assert launch.ask_variables_on_launch is True
    assert launch.can_start_without_user_input is True
    assert launch.variables_needed_to_start == []
    assert launch.defaults["inventory"]["id"] == template.inventory

    job = template.launch({"extra_vars": {"tenant": "acme", "bibind_run_key": "run-1"}})
    assert job.type == "job"
    assert job.job_template == template.id
    assert json.loads(job.extra_vars) == {"tenant": "acme", "bibind_run_key": "run-1"}

    job.wait_until_completed(interval=0.1, timeout=30)
    job.assert_successful()
    assert job.event_processing_finished is True
    assert job.started and job.finished and job.elapsed > 0
    stdout = job.result_stdout
    assert "PLAY [bibind-instance-database]" in stdout and "PLAY RECAP" in stdout
    assert "\x1b" not in stdout
    plain = job.connection.get(job.related.stdout, query_parameters={"format": "txt"})
    assert plain.headers["Content-Type"].startswith("text/plain")
    assert plain.text == stdout

    events = job.related.job_events.get(order_by="start_line")
    assert [event.event for event in events.results] == [
        "playbook_on_start",
        "playbook_on_play_start",
        "playbook_on_task_start",
        "runner_on_ok",
        "playbook_on_task_start",
        "runner_on_ok",
        "playbook_on_stats",
    ]
    assert events.results[-1].end_line == len(stdout.splitlines())

    jobs = template.related.jobs.get(order_by="-id")
    assert jobs.results[0].id == job.id
    # As control's client looks for an earlier launch: the template's jobs, newest first.
    same = v2.jobs.get(job_template=template.id, order_by="-id", page_size=200)
    assert [found.id for found in same.results] == [found.id for found in jobs.results]
    assert template.get().status == "successful"


def test_awxkit_cancels_a_running_job_and_is_refused_once_it_has_ended(slow_awx):
    v2 = version_root(slow_awx)
    job = template_named(v2, "long-running").launch()
    cancel = job.get_related("cancel")
    assert cancel.can_cancel is True
    assert cancel.post().r.status_code == 202
    job.wait_until_completed(interval=0.1, timeout=10)
    assert (job.status, job.failed) == ("canceled", True)
    assert job.canceled_on

    assert job.get_related("cancel").can_cancel is False
    assert job.cancel() is None, "awxkit does not post when it cannot cancel"
    with pytest.raises(exceptions.MethodNotAllowed) as refused:
        job.get_related("cancel").post()
    assert refused.value.msg == {"detail": 'Method "POST" not allowed.'}


def test_awxkit_sees_awx_s_errors(awx, slow_awx):
    with pytest.raises(exceptions.Unauthorized) as unauthorized:
        version_root(awx, token="not-a-token").job_templates.get()
    assert unauthorized.value.msg == UNAUTHENTICATED

    reader = version_root(awx, token=READ_TOKEN)
    template = template_named(reader, DROP_TEMPLATE)
    with pytest.raises(exceptions.Forbidden) as forbidden:
        template.launch()
    assert forbidden.value.msg == {"detail": "You do not have permission to perform this action."}

    v2 = version_root(awx)
    with pytest.raises(exceptions.NotFound) as not_found:
        v2.walk("/api/v2/jobs/999999/")
    assert not_found.value.msg == {"detail": "Not found."}

    surveyed = template_named(version_root(slow_awx), "surveyed")
    assert surveyed.related.launch.get().variables_needed_to_start == ["tenant"]
    with pytest.raises(exceptions.BadRequest) as bad:
        surveyed.launch({"extra_vars": {"other": 1}})
    assert bad.value.msg == {"variables_needed_to_start": ["'tenant' value missing"]}


def test_injected_faults_reach_awxkit(awx):
    v2 = version_root(awx)
    fault = requests.put(
        f"{awx.url}/_sim/faults/list_job_templates", json={"status": 503, "times": 1}, timeout=5
    )
    assert fault.status_code < 300
    with pytest.raises(exceptions.Unknown) as unavailable:
        v2.job_templates.get(name=DATABASE_TEMPLATE)
    assert unavailable.value.msg == {"detail": "Service temporarily unavailable, try again later."}
    assert v2.job_templates.get(name=DATABASE_TEMPLATE).count == 1


def test_the_cli_discovers_ping_and_me(awx):
    assert cli_json(awx_cli(awx, "ping"))["version"] == "24.6.1"
    me = cli_json(awx_cli(awx, "me"))
    assert me["count"] == 1 and me["results"][0]["username"] == "admin"


def test_the_cli_launches_by_name_monitors_and_reads_the_job(awx):
    listed = cli_json(awx_cli(awx, "job_templates", "list", "--name", DROP_TEMPLATE))
    assert [template["name"] for template in listed["results"]] == [DROP_TEMPLATE]
    template_id = listed["results"][0]["id"]
    assert cli_json(awx_cli(awx, "job_templates", "get", DROP_TEMPLATE))["id"] == template_id

    launched = awx_cli(
        awx,
        "job_templates",
        "launch",
        DROP_TEMPLATE,
        "--extra_vars",
        '{"tenant": "cli"}',
        "--monitor",
        "--interval",
        "0",
    )
    assert launched.returncode == 0, launched.stderr + launched.stdout
    streamed, _, answer = launched.stdout.partition("------End of Standard Out Stream--------")
    assert "PLAY [bibind-instance-database-drop]" in streamed and "PLAY RECAP" in streamed
    job = json.loads(answer)
    assert (job["status"], job["job_template"]) == ("successful", template_id)
    assert job["ignored_fields"] == {}

    detail = cli_json(awx_cli(awx, "jobs", "get", str(job["job"])))
    assert detail["status"] == "successful"
    assert json.loads(detail["extra_vars"]) == {"tenant": "cli"}

    stdout = awx_cli(awx, "jobs", "stdout", str(job["job"]))
    assert stdout.returncode == 0, stdout.stderr
    assert "PLAY RECAP" in stdout.stdout and "\x1b" not in stdout.stdout

    jobs = cli_json(
        awx_cli(awx, "jobs", "list", "--job_template", str(template_id), "--order_by=-id")
    )
    assert jobs["results"][0]["id"] == job["job"]
    assert all(listed_job["job_template"] == template_id for listed_job in jobs["results"])


def test_the_cli_reports_awx_s_errors(awx):
    unauthorized = awx_cli(awx, "job_templates", "list", token="not-a-token")
    assert unauthorized.returncode == 1
    assert "Valid credentials were not provided." in unauthorized.stderr

    missing = awx_cli(awx, "jobs", "get", "999999")
    assert missing.returncode == 1
    assert json.loads(missing.stdout) == {"detail": "Not found."}
