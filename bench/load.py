"""An open-loop HTTP load generator for loopback benchmarks: requests are sent on a fixed schedule
(rate × duration, so it always stops by itself) over keep-alive connections, and each latency is
measured from the request's scheduled time, so a slow server cannot hide its queueing
(no coordinated omission)."""

from __future__ import annotations

import asyncio
import statistics
import time
from urllib.parse import urlsplit


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _run(url: str, headers: dict[str, str], rate: float, seconds: float, connections: int):
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}Connection: keep-alive\r\n\r\n"
    ).encode()
    total = int(rate * seconds)
    queue: asyncio.Queue[float] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while True:
            scheduled = await queue.get()
            if scheduled < 0:
                break
            try:
                writer.write(request)
                status = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                continue
            if status != 200:
                errors += 1
            latencies.append(time.perf_counter() - scheduled)
        writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = time.perf_counter()
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(scheduled)
    for _ in workers:
        queue.put_nowait(-1.0)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    return latencies, errors, elapsed, total


def constant_rate(
    url: str,
    headers: dict[str, str],
    rate: float,
    seconds: float,
    connections: int = 32,
) -> dict:
    """Send rate × seconds GETs at a constant rate; latency percentiles in milliseconds."""
    latencies, errors, elapsed, total = asyncio.run(_run(url, headers, rate, seconds, connections))
    ms = [x * 1000 for x in latencies]
    return {
        "offered_rate": rate,
        "seconds": seconds,
        "requests": total,
        "completed": len(ms),
        "errors": errors,
        "achieved_rate": round(len(ms) / elapsed, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
    }
