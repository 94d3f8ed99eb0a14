"""New pools jump the queue: with 10,000 tokens refreshing under the public limits and a
launch every 2 s, every new token's facets are fetched before any routine token that
was waiting, on every lane, and each launch gets a stored decision quickly."""

from __future__ import annotations

import bisect

import pytest

from tokenradar.bench.launch import run_launch, summarise

#: a batch already on the wire when the pool was detected may still land after it
IN_FLIGHT_SLACK_S = 1.5


@pytest.mark.slow
async def test_every_new_pool_is_fetched_before_any_waiting_routine_token() -> None:
    run = await run_launch(tokens=10_000, seconds=30.0, launch_rate=0.5)
    assert len(run.detected) >= 8  # about 15 launches in 30 s
    new = set(run.detected)
    by_kind: dict[object, list[float]] = {}
    first: dict[tuple[object, object], float] = {}
    for at, token, kind in run.landed:
        if token in new:
            first.setdefault((token, kind), at)
        else:
            by_kind.setdefault(kind, []).append(at)
    checked = 0
    for (token, kind), landed_at in first.items():
        routine = by_kind.get(kind, [])
        start = run.detected[token] + IN_FLIGHT_SLACK_S
        overtaken = bisect.bisect_left(routine, landed_at) - bisect.bisect_right(routine, start)
        assert overtaken <= 0, (
            f"{kind}: {overtaken} routine facets landed between {token}'s detection and its own"
        )
        checked += 1
    assert checked >= len(new) * 3  # market, mint, holders, risk and price mostly land
    result = summarise(run)
    assert result.decided == result.launches  # every launch got a stored decision
    assert result.p50_ms < 1_000
