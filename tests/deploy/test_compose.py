"""docker-compose.yaml, as docker compose resolves it with .env.example as its .env (no Docker engine needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
}
SANDBOX_SERVICES = {"moto", "slack", "sandbox-seed"}


def compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    # make test installs it (scripts/install-test-tools.sh): a missing tool fails, it never skips.
    pytest.fail("docker-compose is not installed: run make test, or scripts/install-test-tools.sh")


def compose_config(env_file: Path, *args: str) -> subprocess.CompletedProcess:
    # Only the env file may feed compose's variables: not the developer's .env, not this process's AIRFLOW_*.
    env = {k: v for k, v in os.environ.items() if not k.lstrip("_").startswith("AIRFLOW")}
    return subprocess.run(
        [*compose_command(), "--env-file", str(env_file), *args, "-f", str(ROOT / "docker-compose.yaml"), "config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def env_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("compose") / ".env"
    shutil.copy(ROOT / ".env.example", path)
    return path


@pytest.fixture(scope="module")
def config(env_file) -> dict:
    result = compose_config(env_file, "--profile", "sandbox")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # some compose versions print KEY=VALUE lists
        env = dict(item.split("=", 1) for item in env)
    return env


def mounts(service: dict) -> dict[str, str]:
    """Container path -> host path of each bind mount (short or long syntax)."""
    result = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source"), volume["target"]
        result[target] = source
    return result


def command(service: dict) -> str:
    value = service.get("command", "")
    return value if isinstance(value, str) else " ".join(value)


def test_airflow_components_run_from_the_project_image(config):
    services = config["services"]
    assert {"postgres", "redis", "airflow-init", *AIRFLOW_SERVICES} <= set(services)
    for name, subcommand in {**AIRFLOW_SERVICES, "airflow-init": None}.items():
        service = services[name]
        if subcommand:
            assert command(service) == subcommand, name
        assert service["build"]["context"] == str(ROOT), name
        assert service["build"].get("target") == "airflow", name
        assert mounts(service)["/opt/airflow/dags"] == str(ROOT / "dags"), name
        assert mounts(service)["/opt/airflow/plugins"] == str(ROOT / "plugins"), name
        env = environment(service)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false", name
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in env, name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
    assert "8080" in str(services["airflow-apiserver"]["ports"])


def test_airflow_init_migrates_and_creates_the_admin(config):
    env = environment(config["services"]["airflow-init"])
    assert env["_AIRFLOW_DB_MIGRATE"] == "true"
    assert env["_AIRFLOW_WWW_USER_CREATE"] == "true"


def test_the_image_installs_requirements_txt():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM apache/airflow:3.3.2 AS airflow" in dockerfile
    assert "requirements.txt" in dockerfile


def test_connections_and_variables_come_from_the_env_file(config):
    env = environment(config["services"]["airflow-worker"])
    for name in (
        "AIRFLOW_CONN_AWS_DEFAULT",
        "AIRFLOW_CONN_SLACK_DEFAULT",
        "AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS",
        "AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI",
    ):
        assert env[name], name
    # .env.example is set up for the sandbox profile: the connections point at its services.
    assert "http://moto:5000" in env["AIRFLOW_CONN_AWS_DEFAULT"]
    assert "http://slack:8765" in env["AIRFLOW_CONN_SLACK_DEFAULT"]


def test_connections_are_required(tmp_path):
    empty = tmp_path / ".env"
    empty.write_text("")

    result = compose_config(empty)

    assert result.returncode != 0
    assert "AIRFLOW_CONN_AWS_DEFAULT" in result.stderr


def test_sandbox_services_exist_only_in_the_sandbox_profile(config, env_file):
    services = config["services"]
    assert SANDBOX_SERVICES <= set(services)
    for name, service in services.items():
        if name in SANDBOX_SERVICES:
            assert service["profiles"] == ["sandbox"], name
        else:
            assert "sandbox" not in service.get("profiles", []), name
    assert "sandbox.moto_server" in command(services["moto"])
    assert "sandbox.slack_stub" in command(services["slack"])

    # Without the profile, they are not started (compose v1 still lists them, with their profile).
    result = compose_config(env_file)
    assert result.returncode == 0, result.stderr
    default = yaml.safe_load(result.stdout)["services"]
    assert {"airflow-apiserver", "airflow-worker"} <= set(default)
    for name in SANDBOX_SERVICES & set(default):
        assert default[name]["profiles"] == ["sandbox"], name


def test_the_real_env_file_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert result.returncode == 0
    assert subprocess.run(["git", "check-ignore", "-q", ".env.example"], cwd=ROOT).returncode == 1
