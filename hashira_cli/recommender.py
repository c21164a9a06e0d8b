"""The recommender's command `hashira recommend`; its benches are in `recommender_bench`."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _ids(text: str | None, what: str) -> list[int]:
    if not text:
        return []
    try:
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError as exc:
        _err(f"error: {what} must be comma-separated product ids, got {text!r}")
        raise typer.Exit(code=2) from exc


def recommend(
    user: Annotated[int | None, typer.Option(help="A known customer id.")] = None,
    profile: Annotated[
        str | None,
        typer.Option(help="A new customer: 'style=Water,level=35,budget=400' (budget optional)."),
    ] = None,
    viewed: Annotated[
        str | None, typer.Option(help="Product ids just viewed, comma-separated.")
    ] = None,
    similar_to: Annotated[
        int | None, typer.Option(help="Mode `similar`: products like this product.")
    ] = None,
    cross_sell: Annotated[
        str | None, typer.Option(help="Mode `cross_sell`: bought together with these ids.")
    ] = None,
    k: Annotated[int, typer.Option(help="How many products.", min=1, max=50)] = 12,
    explore: Annotated[bool, typer.Option(help="Keep the exploration slot.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Recommend products with the champion model: for a customer, a profile, or a product."""
    from hashira_serving import recommendations as recs
    from hashira_serving.errors import NotFoundError, NotMaterializedError

    modes = [user is not None, profile is not None, similar_to is not None, bool(cross_sell)]
    if sum(modes) != 1:
        _err("error: give exactly one of --user, --profile, --similar-to, --cross-sell")
        raise typer.Exit(code=2)
    seen = tuple(_ids(viewed, "--viewed"))
    try:
        if similar_to is not None:
            result = recs.similar(similar_to, k)
        elif cross_sell:
            result = recs.cross_sell(_ids(cross_sell, "--cross-sell"), k)
        elif user is not None:
            result = recs.for_customer(user, seen, k, explore)
        else:
            result = recs.for_profile(recs.profile_from_text(profile or ""), seen, k)
    except NotMaterializedError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code=1) from exc
    except (NotFoundError, ValueError) as exc:
        _err(f"error: {str(exc).strip(chr(39))}")
        raise typer.Exit(code=2) from exc
    for rec in result.items:
        if as_json:
            typer.echo(json.dumps(rec.__dict__))
        else:
            flag = " *" if rec.explored else ""
            typer.echo(f"{rec.rank:>2}. [{rec.product_id}] {rec.name} ({rec.score:.3f}){flag}"
                       f" - {rec.reason}")  # fmt: skip
    _err(f"(hashira-recommender v{result.model_version})")
