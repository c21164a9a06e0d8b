"""One local Spark session for the whole test run (starting Spark costs seconds)."""

import pytest

from resources.spark import get_spark_session


@pytest.fixture(scope="session")
def spark():
    session = get_spark_session("local[2]")
    yield session
    session.stop()
