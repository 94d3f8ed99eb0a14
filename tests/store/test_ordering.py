"""However batches are ordered and split, the end state is the newest data.

Hypothesis shuffles a set of facet and score versions (distinct timestamps)
into random batches; whatever the order, the stored latest attempt, latest
observation and latest score must be those with the greatest timestamps, and
the history must hold every score exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokenradar.domain import FacetKind, FacetState
from tokenradar.settings import StorageSettings
from tokenradar.store import open_store

from .conftest import drop_schema
from .factories import failed_market, market_facet, score, token

REFS = [token(i) for i in range(3)]


@st.composite
def versions(draw: st.DrawFn) -> tuple[list[Any], list[list[int]]]:
    n = draw(st.integers(2, 24))
    times = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    items: list[Any] = []
    for t in times:
        ref = draw(st.sampled_from(REFS))
        what = draw(st.sampled_from(["ok", "error", "score"]))
        if what == "ok":
            items.append(market_facet(ref, float(t), price=float(t)))
        elif what == "error":
            items.append(failed_market(ref, float(t)))
        else:
            items.append(score(ref, float(t), value=float(t % 100)))
    order = draw(st.permutations(range(n)))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=4))) if n > 1 else []
    batches, start = [], 0
    for cut in [*cuts, n]:
        batches.append(list(order[start:cut]))
        start = cut
    return items, batches


def expected(items: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ref in REFS:
        facets = [
            i for i in items if getattr(i, "kind", None) is FacetKind.MARKET and i.token == ref
        ]
        scores = [i for i in items if hasattr(i, "scored_at") and i.token == ref]
        observed = [f for f in facets if f.state is not FacetState.ERROR]
        out[str(ref)] = (
            max((f.fetched_at for f in facets), default=None),
            max((f.fetched_at for f in observed), default=None),
            max((s.scored_at for s in scores), default=None),
            sorted(s.scored_at for s in scores),
        )
    return out


async def apply(
    config: StorageSettings, items: list[Any], batches: list[list[int]]
) -> dict[str, Any]:
    async with open_store(config) as store:
        for batch in batches:
            await store.writer.put_many(items[i] for i in batch)
            await store.writer.flush()
        facets = await store.latest_facets(REFS)
        scores = await store.scores_for(REFS)
        out: dict[str, Any] = {}
        for ref in REFS:
            stored = facets.get(ref, {}).get(FacetKind.MARKET)
            history = await store.score_history(ref, limit=1000)
            out[str(ref)] = (
                None if stored is None else stored.latest.fetched_at,
                None if stored is None or stored.observed is None else stored.observed.fetched_at,
                scores[ref].scored_at if ref in scores else None,
                sorted(p.scored_at for p in history),
            )
            if stored is not None and stored.observed is not None:
                assert stored.observed.data.price_usd == stored.observed.fetched_at
        return out


FIXTURES_OK = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings(FIXTURES_OK, max_examples=25)
@given(case=versions())
def test_no_ordering_of_batches_lets_a_stale_write_win(tmp_path: Path, case: Any) -> None:
    items, batches = case
    db = tmp_path / f"order-{uuid.uuid4().hex}.db"
    config = StorageSettings(url=f"sqlite:///{db}")
    assert asyncio.run(apply(config, items, batches)) == expected(items)


@settings(FIXTURES_OK, max_examples=12)
@given(case=versions())
def test_no_ordering_of_batches_lets_a_stale_write_win_on_postgresql(
    postgres_url: str, case: Any
) -> None:
    items, batches = case
    config = StorageSettings(url=postgres_url, schema=f"t_{uuid.uuid4().hex[:16]}")
    try:
        assert asyncio.run(apply(config, items, batches)) == expected(items)
    finally:
        drop_schema(postgres_url, config.schema_name or "")
