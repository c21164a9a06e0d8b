"""docker-compose.yml cannot run here (no Docker engine): its structure and wiring are checked.

The compose-spec JSON schema is not available offline, so these tests check what matters by hand:
the keys Compose accepts, images, dependencies and their conditions, volumes, and that every
environment variable the production resources and the instance file read is set.
"""

import re
from pathlib import Path

import pytest
import yaml
from dagster import EnvVar

from hashira_assets.resources_by_env import production_resources

REPO = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
# Service keys of the Compose specification this file may use (a typo is an error, not a no-op).
SERVICE_KEYS = {
    "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "volumes",
    "depends_on", "healthcheck", "restart", "networks", "expose", "working_dir", "user",
    "deploy", "profiles", "labels", "pull_policy",
}  # fmt: skip
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
# The project's own services run the image built from the Dockerfile.
PROJECT_IMAGE = "hashiramart:latest"


def _compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def _depends_on(service: dict) -> dict[str, str]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec["condition"] for name, spec in deps.items()}


def test_compose_declares_the_production_stack():
    services = _compose()["services"]
    assert {
        "postgres", "redis", "minio", "namenode", "datanode", "spark-master", "spark-worker",
        "mlflow", "dagster-code", "dagster-webserver", "dagster-daemon", "streamlit",
    } <= set(services)  # fmt: skip


def test_keys_names_images_and_dependencies_are_valid():
    compose = _compose()
    assert set(compose) - {"services", "volumes"} <= {k for k in compose if k.startswith("x-")}
    services = compose["services"]
    for name, service in services.items():
        assert NAME.match(name), name
        assert set(service) <= SERVICE_KEYS, (name, set(service) - SERVICE_KEYS)
        assert "image" in service or "build" in service, name
        if service.get("image") == PROJECT_IMAGE:
            # Built here, never pulled: every service of the image can build it.
            assert service.get("build") == ".", name
        for dependency, condition in _depends_on(service).items():
            assert dependency in services and dependency != name, (name, dependency)
            assert condition in CONDITIONS, (name, condition)
            if condition == "service_healthy":
                assert "test" in services[dependency].get("healthcheck", {}), dependency
        for port in service.get("ports", []):
            assert re.fullmatch(r"\d+:\d+", port), (name, port)
    assert (REPO / "Dockerfile").exists()


def test_no_dependency_cycles():
    services = _compose()["services"]
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for dependency in _depends_on(services[name]):
            visit(dependency, (*path, name))
        done.add(name)

    for name in services:
        visit(name, ())


def test_volumes_are_declared_and_bind_mounts_exist():
    compose = _compose()
    declared = set(compose.get("volumes", {}))
    used = set()
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (REPO / source).exists(), (name, source)
            else:
                assert source in declared, (name, source)
                used.add(source)
    assert used == declared


def test_secrets_come_from_the_environment_only():
    text = (REPO / "docker-compose.yml").read_text()
    for expression in INTERPOLATION.findall(text):
        assert re.fullmatch(r"[A-Z_][A-Z0-9_]*(:?[-?].*)?", expression), expression
    for name, service in _compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|API_KEY", key) and value:
                assert str(value).startswith("${"), (name, key)
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"://[^/]*:[^@/]*@", str(value)):  # a URL with credentials
                assert "${POSTGRES_PASSWORD:?" in str(value), (name, key)


def _env_var_names(value) -> set[str]:
    """EnvVar names a resource (and the resources it holds) reads."""
    if isinstance(value, EnvVar):
        return {value.env_var_name}
    if hasattr(value, "__dict__") and hasattr(type(value), "model_fields"):
        return set().union(*(_env_var_names(getattr(value, f)) for f in type(value).model_fields))
    return set()


def test_project_services_are_wired_through_environment_variables():
    services = _compose()["services"]
    env = services["dagster-code"]["environment"]
    assert env["HASHIRA_ENV"] == "production"
    assert env["HASHIRA_LAKE_ROOT"].startswith("hdfs://namenode:8020/")
    assert env["HASHIRA_SPARK_MASTER"] == "spark://spark-master:7077"
    for name in ("dagster-webserver", "dagster-daemon", "streamlit"):
        assert services[name]["environment"] is env, name  # one shared anchor
    assert env["DAGSTER_POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    namenode_env = services["namenode"]["environment"]
    assert namenode_env["CORE-SITE.XML_fs.defaultFS"] == "hdfs://namenode:8020"
    # Every variable the production resources read is set ...
    read = set().union(*(_env_var_names(r) for r in production_resources().values()))
    assert {"HASHIRA_LAKE_ROOT", "HASHIRA_APP_DB_URL", "MLFLOW_TRACKING_URI"} <= read
    assert read <= set(env), read - set(env)
    # ... and so is every one the instance file of the webserver, daemon and code server reads.
    instance = (REPO / "dagster.production.yaml").read_text()
    assert set(re.findall(r"\{env: (\w+)\}", instance)) <= set(env)
    # The app database is PostgreSQL through psycopg 3, in a database of its own.
    assert env["HASHIRA_APP_DB_URL"].startswith("postgresql+psycopg://")
    assert env["HASHIRA_APP_DB_URL"].endswith("@postgres:5432/hashira_app")


@pytest.mark.parametrize(
    ("variable", "service"),
    [("HASHIRA_LAKE_ROOT", "namenode"), ("HASHIRA_S3_ENDPOINT_URL", "minio"),
     ("HASHIRA_SPARK_MASTER", "spark-master"), ("MLFLOW_TRACKING_URI", "mlflow"),
     ("HASHIRA_REDIS_URL", "redis"), ("HASHIRA_APP_DB_URL", "postgres")],
)  # fmt: skip
def test_urls_name_services_of_the_stack(variable, service):
    compose = _compose()
    url = compose["services"]["dagster-code"]["environment"][variable]
    host = re.search(r"://(?:[^@/]*@)?([^:/]+)", url).group(1)
    assert host == service and host in compose["services"]


def test_mlflow_keeps_its_own_database_and_artifacts_in_minio():
    compose = _compose()
    command = compose["services"]["mlflow"]["command"]
    backend = command[command.index("--backend-store-uri") + 1]
    # Dagster's run storage has a `runs` table too: MLflow must not share its database.
    assert backend.endswith("@postgres:5432/mlflow")
    assert command[command.index("--artifacts-destination") + 1].startswith("s3://hashira-lake/")
    assert compose["services"]["mlflow"]["environment"]["MLFLOW_S3_ENDPOINT_URL"] == (
        "http://minio:9000"
    )
    init = (REPO / "docker" / "postgres-init.sql").read_text()
    assert "CREATE DATABASE mlflow;" in init and "CREATE DATABASE hashira_app;" in init
    bucket = compose["services"]["minio-init"]["command"][0]
    assert "mb --ignore-existing lake/hashira-lake" in bucket


def test_the_image_and_grpc_workspace_exist():
    services = _compose()["services"]
    workspace = yaml.safe_load((REPO / "workspace.docker.yaml").read_text())
    server = workspace["load_from"][0]["grpc_server"]
    assert server["host"] == "dagster-code"
    command = services["dagster-code"]["command"]
    assert str(server["port"]) == command[command.index("-p") + 1]
    assert command[command.index("-m") + 1] == "hashira_assets.definitions"
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "cp dagster.production.yaml /opt/dagster/dagster.yaml" in dockerfile
    for name in ("dagster-webserver", "dagster-daemon"):
        assert "/app/workspace.docker.yaml" in services[name]["command"], name


def test_the_image_copies_every_package_the_project_installs():
    import tomllib

    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in patterns}
    copied = set(re.findall(r"^COPY (\S+) \1$", (REPO / "Dockerfile").read_text(), re.MULTILINE))
    assert packages <= copied, sorted(packages - copied)
