"""Bookkeeping of training runs in MLflow: the input tables' versions as dataset inputs, and
runs whose process was killed marked FAILED by the next run."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Sequence

from resources.lake import TableVersion
from resources.mlflow_tracking import MlflowTrackingResource

DATA_CONTEXT_TAG = "mlflow.data.context"
# Where a training run's process lives, so the next run can tell a killed one from a live one.
HOST_TAG = "hashira.host"
PID_TAG = "hashira.pid"


def fail_dead_runs(tracking: MlflowTrackingResource, experiment: str) -> list[str]:
    """Mark FAILED the runs of `experiment` still RUNNING whose training process on this machine
    is gone (killed before it could end its run); their ids. Runs of live processes, or of other
    machines, are left alone."""
    client = tracking.client()
    host = socket.gethostname()
    found = client.search_runs(
        [tracking.experiment_id(experiment)],
        filter_string=f"attributes.status = 'RUNNING' and tags.`{HOST_TAG}` = '{host}'",
    )
    ended = []
    for run in found:
        pid = int(run.data.tags.get(PID_TAG, "0"))
        if pid <= 0 or _alive(pid):
            continue
        client.set_tag(run.info.run_id, "hashira.ended_by", "the next run: its process was gone")
        client.set_terminated(run.info.run_id, status="FAILED")
        ended.append(run.info.run_id)
    return ended


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def log_inputs(tracking: MlflowTrackingResource, run_id: str, inputs: Sequence[TableVersion]):
    """The input tables as MLflow dataset inputs: name, digest (the version's first 32 hex
    digits, MLflow's limit), source URI, and the full version and row count in the profile."""
    if not inputs:
        return
    from mlflow.entities import Dataset, DatasetInput, InputTag

    datasets = [
        DatasetInput(
            Dataset(
                name=table.name,
                digest=table.version[:32],
                source_type="hashira-lake",
                source=json.dumps({"uri": table.uri}),
                profile=json.dumps({"version": table.version, "rows": table.rows}),
            ),
            tags=[InputTag(DATA_CONTEXT_TAG, "training")],
        )
        for table in inputs
    ]
    tracking.client().log_inputs(run_id, datasets=datasets)


def recorded_inputs(tracking: MlflowTrackingResource, name: str, version: str) -> dict[str, str]:
    """The input tables a registered version was trained on: name -> full content version."""
    client = tracking.client()
    run = client.get_run(client.get_model_version(name, str(version)).run_id)
    out = {}
    for item in run.inputs.dataset_inputs if run.inputs else []:
        profile = json.loads(item.dataset.profile or "{}")
        out[item.dataset.name] = profile.get("version", item.dataset.digest)
    return out
