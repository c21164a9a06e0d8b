"""The REST API served by a real uvicorn on loopback over the tiny app home, by process id."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest
import requests

from tests.support.background import background_process, free_port, wait_for_http

STAFF = ("urokodaki", "water-mentor")
SHOPPER = ("tanjiro", "hinokami-kagura")
# A promoted champion is served within this many seconds in the tests (30 s in production).
TEST_VERSION_TTL = 2


@dataclasses.dataclass
class ApiServer:
    url: str
    home: Path
    log: Path

    def token(self, username: str, password: str) -> str:
        answer = requests.post(
            f"{self.url}/auth/token", data={"username": username, "password": password}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def headers(self, who: tuple[str, str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*who)}"}


@pytest.fixture(scope="session")
def api_server(app_home: Path, tmp_path_factory: pytest.TempPathFactory):
    """uvicorn serving hashira_api on a free loopback port, stopped by its pid afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("api") / "uvicorn.log"
    env = {
        **os.environ,
        "HASHIRA_HOME": str(app_home),
        "HASHIRA_VERSION_TTL": str(TEST_VERSION_TTL),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    env.pop("HASHIRA_REDIS_URL", None)
    env.pop("HASHIRA_JWT_SECRET", None)
    command = [sys.executable, "-m", "uvicorn", "hashira_api.main:app", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning"]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with background_process(command, log, env=env) as process:
        wait_for_http(f"{url}/health/live", timeout=120, process=process)
        yield ApiServer(url, app_home, log)
