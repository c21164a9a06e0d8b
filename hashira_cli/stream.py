"""The real-time path's command: `hashira stream-consume`."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from resources.event_bus import DEFAULT_GROUP


def stream_consume(
    group: Annotated[str, typer.Option(help="Consumer group.")] = DEFAULT_GROUP,
    consumer: Annotated[
        str | None,
        typer.Option(help="Consumer name, unique among live consumers (default host-pid)."),
    ] = None,
    batch: Annotated[int, typer.Option(help="Events read and committed at once.", min=1)] = 500,
    block_ms: Annotated[
        int, typer.Option(help="How long one read waits for new events.", min=1)
    ] = 1000,
    claim_idle_ms: Annotated[
        int,
        typer.Option(help="Re-claim events another consumer left uncommitted this long.", min=1),
    ] = 30_000,
    max_events: Annotated[
        int | None, typer.Option(help="Exit after handling this many events.", min=1)
    ] = None,
    idle_exit: Annotated[
        float | None, typer.Option(help="Exit after this many seconds with nothing to read.")
    ] = None,
    stats_json: Annotated[
        Path | None, typer.Option(help="Write the rate and delay figures here on exit.")
    ] = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO or WARNING.")] = "INFO",
    stall_after_read: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Apply shop events from the event bus to the online feature store (shoppers' last views).

    The bus is Redis Streams when HASHIRA_REDIS_URL is set, else the app database table.
    """
    from hashira_assets.stream_consumer import ConsumerSettings, consume, default_consumer_name
    from resources.event_bus import event_bus_from_env

    logging.basicConfig(
        stream=sys.stderr,
        level=log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    bus = event_bus_from_env()
    settings = ConsumerSettings(
        group=group,
        consumer=consumer or default_consumer_name(),
        batch=batch,
        block_ms=block_ms,
        claim_idle_ms=claim_idle_ms,
        claim_every_s=min(5.0, claim_idle_ms / 1000),
        max_events=max_events,
        idle_exit_s=idle_exit,
        stall_after_reads=stall_after_read,
    )
    stop = threading.Event()
    # Ctrl-C and SIGTERM let the batch in hand commit, then exit cleanly.
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        stats = consume(bus, bus.online_store(), settings, stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    summary = stats.summary()
    if stats_json is not None:
        stats_json.parent.mkdir(parents=True, exist_ok=True)
        stats_json.write_text(json.dumps(summary, indent=2))
    typer.echo(
        f"{summary['handled']} events handled, {summary['applied']} applied, "
        f"{summary['reclaimed']} re-claimed, {summary['events_per_s']:.0f} events/s"
    )
