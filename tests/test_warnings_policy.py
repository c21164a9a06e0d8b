"""The suite's warning policy: a deprecated call made by this project's code fails its test, a
library's own internal deprecation does not (pyproject's `filterwarnings`)."""

import warnings

import pytest


@pytest.mark.parametrize(
    "module",
    ["hashira_assets.recommender.training", "hashira_serving.chat", "hashira_api.main",
     "hashira_ui.app", "hashira_cli.main", "jobs.asset_jobs", "resources.lake"],
)  # fmt: skip
def test_a_deprecation_attributed_to_project_code_is_an_error(module):
    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit("old call", DeprecationWarning, "x.py", 1, module=module)


@pytest.mark.parametrize("module", ["lancedb.table", "mlflow.tracking", "jobsearch", "resourcesx"])
def test_a_librarys_own_deprecation_stays_a_warning(module):
    warnings.warn_explicit("old call", DeprecationWarning, "x.py", 1, module=module)
