"""The app's command: `hashira demo-accounts` creates (or lists) the demo sign-ins."""

from __future__ import annotations

import typer


def demo_accounts() -> None:
    """Create the demo accounts in the app database (existing ones are kept) and list them."""
    from hashira_serving.accounts import ensure_demo_accounts
    from hashira_serving.errors import NotMaterializedError
    from resources import settings
    from resources.app_database import AppDatabaseResource

    db = AppDatabaseResource()
    try:
        created = ensure_demo_accounts(db, settings.raw_dir())
    except (FileNotFoundError, NotMaterializedError) as exc:
        typer.echo(f"error: the raw world is not generated yet ({exc}); run make demo", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"demo accounts in {db.resolved_url()}:")
    for demo, customer_id in created:
        linked = f", customer {customer_id}" if customer_id >= 0 else ""
        typer.echo(f"  {demo.username} / {demo.password}  ({demo.role}{linked}: {demo.note})")
