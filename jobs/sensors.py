"""Sensors that close the loop between the shop and the asset graph; the decisions live in
jobs/landing.py and jobs/triggers.py."""

import datetime as dt
import time

from dagster import (
    AssetKey,
    AssetSelection,
    AutomationConditionSensorDefinition,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from hashira_assets.raw.world_resource import SyntheticWorldResource
from jobs.app_catalog import land_app_products
from jobs.asset_jobs import (
    daily_ingest,
    publish_catalog,
    reindex,
    retrain,
    summarize_conversations,
)
from jobs.landing import EventThresholds, land_app_conversations, land_app_events
from jobs.run_records import run_building
from jobs.triggers import (
    catalog_needs_reindex,
    catalog_state,
    failure_message,
    ingest_requests,
    ingestible_days,
    root_error,
    run_partition,
)
from resources.app_database import AppDatabaseResource
from resources.lake import LakeResource

RUNNING = DefaultSensorStatus.RUNNING
# A retrain in one of these states has not read its inputs yet, so it will see the newest days.
WAITING = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING]


@sensor(job=daily_ingest, minimum_interval_seconds=60, default_status=RUNNING)
def new_app_events(
    context: SensorEvaluationContext, app_database: AppDatabaseResource, lake: LakeResource
):
    """Land the app's new events in the lake once they are due, then ingest their days."""
    # The cursor is the last event id landed: the landing's watermark.
    now = dt.datetime.now(dt.UTC)
    after = int(context.cursor or 0)
    landing = land_app_events(app_database, lake, after, now, EventThresholds.from_env())
    if landing is None:
        return SkipReason(f"no app events above {after} are due for landing")
    context.log.info(f"landed {landing.rows} app events ({landing.reason}): {landing.keys}")
    _, outside = ingestible_days(landing.dates, now)
    if outside:
        context.log.warning(f"events dated outside the event partitions stay raw: {outside}")
    return SensorResult(run_requests=ingest_requests(landing, now), cursor=str(landing.last_id))


@sensor(job=summarize_conversations, minimum_interval_seconds=60, default_status=RUNNING)
def new_support_conversations(
    context: SensorEvaluationContext,
    app_database: AppDatabaseResource,
    world: SyntheticWorldResource,
):
    """Land the app's new support conversations in the raw world and summarize them."""
    landing = land_app_conversations(app_database, world.path)
    if landing is None:
        return SkipReason("no new support conversations in the app")
    context.log.info(f"landed {landing.rows} support conversations in {landing.keys[0]}")
    return RunRequest(run_key=f"conversations-{landing.first_id}-{landing.last_id}")


@sensor(job=publish_catalog, minimum_interval_seconds=60, default_status=RUNNING)
def new_app_products(
    context: SensorEvaluationContext,
    app_database: AppDatabaseResource,
    world: SyntheticWorldResource,
):
    """Land products added through the API in the raw world and publish them through silver."""
    landed = land_app_products(app_database, world.path)
    if not landed:
        return SkipReason("no new products in the app")
    context.log.info(f"landed app products {landed} in the raw world")
    return RunRequest(run_key=f"app-products-{landed[0]}-{landed[-1]}")


@sensor(job=reindex, minimum_interval_seconds=300, default_status=RUNNING)
def catalog_changed(context: SensorEvaluationContext, world: SyntheticWorldResource):
    """Re-index the catalog when its products or FAQs change; the cursor is their checksum."""
    try:
        state = catalog_state(world.path)
    except FileNotFoundError as exc:
        return SkipReason(f"no catalog yet: {exc}")
    building = run_building(context.instance, "product_index")
    if building is not None:
        # A running full refresh or re-index builds it from the files as they are now; the
        # cursor stays, so a change made after that run started still gets its own run.
        return SkipReason(f"run {building} is building the product index")
    latest = context.instance.get_latest_materialization_event(AssetKey("product_index"))
    last_indexed = latest.timestamp if latest is not None else None
    if not catalog_needs_reindex(state, context.cursor, last_indexed):
        return SensorResult(skip_reason="the catalog is unchanged", cursor=state.checksum)
    # The modification time keeps the key unique when a catalog returns to an earlier content.
    key = f"catalog-{state.checksum[:16]}-{int(state.modified * 1e6)}"
    return SensorResult(run_requests=[RunRequest(run_key=key)], cursor=state.checksum)


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[daily_ingest],
    request_job=retrain,
    default_status=RUNNING,
)
def retrain_after_ingest(context: RunStatusSensorContext):
    """Retrain the models after each successful ingest, unless a retrain is yet to start."""
    waiting = context.instance.get_run_records(
        RunsFilter(job_name=retrain.name, statuses=WAITING), limit=1
    )
    if waiting:
        return SkipReason(f"retrain run {waiting[0].dagster_run.run_id} has not started yet")
    run_id = context.dagster_run.run_id
    return RunRequest(run_key=f"retrain-after-{run_id}", tags={"hashira/after_run": run_id})


@run_failure_sensor(minimum_interval_seconds=30, default_status=RUNNING)
def record_pipeline_failures(context: RunFailureSensorContext, app_database: AppDatabaseResource):
    """Record each failed run in the app database, where the Models & pipeline page lists it."""
    run = context.dagster_run
    steps = context.get_step_failure_events()
    errors = [(e.step_key or "?", root_error(e.step_failure_data.error)) for e in steps]
    record = context.instance.get_run_record_by_id(run.run_id)
    ended = record.end_time if record is not None and record.end_time else time.time()
    app_database.record_pipeline_failure(
        run_id=run.run_id,
        job_name=run.job_name,
        failed_at=dt.datetime.fromtimestamp(ended, dt.UTC),
        message=failure_message(context.failure_event.message or "run failed", errors),
        failed_steps=[step for step, _ in errors],
        partition=run_partition(dict(run.tags)),
    )


# Declarative automation: the conditions (jobs/automation.py) are evaluated by this sensor.
automation = AutomationConditionSensorDefinition(
    "upstream_materialized",
    target=AssetSelection.all(),
    default_status=RUNNING,
    minimum_interval_seconds=60,
    description="Runs what depends on a newly materialized upstream, where its asset says so.",
)

SENSORS = (
    new_app_events,
    new_support_conversations,
    new_app_products,
    catalog_changed,
    retrain_after_ingest,
    record_pipeline_failures,
    automation,
)
