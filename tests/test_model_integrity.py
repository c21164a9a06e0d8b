"""A registered model's files are checksummed at registration and checked before any loader
(which unpickles) gets them: changed files and versions registered outside the lifecycle are
refused."""

from __future__ import annotations

import pickle

import pytest

from resources.mlflow_tracking import (
    CHECKSUM_TAG,
    MlflowTrackingResource,
    ModelIntegrityError,
    folder_digest,
)


@pytest.fixture
def registered(tmp_path):
    tracking = MlflowTrackingResource(
        tracking_uri=f"sqlite:///{tmp_path}/mlflow.db",
        artifact_root=(tmp_path / "artifacts").as_uri(),
    )
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.pkl").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    (model / "meta.json").write_text('{"version": 1}')
    run_id = tracking.start_run("integrity", run_name="train")
    tracking.log_artifacts(run_id, model, "model")
    version = tracking.register_version("hashira-integrity", run_id, "model")
    tracking.end_run(run_id)
    return tracking, version, model, tmp_path


def test_the_checksum_is_recorded_and_a_clean_download_passes(registered):
    tracking, version, model, tmp = registered
    tags = tracking.client().get_model_version("hashira-integrity", version).tags
    assert tags[CHECKSUM_TAG] == folder_digest(model)
    local = tracking.download_version("hashira-integrity", version, tmp / "dl")
    assert pickle.loads((local / "model.pkl").read_bytes()) == {"weights": [1, 2, 3]}


def test_changed_stored_files_are_refused_before_loading(registered):
    tracking, version, _, tmp = registered
    stored = next((tmp / "artifacts").rglob("model.pkl"))
    stored.write_bytes(pickle.dumps({"weights": "tampered"}))
    with pytest.raises(ModelIntegrityError, match="checksum mismatch"):
        tracking.download_version("hashira-integrity", version, tmp / "dl")


def test_a_changed_cached_copy_is_refused(registered):
    tracking, version, _, tmp = registered
    local = tracking.download_version("hashira-integrity", version, tmp / "cache")
    (tmp / "cache" / ".complete").touch()  # the serving caches' markers do not count
    tracking.verify_version("hashira-integrity", version, local)
    (local / "meta.json").write_text('{"version": 2}')
    with pytest.raises(ModelIntegrityError):
        tracking.verify_version("hashira-integrity", version, local)
    (local / "meta.json").write_text('{"version": 1}')
    tracking.verify_version("hashira-integrity", version, local)
    (local / "extra.pkl").write_bytes(b"x")  # an added file is a change too
    with pytest.raises(ModelIntegrityError):
        tracking.verify_version("hashira-integrity", version, local)


def test_a_version_registered_without_a_checksum_is_not_loaded(registered):
    tracking, version, _, tmp = registered
    client = tracking.client()
    source = client.get_model_version("hashira-integrity", version)
    bare = client.create_model_version("hashira-integrity", source.source, run_id=source.run_id)
    with pytest.raises(ModelIntegrityError, match="no recorded artifact checksum"):
        tracking.download_version("hashira-integrity", str(bare.version), tmp / "dl")
