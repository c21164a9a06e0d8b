"""Launching a job through a running Dagster webserver, so the run is the UI's own: queued by its
daemon, shown live in its run view, stoppable from there.

`hashira launch` (and so `make demo`) uses it to build the graph after the UIs are up.
"""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.request

from hashira_assets.raw.world_config import make_config
from jobs.asset_jobs import ASSET_JOBS
from jobs.triggers import partition_range_tags

LOCATION_NAME = "hashiramart"  # workspace.yaml
DEFINITIONS_MODULE = "hashira_assets.definitions"  # workspace.yaml
# What each step's process would otherwise import before its first line of work: the definitions,
# and the modules behind the Dagster instance it opens.
PRELOAD_MODULES = [DEFINITIONS_MODULE, "resources.dagster_preload"]
# Steps run side by side in a launched run: one per core of this 2-core reference machine.
DEFAULT_MAX_CONCURRENT = 2
JOB_NAMES = tuple(job.name for job in ASSET_JOBS)


class LaunchError(RuntimeError):
    """The webserver refused the run or could not be reached; the message says why."""


@dataclasses.dataclass(frozen=True)
class LaunchRequest:
    """A job, the world's days it covers, and how many steps run at once."""

    job_name: str
    preset: str
    seed: int = 42
    max_concurrent: int = DEFAULT_MAX_CONCURRENT

    def __post_init__(self):
        if self.job_name not in JOB_NAMES:
            raise ValueError(f"unknown job {self.job_name!r}; choose one of {', '.join(JOB_NAMES)}")
        if self.max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")

    def tags(self) -> dict[str, str]:
        """Every day of the preset's world in one run, and what launched it."""
        config = make_config(self.preset, seed=self.seed)
        return {
            **partition_range_tags(config.start_date, config.end_date),
            "hashira/preset": self.preset,
            "hashira/trigger": "hashira launch",
        }

    def run_config(self) -> dict:
        """Steps side by side, each forked from a server that imported the definitions and the
        instance's modules once: spawning imports them again in every step (about 10 s of CPU
        each, seen here). The modules are named: an empty forkserver config preloads nothing."""
        return {
            "execution": {
                "config": {
                    "multiprocess": {
                        "max_concurrent": self.max_concurrent,
                        "start_method": {"forkserver": {"preload_modules": PRELOAD_MODULES}},
                    }
                }
            }
        }


_LOCATION_QUERY = (
    "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
)


def location_loaded(host: str, port: int) -> bool:
    """Whether the webserver has loaded the project's code location (it answers before that)."""
    body = json.dumps({"query": _LOCATION_QUERY}).encode()
    request = urllib.request.Request(
        f"http://{host}:{port}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        workspace = json.load(response)["data"]["workspaceOrError"]
    entries = {e["name"]: e["loadStatus"] for e in workspace.get("locationEntries", [])}
    return entries.get(LOCATION_NAME) == "LOADED"


def launch(
    request: LaunchRequest,
    host: str = "127.0.0.1",
    port: int = 3000,
    wait_seconds: float = 300.0,
) -> str:
    """Submit the run to the webserver at host:port once it has loaded the code location;
    returns its run id."""
    from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            # The GraphQL client reports an unreachable server like a refused query: ask first.
            if location_loaded(host, port):
                break
        except OSError as exc:
            raise LaunchError(
                f"cannot reach the Dagster webserver on {host}:{port}: {exc}"
            ) from exc
        if time.monotonic() > deadline:
            raise LaunchError(f"the webserver did not load {LOCATION_NAME} in {wait_seconds:.0f} s")
        time.sleep(1.0)
    try:
        client = DagsterGraphQLClient(host, port_number=port, timeout=300)
        return client.submit_job_execution(
            request.job_name,
            repository_location_name=LOCATION_NAME,
            run_config=request.run_config(),
            tags=request.tags(),
        )
    except DagsterGraphQLClientError as exc:
        detail = f": {exc.body}" if getattr(exc, "body", None) else ""
        raise LaunchError(f"the Dagster webserver refused the run ({exc}){detail}") from exc
