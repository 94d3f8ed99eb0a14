"""Benchmark: the store writer's throughput on SQLite or PostgreSQL.

    python -m tokenradar.bench.writer [--url postgresql://…] [--tokens 10000] [--rounds 4]

Timed end to end through the real :class:`~tokenradar.store.Writer`: encoding
domain objects to rows, batching, the upserts, and the commit (the clock
stops when ``flush()`` returns, i.e. when the rows are durable). Phases:

- ``insert facets``: first write of every facet kind for every token (new
  tokens get their ids inside the same transactions);
- ``upsert facets``: ``rounds`` refreshes of every facet, each newer than the last;
- ``scores``: ``rounds`` scores per token (latest-score upsert + history
  append + the market snapshot lookup), while a reader queries the ranking
  in a loop (its latency shows that reads do not wait for the writer).

Facets are realistic: full DexScreener market aggregates, mint accounts,
20 largest holders, RugCheck reports with risks, Jupiter prices; a few
percent are ``absent`` or ``error``. A measurement, not a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import base58
import numpy as np
import typer
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from tokenradar.domain import (
    CheckResult,
    CheckState,
    Decision,
    Facet,
    FacetError,
    FacetKind,
    FacetState,
    Holder,
    HolderKind,
    HoldersData,
    Link,
    MarketData,
    MintData,
    PriceData,
    RiskData,
    RiskItem,
    Score,
    Tier,
    TokenProgram,
    TokenRef,
)
from tokenradar.errors import ConfigError, StorageError
from tokenradar.settings import StorageSettings
from tokenradar.store import Store, open_store
from tokenradar.store.databases import async_url, is_sqlite, redacted
from tokenradar.store.errors import storage_error

NOW = 1_750_000_000.0
AUTH = "BCD75RNBHrJJpW4dXVagL5mPjzRLnVZq4YirJdjEYMV7"


def _tokens(n: int, seed: int) -> list[TokenRef]:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    return [TokenRef("solana", base58.b58encode(r.tobytes()).decode()) for r in raw]


def _facets(
    refs: Sequence[TokenRef], at: float, seed: int, kinds: frozenset[FacetKind] | None = None
) -> list[Facet[Any]]:
    """Each facet kind (of ``kinds``) for every token, fetched at ``at`` (~4 % absent,
    ~3 % error)."""
    rng = np.random.default_rng(seed)
    n = len(refs)
    price = rng.lognormal(-3.0, 2.0, n)
    liq = rng.lognormal(11.0, 2.5, n)
    state = rng.random((n, 5))
    out: list[Facet[Any]] = []
    for i, ref in enumerate(refs):
        p, lq = float(price[i]), float(liq[i])
        datas: list[tuple[FacetKind, Any]] = [
            (FacetKind.MARKET, _market(p, lq, i)),
            (
                FacetKind.MINT,
                MintData(
                    TokenProgram.SPL_TOKEN, AUTH if i % 5 == 0 else None, None, 10**18 + i, 9, True
                ),
            ),
            (FacetKind.HOLDERS, _holders(i)),
            (
                FacetKind.RISK,
                RiskData(
                    score=500 + i % 3000,
                    score_normalised=float(i % 100),
                    risks=(
                        RiskItem("Mutable metadata", "warn", 100, "Token metadata can be changed"),
                        RiskItem("Low Liquidity", "danger", 2000, "Low amount of liquidity", "$1k"),
                    )[: i % 3],
                    rugged=i % 50 == 0,
                    mint_authority=None,
                    freeze_authority=None,
                    lp_locked_pct=float(i % 101),
                    total_holders=1000 + i,
                    total_market_liquidity=lq,
                    transfer_fee_pct=0.0,
                    token_program="spl-token",
                ),
            ),
            (
                FacetKind.PRICE,
                PriceData(p * 1.001, price_change_24h=-2.5, block_id=300_000_000 + i),
            ),
        ]
        for j, (kind, data) in enumerate(datas):
            if kinds is not None and kind not in kinds:
                continue
            r = state[i, j]
            if r < 0.04:
                out.append(Facet(ref, kind, FacetState.ABSENT, at, "bench"))
            elif r < 0.07:
                err = FacetError("timeout", "no answer within 10s")
                out.append(Facet(ref, kind, FacetState.ERROR, at, "bench", error=err))
            else:
                out.append(Facet(ref, kind, FacetState.OK, at, "bench", data=data))
    return out


def _market(price: float, liq: float, i: int) -> MarketData:
    return MarketData(
        symbol=f"T{i}",
        name=f"Token number {i}",
        pair_count=1 + i % 4,
        best_pair_address="8sLbNZoA1cfnvMJLPfp98ZLAnFSYCFApfJKMbiXNLwxj",
        best_dex="raydium",
        quote_symbol="SOL",
        price_usd=price,
        price_native=price / 150.0,
        liquidity_usd=liq,
        best_pair_liquidity_usd=liq * 0.9,
        volume_m5=liq / 300,
        volume_h1=liq / 30,
        volume_h6=liq / 5,
        volume_h24=liq,
        buys_m5=i % 17,
        sells_m5=i % 13,
        buys_h1=i % 170,
        sells_h1=i % 130,
        buys_h24=i % 1700,
        sells_h24=i % 1300,
        price_change_m5=0.4,
        price_change_h1=-1.2,
        price_change_h6=5.5,
        price_change_h24=-12.25,
        pair_created_at=NOW - 86_400 * (i % 90),
        fdv=price * 1e9,
        market_cap=price * 9e8,
        websites=("https://example.org",),
        socials=(Link("twitter", "https://x.com/example"),),
    )


def _holders(i: int) -> HoldersData:
    top = tuple(
        Holder(
            token_account=f"Acct{i:08d}{k:02d}xxxxxxxxxxxxxxxxxxxxxx",
            owner=f"Own{i:08d}{k:02d}xxxxxxxxxxxxxxxxxxxxxxx",
            amount=10**15 // (k + 2),
            share=1.0 / (k + 2) / 4,
            kind=HolderKind.POOL_VAULT if k == 0 else HolderKind.WALLET,
        )
        for k in range(20)
    )
    return HoldersData(10**18, 9, top, 0.083, 0.41)


_CHECKS = (
    CheckResult("mint_revoked", CheckState.PASS, True, FacetKind.MINT, 30.0, 15.0, 15.0, True),
    CheckResult("top10_share", CheckState.FAIL, 0.41, FacetKind.HOLDERS, 60.0, 0.0, 10.0),
    CheckResult("liquidity", CheckState.PASS, 65_000.0, FacetKind.MARKET, 5.0, 10.0, 10.0),
    CheckResult("rugcheck", CheckState.UNKNOWN, None, None, None, 0.0, 10.0, reason="error"),
)


def _scores(refs: Sequence[TokenRef], at: float) -> list[Score]:
    tiers = (Tier.HOT, Tier.WARM, Tier.COLD)
    decisions = (Decision.BUY_CANDIDATE, Decision.WATCH, Decision.AVOID)
    return [
        Score(ref, float(i % 100), 60.0, 40.0, tiers[i % 3], decisions[i % 3], 0.8, at, _CHECKS)
        for i, ref in enumerate(refs)
    ]


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    rows: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class WriterBench:
    url: str
    tokens: int
    mix: str  # the facet kinds written
    batch_size: int
    phases: tuple[Phase, ...]
    batches: int
    read_ms: tuple[float, float, int]  # p50, p99, queries
    db_bytes: int | None

    def report(self) -> str:
        lines = [
            f"writer bench: {redacted(self.url)}, {self.tokens:,} tokens, facets: {self.mix}, "
            f"batch_size {self.batch_size}, {self.batches:,} transactions in all"
        ]
        for p in self.phases:
            lines.append(
                f"  {p.name:<14} {p.rows:>9,} rows  {p.seconds:7.2f} s  "
                f"{p.per_second:>10,.0f} rows/s  (encode + batch + upsert + commit)"
            )
        p50, p99, n = self.read_ms
        lines.append(
            f"  reader during scores: {n} ranking queries, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )
        if self.db_bytes is not None:
            lines.append(f"  database on disk: {self.db_bytes / 1e6:,.1f} MB")
        return "\n".join(lines)


async def _timed(store: Store, name: str, items: Sequence[Any]) -> Phase:
    t0 = time.perf_counter()
    await store.writer.put_many(items)
    await store.writer.flush()
    return Phase(name, len(items), time.perf_counter() - t0)


async def _reader(store: Store, stop: asyncio.Event, samples: list[float]) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        await store.ranked_scores(limit=20)
        samples.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.01)


async def run_writer_bench(
    storage: StorageSettings,
    tokens: int = 10_000,
    rounds: int = 4,
    seed: int = 1,
    kinds: frozenset[FacetKind] | None = None,
) -> WriterBench:
    refs = _tokens(tokens, seed)
    first = _facets(refs, NOW, seed, kinds)
    refreshes = [_facets(refs, NOW + 60 * (r + 1), seed + r + 1, kinds) for r in range(rounds)]
    score_rounds = [_scores(refs, NOW + 60 * (r + 1) + 1) for r in range(rounds)]
    phases = []
    async with open_store(storage) as store:
        phases.append(await _timed(store, "insert facets", first))
        upserts = [f for batch in refreshes for f in batch]
        phases.append(await _timed(store, "upsert facets", upserts))
        stop, samples = asyncio.Event(), list[float]()
        reader = asyncio.create_task(_reader(store, stop, samples))
        phases.append(await _timed(store, "scores", [s for r in score_rounds for s in r]))
        stop.set()
        await reader
        batches = store.writer.stats.batches
    db_bytes = _sqlite_bytes(storage.url)
    q = sorted(samples) or [0.0]
    read = (statistics.median(q), q[min(len(q) - 1, int(len(q) * 0.99))], len(samples))
    mix = "all kinds" if kinds is None else ",".join(sorted(k.value for k in kinds))
    return WriterBench(
        storage.url, tokens, mix, storage.batch_size, tuple(phases), batches, read, db_bytes
    )


def _sqlite_bytes(url: str) -> int | None:
    if not is_sqlite(url):
        return None
    path = Path(url.split(":///", 1)[1])
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


async def _drop_schema(url: str, schema: str) -> None:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    except (SQLAlchemyError, OSError) as exc:
        raise storage_error(f"dropping schema {schema} on {redacted(url)}", exc) from exc
    finally:
        await engine.dispose()


#: the option each storage setting comes from, to name it in an error
_OPTION_OF = {
    "url": "--url",
    "batch_size": "--batch-size",
    "queue_size": "--batch-size",
    "synchronous": "--synchronous",
}


def _storage(url: str, schema: str | None, batch_size: int, synchronous: str) -> StorageSettings:
    """The bench's storage settings; a bad option is a ConfigError naming it."""
    try:
        return StorageSettings(
            url=url,
            schema_name=schema,
            batch_size=batch_size,
            synchronous="FULL" if synchronous.upper() == "FULL" else "NORMAL",
            queue_size=max(20_000, 4 * batch_size),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "storage"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(_OPTION_OF.get(field, field), message) from None


def writer_command(
    *,
    url: Annotated[
        str | None,
        typer.Option(
            help="database (default: a temporary SQLite file); PostgreSQL uses a throwaway schema"
        ),
    ] = None,
    tokens: Annotated[int, typer.Option(help="tokens (5 facets each)", min=1)] = 10_000,
    rounds: Annotated[int, typer.Option(help="refreshes of every facet and score", min=1)] = 4,
    batch_size: Annotated[int, typer.Option(help="rows per transaction", min=1)] = 5000,
    synchronous: Annotated[str, typer.Option(help="SQLite: NORMAL or FULL")] = "NORMAL",
    facets: Annotated[
        str, typer.Option(help="facet kinds to write, e.g. market,price (default: all five)")
    ] = "",
) -> None:
    """Time the store writer: facet inserts, facet upserts and scores, in rows/s."""
    with tempfile.TemporaryDirectory(prefix="tokenradar-bench-") as tmp:
        target = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        schema = None if is_sqlite(target) else f"bench_{uuid.uuid4().hex[:12]}"
        storage = _storage(target, schema, batch_size, synchronous)
        try:
            kinds = frozenset(FacetKind(k.strip()) for k in facets.split(",") if k.strip())
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--facets") from exc
        try:
            result = asyncio.run(run_writer_bench(storage, tokens, rounds, kinds=kinds or None))
        except BaseException:
            if schema is not None:
                # the bench's own error is the one to report: a server that is down
                # fails the drop as well
                with contextlib.suppress(StorageError):
                    asyncio.run(_drop_schema(target, schema))
            raise
        if schema is not None:
            asyncio.run(_drop_schema(target, schema))
    typer.echo(result.report())


if __name__ == "__main__":
    typer.run(writer_command)
