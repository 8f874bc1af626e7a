"""Starts the simulators as the dev stack does (the `sim` binary, one process
each, on a free loopback port) for the systems' own Python clients to drive.

Run by `cargo xtask test` in its own venv (python-gitlab, awxkit, OdooRPC,
openstacksdk, kubernetes); by hand:
`SIM_BIN=target/debug/sim python -m pytest sim/tests/real_clients`.
The OpenStack tests also need the test stack's Keystone
(`TEST_KEYSTONE_URL`, `TEST_KEYSTONE_ADMIN_PASSWORD`, as `cargo xtask
services` writes them to `.data/test-services.env`).
"""

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

AWX_TOKEN = "awx-real-client-token"
GITLAB_TOKEN = "gitlab-real-client-token"
ODOO_MASTER_PASSWORD = "odoo-real-client-master"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sim_binary() -> str:
    configured = os.environ.get("SIM_BIN")
    if configured:
        return configured
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).parents[3] / "target"))
    return str(target / "debug" / "sim")


class Simulator:
    """One `sim <system>` process; `url` is its base URL (no trailing slash)."""

    def __init__(self, system: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"sim-{system}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sim_binary(), system, "--listen", f"127.0.0.1:{self.port}", *args],
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sim {system} exited: {self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sim {system} did not listen within 20 s: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def sim_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sim-logs")


@pytest.fixture(scope="session")
def start_sim(sim_logs):
    """`start_sim(system, *args, **env)` → a running `Simulator`, stopped at the end."""
    started: list[Simulator] = []

    def start(system: str, *args: str, **env: str) -> Simulator:
        simulator = Simulator(system, list(args), env, sim_logs)
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()
