"""The writer: batching, newer-wins, de-duplication, replay, backpressure, shutdown.

Every test here runs on SQLite and on PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenradar.clock import FakeClock
from tokenradar.domain import (
    CheckResult,
    CheckState,
    FacetKind,
    FacetState,
    MintData,
    TokenProgram,
    absent_facet,
    ok_facet,
)
from tokenradar.errors import StorageError
from tokenradar.store import AlertFire, ScanRecord, ScanStatus, Store, WriterState

from .factories import (
    failed_market,
    market_facet,
    price_facet,
    score,
    token,
)


async def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in key order (what "the end state" means in these tests)."""
    order = {
        "tokens": "chain, address",
        "facets": "token_id, kind",
        "latest_scores": "token_id",
        "score_history": "token_id, scored_at",
        "scans": "id",
        "alerts": "dedup_key",
    }

    async def read(conn: AsyncConnection) -> dict[str, list[tuple[Any, ...]]]:
        out = {}
        for table, key in order.items():
            cols = "*" if table != "tokens" else "chain, address"
            rows = await conn.execute(text(f"SELECT {cols} FROM {table} ORDER BY {key}"))
            out[table] = [tuple(r) for r in rows]
        return out

    return await store.read(read)


async def test_flushed_rows_are_visible_to_a_new_reader(store: Store) -> None:
    refs = [token(i) for i in range(50)]
    await store.writer.put_many(market_facet(r, 100.0 + i) for i, r in enumerate(refs))
    await store.writer.put_many(score(r, 200.0, value=float(i)) for i, r in enumerate(refs))
    await store.writer.flush()

    stored = await store.latest_facets(refs)
    assert len(stored) == 50
    assert stored[refs[7]][FacetKind.MARKET].latest == market_facet(refs[7], 107.0)
    ranked = await store.ranked_scores(limit=3)
    assert [r.score.token for r in ranked] == [refs[49], refs[48], refs[47]]
    assert ranked[0].price_usd == 1.0
    assert ranked[0].liquidity_usd == 10_000.0
    assert ranked[0].symbol == "TKN"


async def test_a_batch_with_the_same_key_twice_commits_the_newest(store: Store) -> None:
    ref = token(1)
    # one batch (flush only at the end): the same facet and score key several times
    await store.writer.put_many(
        [
            market_facet(ref, 10.0, price=1.0),
            market_facet(ref, 30.0, price=3.0),
            market_facet(ref, 20.0, price=2.0),
            score(ref, 5.0, value=5.0),
            score(ref, 7.0, value=7.0),
            score(ref, 7.0, value=7.0),
            score(ref, 6.0, value=6.0),
        ]
    )
    await store.writer.flush()
    assert store.writer.stats.batches == 1

    facet = (await store.latest_facets([ref]))[ref][FacetKind.MARKET].latest
    assert facet.fetched_at == 30.0
    assert facet.data.price_usd == 3.0
    assert (await store.scores_for([ref]))[ref].score == 7.0
    history = await store.score_history(ref)
    assert [p.scored_at for p in history] == [7.0, 6.0, 5.0]


async def test_replaying_a_batch_changes_nothing(store: Store) -> None:
    refs = [token(i) for i in range(20)]
    scan = ScanRecord("scan-1", ScanStatus.RUNNING, requested_at=1.0, updated_at=2.0, total=20)
    batch: list[Any] = [
        *(market_facet(r, 10.0) for r in refs),
        *(failed_market(r, 11.0) for r in refs[:5]),
        *(score(r, 12.0, value=float(i)) for i, r in enumerate(refs)),
        scan,
        AlertFire("tier:x", "warn", "tier changed", fired_at=13.0),
    ]
    await store.writer.put_many(batch)
    await store.writer.flush()
    before = await dump(store)

    await store.writer.put_many(batch)
    await store.writer.flush()
    await store.writer.put_many(reversed(batch))
    await store.writer.flush()
    assert await dump(store) == before


async def test_a_stale_batch_never_overwrites_a_newer_one(store: Store) -> None:
    refs = [token(i) for i in range(10)]
    await store.writer.put_many(market_facet(r, 100.0, price=2.0) for r in refs)
    await store.writer.put_many(score(r, 100.0, value=80.0) for r in refs)
    await store.writer.flush()
    # a delayed batch from earlier arrives late
    await store.writer.put_many(market_facet(r, 50.0, price=1.0) for r in refs)
    await store.writer.put_many(score(r, 50.0, value=10.0) for r in refs)
    await store.writer.put_many(failed_market(r, 60.0) for r in refs)
    await store.writer.flush()

    facets = await store.latest_facets(refs)
    scores = await store.scores_for(refs)
    for r in refs:
        stored = facets[r][FacetKind.MARKET]
        assert stored.latest.fetched_at == 100.0
        assert stored.latest.data.price_usd == 2.0
        assert scores[r].score == 80.0
        assert scores[r].scored_at == 100.0
    # the late scores are history all the same
    assert [p.scored_at for p in await store.score_history(refs[0])] == [100.0, 50.0]


async def test_an_error_keeps_the_last_observation(store: Store) -> None:
    ref = token(3)
    await store.writer.put(market_facet(ref, 10.0, price=4.0))
    await store.writer.flush()
    await store.writer.put(failed_market(ref, 20.0))
    await store.writer.flush()

    stored = (await store.latest_facets([ref]))[ref][FacetKind.MARKET]
    assert stored.latest.state is FacetState.ERROR
    assert stored.latest.error is not None
    assert stored.latest.error.kind == "timeout"
    assert stored.observed == market_facet(ref, 10.0, price=4.0)


async def test_an_older_answer_arriving_after_a_newer_error_still_counts(store: Store) -> None:
    ref = token(4)
    await store.writer.put(failed_market(ref, 20.0))
    await store.writer.flush()
    await store.writer.put(market_facet(ref, 10.0, price=4.0))
    await store.writer.flush()

    stored = (await store.latest_facets([ref]))[ref][FacetKind.MARKET]
    assert stored.latest.state is FacetState.ERROR
    assert stored.latest.fetched_at == 20.0
    assert stored.observed is not None
    assert stored.observed.fetched_at == 10.0


async def test_absent_replaces_the_observation(store: Store) -> None:
    ref = token(5)
    await store.writer.put(market_facet(ref, 10.0))
    await store.writer.put(absent_facet(ref, FacetKind.MARKET, fetched_at=20.0, source="dex"))
    await store.writer.flush()
    stored = (await store.latest_facets([ref]))[ref][FacetKind.MARKET]
    assert stored.latest.state is FacetState.ABSENT
    assert stored.observed == stored.latest


async def test_payloads_keep_integers_beyond_64_bits(store: Store) -> None:
    ref = token(6)
    mint = MintData(
        program=TokenProgram.SPL_TOKEN_2022,
        mint_authority=None,
        freeze_authority="F" * 32,
        supply=2**70 + 3,
        decimals=9,
        is_initialized=True,
        extensions=("transferFeeConfig", "permanentDelegate"),
        transfer_fee_bps=250,
    )
    facet = ok_facet(ref, FacetKind.MINT, mint, fetched_at=5.0, source="solana_rpc")
    await store.writer.put(facet)
    await store.writer.flush()
    assert (await store.latest_facets([ref]))[ref][FacetKind.MINT].latest == facet


async def test_latest_score_keeps_its_checks(store: Store) -> None:
    ref = token(7)
    checks = (
        CheckResult("mint_revoked", CheckState.PASS, True, FacetKind.MINT, 3.5, 20.0, 20.0, True),
        CheckResult("top10", CheckState.FAIL, 0.61, FacetKind.HOLDERS, 60.0, 0.0, 15.0),
        CheckResult("lp_locked", CheckState.UNKNOWN, None, None, None, 0.0, 10.0, reason="no"),
    )
    s = score(ref, 9.0)
    s = type(s)(s.token, 61.5, 70.0, 40.0, s.tier, s.decision, 0.7, 9.0, checks)
    await store.writer.put(s)
    await store.writer.flush()
    assert (await store.scores_for([ref]))[ref] == s


async def test_history_snapshots_price_and_liquidity_at_scoring(store: Store) -> None:
    a, b = token(8), token(9)
    await store.writer.put_many([market_facet(a, 1.0, price=2.5, liquidity=900.0)])
    await store.writer.put_many([price_facet(b, 1.0, price=0.25)])  # no market: Jupiter's price
    await store.writer.put_many([score(a, 2.0), score(b, 2.0)])
    await store.writer.flush()
    (pa,) = await store.score_history(a)
    (pb,) = await store.score_history(b)
    assert (pa.price_usd, pa.liquidity_usd) == (2.5, 900.0)
    assert (pb.price_usd, pb.liquidity_usd) == (0.25, None)


async def test_scans_keep_the_latest_version(store: Store) -> None:
    scan = ScanRecord("s1", ScanStatus.QUEUED, requested_at=1.0, updated_at=1.0, params={"n": 3})
    running = scan.advance(ScanStatus.RUNNING, at=2.0, total=3, done=1)
    done = running.advance(
        ScanStatus.DONE, at=3.0, done=3, complete=2, failed=1, errors=("rugcheck: timeout",)
    )
    await store.writer.put_many([scan, done, running])  # out of order
    await store.writer.flush()
    assert await store.get_scan("s1") == done
    assert [s.id for s in await store.list_scans()] == ["s1"]


async def test_alert_firings_are_counted_once_each(store: Store) -> None:
    fires = [AlertFire("rug:x", "critical", f"rugged {i}", fired_at=float(i)) for i in (1, 2, 3)]
    await store.writer.put_many(fires[:2])
    await store.writer.flush()
    await store.writer.put_many([fires[1], fires[2], fires[2]])  # a replay and a new one
    await store.writer.flush()
    (alert,) = await store.recent_alerts()
    assert (alert.count, alert.first_fired, alert.last_fired) == (3, 1.0, 3.0)
    assert alert.message == "rugged 3"


async def test_rows_commit_when_the_oldest_has_waited_the_flush_interval(
    store: Store, clock: FakeClock
) -> None:
    await store.writer.put(market_facet(token(1), 1.0))
    for _ in range(20):
        await asyncio.sleep(0)
    assert store.writer.stats.batches == 0  # waiting for more rows
    await clock.run_for(store.settings.flush_interval)
    for _ in range(200):
        if store.writer.stats.batches:
            break
        await asyncio.sleep(0.005)
    assert store.writer.stats.batches == 1
    assert store.writer.pending == 0


async def test_a_full_batch_commits_without_waiting(settings: Any, clock: FakeClock) -> None:
    from tokenradar.store import open_store

    async with open_store(settings.model_copy(update={"batch_size": 10}), clock=clock) as store:
        await store.writer.put_many(market_facet(token(i), 1.0) for i in range(25))
        for _ in range(400):
            if store.writer.stats.rows_committed >= 20:
                break
            await asyncio.sleep(0.005)
        # two full batches went without the clock moving; 5 rows wait for the interval
        assert store.writer.stats.rows_committed == 20
        assert store.writer.pending == 5


async def test_close_drains_the_queue_and_refuses_new_rows(settings: Any, clock: FakeClock) -> None:
    from tokenradar.store import open_store

    refs = [token(i) for i in range(30)]
    async with open_store(settings, clock=clock) as store:
        await store.writer.put_many(score(r, 1.0) for r in refs)
        writer = store.writer
    assert writer.state is WriterState.CLOSED
    with pytest.raises(StorageError, match="closed"):
        await writer.put(score(refs[0], 2.0))
    async with open_store(settings, clock=clock) as store:
        assert len(await store.scores_for(refs)) == 30


async def test_a_row_the_database_refuses_is_reported_and_the_rest_commit(store: Store) -> None:
    refs = [token(i) for i in range(8)]
    bad = ScanRecord("bad", ScanStatus.QUEUED, requested_at=1.0, updated_at=1.0, total=2**70)
    await store.writer.put_many([*(market_facet(r, 1.0) for r in refs[:4]), bad])
    await store.writer.put_many(market_facet(r, 1.0) for r in refs[4:])
    with pytest.raises(StorageError, match="1 row"):
        await store.writer.flush()
    assert store.writer.stats.rows_rejected == 1
    assert len(await store.latest_facets(refs)) == 8
    await store.writer.put(market_facet(refs[0], 2.0))
    await store.writer.flush()  # reported once; the writer goes on


async def test_unstorable_items_are_refused_at_put(store: Store) -> None:
    with pytest.raises(TypeError, match="not str"):
        await store.writer.put("not a row")  # type: ignore[arg-type]


async def test_readers_are_not_blocked_by_an_open_write_transaction(store: Store) -> None:
    ref = token(1)
    await store.writer.put(market_facet(ref, 1.0, price=1.0))
    await store.writer.flush()
    holding, release = asyncio.Event(), asyncio.Event()

    async def long_write(conn: AsyncConnection) -> None:
        await conn.execute(text("UPDATE facets SET price_usd = 99.0"))
        holding.set()
        await release.wait()  # the write transaction stays open meanwhile

    job = asyncio.create_task(store.writer.run_job(long_write))
    await holding.wait()
    try:
        # a reader gets the last committed state at once
        stored = await asyncio.wait_for(store.latest_facets([ref]), 5)
        assert stored[ref][FacetKind.MARKET].observed is not None
        ranked = await asyncio.wait_for(store.read(_prices), 5)
        assert ranked == [1.0]
    finally:
        release.set()
        await job
    assert await store.read(_prices) == [99.0]


async def _prices(conn: AsyncConnection) -> list[float]:
    return [r[0] for r in await conn.execute(text("SELECT price_usd FROM facets"))]


async def test_put_waits_while_the_queue_is_full_and_nothing_is_lost(
    sqlite_settings: Any, clock: FakeClock
) -> None:
    """Another process holds the write lock: the writer retries, producers wait."""
    import sqlite3

    from tokenradar.store import open_store

    settings = sqlite_settings.model_copy(
        update={"queue_size": 50, "batch_size": 20, "busy_timeout": 0.0}
    )
    path = settings.url.split(":///", 1)[1]
    async with open_store(settings) as store:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # a second writer that does not let go
        try:
            producer = asyncio.create_task(
                store.writer.put_many(market_facet(token(i), 1.0) for i in range(200))
            )
            # backoff sleeps on the store's clock; the failing commit runs in a thread on
            # real time: wait for its first retry (a loaded machine takes longer), bounded
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while store.writer.stats.retries == 0 and loop.time() < deadline:
                await clock.run_for(0.5)
            for _ in range(10):
                await clock.run_for(0.5)
            assert not producer.done()  # backpressure: it cannot queue all 200
            assert store.writer.pending <= 50 + 20  # the queue plus one batch in hand
            assert store.writer.stats.retries > 0
            assert store.writer.state.value == "retrying"
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        flushing = asyncio.create_task(_put_then_flush(producer, store))
        for _ in range(200):
            if flushing.done():
                break
            await clock.run_for(5.0)
        await asyncio.wait_for(flushing, 5)
        assert len(await store.latest_facets([token(i) for i in range(200)])) == 200
        assert store.writer.state.value == "running"


async def _put_then_flush(producer: asyncio.Task[int], store: Store) -> None:
    await producer
    await store.writer.flush()


async def test_sqlite_commits_are_checkpointed_into_the_database_file_beside_the_writer(
    sqlite_settings: Any, clock: FakeClock
) -> None:
    from pathlib import Path

    from tokenradar.store import open_store

    db = Path(sqlite_settings.url.split(":///", 1)[1])
    async with open_store(sqlite_settings, clock=clock) as store:
        empty = _size(db)
        await store.writer.put_many(market_facet(token(i), 1.0) for i in range(3000))
        await store.writer.flush()
        # far below the writer's own auto-checkpoint threshold: only the checkpointer copies
        for _ in range(200):
            if _size(db) > empty + 1_000_000:
                break
            await asyncio.sleep(0.01)
        assert _size(db) > empty + 1_000_000


def _size(path: Any) -> int:
    return int(path.stat().st_size)
