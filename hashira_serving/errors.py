"""Errors every client of the serving layer handles the same way."""

from __future__ import annotations


class NotMaterializedError(LookupError):
    """An asset the request needs has not been materialized yet; the message says which, and
    `asset` names it (when one asset is the answer), so a client can say whether it is being
    built right now."""

    def __init__(self, message: str, asset: str | None = None):
        super().__init__(message)
        self.asset = asset


class ModelRefusedError(NotMaterializedError):
    """A registered model's files do not match their recorded checksum, so it is not served
    (every client shows it like a model that is not there yet, with this reason)."""


class NotFoundError(LookupError):
    """The request names something that does not exist (a product, customer or series id)."""


def missing(asset: str, what: str) -> NotMaterializedError:
    """The standard message for a missing asset."""
    return NotMaterializedError(
        f"{what} is not materialized yet: run `make demo`, or materialize `{asset}` in the "
        "Dagster UI.",
        asset=asset,
    )
