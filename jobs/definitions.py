"""Jobs, schedules and sensors of the asset graph (automation conditions: jobs/automation.py)."""

from dagster import Definitions

from jobs.asset_jobs import ASSET_JOBS
from jobs.schedules import SCHEDULES
from jobs.sensors import SENSORS

defs = Definitions(jobs=list(ASSET_JOBS), schedules=list(SCHEDULES), sensors=list(SENSORS))
