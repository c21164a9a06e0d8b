"""MLflow as a reusable resource: runs, metrics, model versions with their artifact checksums,
and the `champion` alias. The gate that moves the alias is `resources.model_lifecycle`.

Everything goes through an explicit `MlflowClient` bound to this resource's tracking URI, never
through MLflow's process-global "active run", so asset code cannot end somebody else's run
(the problem dagster-mlflow has, dagster issue 21872).

Models do not call the registry themselves: they hand a `Candidate` to
`resources.model_lifecycle.run_lifecycle`, which logs, registers and gates it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

from resources import settings

CHAMPION_ALIAS = "champion"
# The SHA-256 of a version's artifact files, tagged at registration and checked before a
# download is handed to a loader (the loaders unpickle: a changed file must never reach them).
CHECKSUM_TAG = "artifact_sha256"


class ModelIntegrityError(RuntimeError):
    """A model version's files do not match the checksum recorded when it was registered."""


def folder_digest(folder: str | Path) -> str:
    """SHA-256 over a folder's files: relative paths and bytes, in path order. Dot files are left
    out (the serving caches keep their markers beside the model)."""
    root = Path(folder)
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).parts[0].startswith(".")
    )
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def default_tracking_uri() -> str:
    """MLFLOW_TRACKING_URI if set, else a SQLite file under $HASHIRA_HOME/mlflow."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    folder = settings.hashira_home() / "mlflow"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def default_artifact_root() -> str:
    return (settings.hashira_home() / "mlflow" / "artifacts").as_uri()


class MlflowTrackingResource(ConfigurableResource):
    """An MLflow tracking server or local SQLite store, plus the model registry."""

    tracking_uri: str | None = Field(
        default=None,
        description="Any MLflow tracking URI; None means MLFLOW_TRACKING_URI or a SQLite file "
        "under $HASHIRA_HOME/mlflow.",
    )
    artifact_root: str | None = Field(
        default=None,
        description="Artifact location for experiments this resource creates; None means "
        "$HASHIRA_HOME/mlflow/artifacts for a local store, the server's default otherwise.",
    )
    experiment_prefix: str = Field(default="hashiramart", description="Experiment name prefix.")

    # ------------------------------------------------------------------ plumbing
    def resolved_tracking_uri(self) -> str:
        return self.tracking_uri or default_tracking_uri()

    def client(self) -> Any:
        from mlflow import MlflowClient

        uri = self.resolved_tracking_uri()
        return MlflowClient(tracking_uri=uri, registry_uri=uri)

    def experiment_id(self, name: str) -> str:
        client = self.client()
        full = f"{self.experiment_prefix}/{name}"
        experiment = client.get_experiment_by_name(full)
        if experiment is not None:
            return experiment.experiment_id
        location = self.artifact_root
        if location is None and self.resolved_tracking_uri().startswith("sqlite:"):
            location = default_artifact_root()
        return client.create_experiment(full, artifact_location=location)

    # ------------------------------------------------------------------ runs
    def start_run(
        self,
        experiment: str,
        run_name: str | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Create a run and return its id; close it with `end_run`."""
        client = self.client()
        run = client.create_run(self.experiment_id(experiment), run_name=run_name, tags=tags)
        for key, value in (params or {}).items():
            client.log_param(run.info.run_id, key, value)
        return run.info.run_id

    def log_metrics(self, run_id: str, metrics: Mapping[str, float], step: int = 0) -> None:
        client = self.client()
        for key, value in metrics.items():
            client.log_metric(run_id, key, float(value), step=step)

    def log_artifacts(self, run_id: str, local_dir: str | Path, artifact_path: str) -> None:
        self.client().log_artifacts(run_id, str(local_dir), artifact_path)

    def end_run(self, run_id: str, status: str = "FINISHED") -> None:
        self.client().set_terminated(run_id, status=status)

    # ------------------------------------------------------------------ registry
    def register_version(
        self, name: str, run_id: str, artifact_path: str, tags: Mapping[str, str] | None = None
    ) -> str:
        """Register the run's artifact folder as a new version of model `name`."""
        from mlflow.exceptions import MlflowException

        client = self.client()
        try:
            client.create_registered_model(name)
        except MlflowException as exc:
            if "already exists" not in str(exc).lower() and "RESOURCE_ALREADY_EXISTS" not in str(
                exc
            ):
                raise
        source = f"{client.get_run(run_id).info.artifact_uri}/{artifact_path}"
        # The checksum is of the stored files (read back), so it is what every loader will get.
        with tempfile.TemporaryDirectory(prefix="hashira-register-") as tmp:
            checksum = folder_digest(self._download(source, tmp))
        version = client.create_model_version(
            name, source, run_id=run_id, tags={**dict(tags or {}), CHECKSUM_TAG: checksum}
        )
        return str(version.version)

    def champion_version(self, name: str) -> str | None:
        """The version holding the `champion` alias, or None."""
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client().get_model_version_by_alias(name, CHAMPION_ALIAS).version)
        except MlflowException:
            return None

    def set_champion(self, name: str, version: str) -> None:
        self.client().set_registered_model_alias(name, CHAMPION_ALIAS, str(version))

    def _download(self, source: str, dst: str | Path) -> Path:
        from mlflow.artifacts import download_artifacts

        Path(dst).mkdir(parents=True, exist_ok=True)
        return Path(
            download_artifacts(
                artifact_uri=source, dst_path=str(dst), tracking_uri=self.resolved_tracking_uri()
            )
        )

    def download_version(self, name: str, version: str, dst: str | Path) -> Path:
        """Copy a model version's files to `dst`, check them against the checksum recorded at
        registration, and return the local folder; raises ModelIntegrityError on a mismatch."""
        source = self.client().get_model_version(name, str(version)).source
        local = self._download(source, dst)
        self.verify_version(name, version, local)
        return local

    def verify_version(self, name: str, version: str, folder: str | Path) -> None:
        """Raise ModelIntegrityError unless `folder` holds exactly the files registered as
        `name` v`version` (call it on a cached copy before loading it again)."""
        tags = self.client().get_model_version(name, str(version)).tags or {}
        expected = tags.get(CHECKSUM_TAG)
        if expected is None:
            raise ModelIntegrityError(
                f"{name} v{version} has no recorded artifact checksum (registered outside the "
                "model lifecycle); it is not loaded: retrain it"
            )
        if folder_digest(folder) != expected:
            raise ModelIntegrityError(
                f"{name} v{version}: the files in {folder} differ from the ones registered "
                "(checksum mismatch); it is not loaded"
            )
