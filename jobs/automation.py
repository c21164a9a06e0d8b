"""Declarative automation: which assets run by themselves when an upstream is materialized.

Only the edges that no job, schedule or sensor already covers are automated:

- the `lake` group follows a newly generated world (`synthetic_world`), after the app's sign-ups
  are written beside its customers (`app_customers`), and the silver customer and product tables
  follow their landed raw tables, and the product pictures follow the silver catalog;
- the published outputs of the three models (recommendations, forecasts, summaries) follow a new
  model version once its blocking gate passed, e.g. when a model is trained alone from the UI.

Event days (silver, gold, features) run through `daily_ingest`, started by the new-events sensor
and the nightly schedule with the days to process; the models train in `retrain`, after each
successful ingest; the product index follows the catalog sensor. An eager condition on those
would either pick the wrong days (eager considers only the latest daily partition) or retrain on
every upstream change.
"""

from collections.abc import Sequence

from dagster import AssetsDefinition, AssetSpec, AutomationCondition, map_asset_specs

EAGER = AutomationCondition.eager()
# Eager, but never after a model whose blocking promotion gate failed.
AFTER_GATE = (
    AutomationCondition.eager() & AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager after the gate")

GROUP_CONDITIONS: dict[str, AutomationCondition] = {"lake": EAGER}
ASSET_CONDITIONS: dict[str, AutomationCondition] = {
    # App sign-ups are written beside a newly generated world's customers before they land.
    "app_customers": EAGER,
    "silver_customers": EAGER,
    "silver_products": EAGER,
    "product_images": EAGER,
    "user_recommendations": AFTER_GATE,
    "sales_forecasts": AFTER_GATE,
    "conversation_summaries": AFTER_GATE,
}


def automation_condition(spec: AssetSpec) -> AutomationCondition | None:
    """The condition an asset runs under by itself, or None when only jobs run it."""
    name = spec.key.to_user_string()
    return ASSET_CONDITIONS.get(name) or GROUP_CONDITIONS.get(spec.group_name or "")


def with_automation(
    assets: Sequence[AssetsDefinition | AssetSpec],
) -> Sequence[AssetsDefinition | AssetSpec]:
    """The assets with their automation conditions attached."""

    def attach(spec: AssetSpec) -> AssetSpec:
        condition = automation_condition(spec)
        if condition is None:
            return spec
        return spec.replace_attributes(automation_condition=condition)

    return map_asset_specs(attach, assets)
