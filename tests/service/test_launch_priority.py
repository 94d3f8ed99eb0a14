"""New pools jump the queue: with 10,000 tokens refreshing under the public limits and a
launch every 2 s, every lane takes each new token before any routine token that was
waiting, and each launch gets a stored decision quickly."""

from __future__ import annotations

import pytest

from tokenradar.bench.launch import run_launch, summarise

#: tracking happens in the same loop turn as the detection; this covers the hand-over
SCHEDULING_SLACK_S = 0.05


@pytest.mark.slow
async def test_every_lane_takes_a_new_pool_before_any_waiting_routine_token() -> None:
    run = await run_launch(tokens=10_000, seconds=30.0, launch_rate=0.5)
    assert len(run.detected) >= 8  # about 15 launches in 30 s
    new = set(run.detected)
    first_taken: dict[tuple[object, object], float] = {}
    for at, kind, tokens in run.taken:
        for t in tokens:
            if t in new:
                first_taken.setdefault((t, kind), at)
    checked = 0
    for (token, kind), taken_at in first_taken.items():
        start = run.detected[token] + SCHEDULING_SLACK_S
        overtaking = [
            at
            for at, k, tokens in run.taken
            if k == kind and start < at < taken_at and any(t not in new for t in tokens)
        ]
        assert not overtaking, (
            f"{kind}: {len(overtaking)} batches of routine tokens were taken while "
            f"{token} waited ({taken_at - start:.2f}s)"
        )
        checked += 1
    assert checked >= len(new) * 3  # market, mint, holders, risk and price mostly
    result = summarise(run)
    assert result.decided == result.launches  # every launch got a stored decision
    assert result.p50_ms < 1_000
