"""The logsSubscribe listener against the simulated node: live, dropped, silent, bursting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tokenradar.discovery import Discovery, PoolProgram
from tokenradar.flow.budgets import provider_budgets
from tokenradar.providers.pumpfun import CREATE_INSTRUCTION_LOG, PUMPFUN_PROGRAM_ID
from tokenradar.simulator import SimulatedMarket, run_simulator
from tokenradar.simulator.model import SimToken
from tokenradar.supervisor import PartEvent

from .conftest import LOGS_ONLY, Recorder, settings_for, sim_config, until

SOURCE = f"logs:{PUMPFUN_PROGRAM_ID}"
BACKFILL = f"backfill:{PUMPFUN_PROGRAM_ID}"


@asynccontextmanager
async def listening(
    sim: SimulatedMarket, recorder: Recorder, **discovery: Any
) -> AsyncIterator[Discovery]:
    """Discovery on ``sim`` (the logs source only) through the real RPC budget, subscribed."""
    programs = discovery.pop("_programs", None)
    settings = settings_for(sim, **{**LOGS_ONLY, **discovery})
    gates = {"solana_rpc": provider_budgets(settings.providers)["solana_rpc"].gate}
    async with Discovery(settings, on_new=recorder, gates=gates, programs=programs) as found:
        await until(lambda: caught_up(found), what="a subscription, caught up")
        yield found


def caught_up(found: Discovery) -> bool:
    stats = found.stats()[SOURCE]
    return stats.connected and not stats.backfilling


def mints(tokens: list[SimToken]) -> set[str]:
    return {t.ref.address for t in tokens}


def assert_polite(sim: SimulatedMarket) -> None:
    """No RPC call of discovery's was refused by the node's limits."""
    endpoints = sim.stats()["endpoints"]
    refused = {k: v["rate_limited"] for k, v in endpoints.items() if k.startswith("solana_rpc")}
    assert set(refused.values()) <= {0}, refused


async def test_live_launches_are_detected_with_their_symbol_and_signature() -> None:
    recorder = Recorder()
    async with run_simulator(sim_config()) as sim, listening(sim, recorder) as found:
        launched = await sim.launches.burst(3)
        await until(lambda: len(recorder.events) == 3, what="three launches")
        assert [e.token.address for e in recorder.events] == [t.ref.address for t in launched]
        for event, tok in zip(recorder.events, launched, strict=True):
            assert (event.source, event.symbol, event.name) == (SOURCE, tok.symbol, tok.name)
            assert event.signature is not None
            assert event.created_at is None  # a notification carries no block time
        stats = found.stats()[SOURCE]
        assert (stats.seen, stats.new, stats.duplicates, stats.reconnects) == (3, 3, 0, 0)


async def test_a_dropped_connection_reconnects_and_backfills_what_it_missed() -> None:
    recorder = Recorder()
    async with run_simulator(sim_config()) as sim, listening(sim, recorder) as found:
        before = await sim.launches.burst(2)
        await until(lambda: len(recorder.events) == 2, what="the live launches")
        sim.launches.drop(refuse_for=0.5)  # reconnects are refused for a while ...
        missed = await sim.launches.burst(5)  # ... while these launch
        await until(lambda: len(recorder.events) == 7, what="the missed launches")
        assert sorted(recorder.tokens) == sorted(t.ref for t in before + missed)  # none twice
        backfilled = [e for e in recorder.events if e.source == BACKFILL]
        assert {e.token.address for e in backfilled} == mints(missed)
        assert all(e.created_at is not None and e.signature for e in backfilled)
        stats = found.stats()[SOURCE]
        assert stats.backfilled == 5
        assert stats.reconnects >= 1
        assert sim.stats()["websocket"]["refused"] >= 1
        # the missed launches arrive live on no connection: they must come from the ledger
        calls = sim.stats()["endpoints"]
        assert calls["solana_rpc.getSignaturesForAddress"]["ok"] >= 1
        assert calls["solana_rpc.getTransaction"]["ok"] >= 5
        assert_polite(sim)


async def test_a_connection_lost_before_its_backfill_finished_loses_nothing() -> None:
    recorder = Recorder()
    async with run_simulator(sim_config()) as sim, listening(sim, recorder) as found:
        first = await sim.launches.burst(2)
        await until(lambda: len(recorder.events) == 2)
        sim.inject("solana_rpc", "503", duration=1.5)  # every backfill fails for a while
        sim.launches.drop(refuse_for=0.2)
        gap1 = await sim.launches.burst(2)
        await until(
            lambda: (
                sim.stats()["websocket"]["connections"] >= 2 and found.stats()[SOURCE].connected
            ),
            what="the second connection",
        )
        live = await sim.launches.burst(1)  # notified on the new connection, newer than gap1
        await until(lambda: len(recorder.events) == 3, what="the live launch")
        sim.launches.drop(refuse_for=0.2)  # before its backfill could succeed
        gap2 = await sim.launches.burst(2)
        await until(lambda: len(recorder.events) == 7, what="both gaps")
        assert sorted(recorder.tokens) == sorted(t.ref for t in first + gap1 + live + gap2)
        assert {e.token for e in recorder.events if e.source == BACKFILL} == {
            t.ref for t in gap1 + gap2
        }
        assert "503" in str(found.stats()[SOURCE].last_error) or found.stats()[SOURCE].errors > 2


async def test_a_silent_connection_is_detected_by_the_heartbeat_and_replaced() -> None:
    recorder = Recorder()
    async with (
        run_simulator(sim_config()) as sim,
        listening(sim, recorder, ping_interval="100ms", silence_timeout="500ms") as found,
    ):
        assert sim.launches.silence() == 1  # a half-dead socket: no data, no pongs
        missed = await sim.launches.burst(3)
        await until(lambda: len(recorder.events) == 3, within=5, what="the launches")
        assert {e.source for e in recorder.events} == {BACKFILL}
        assert set(recorder.tokens) == {t.ref for t in missed}
        stats = found.stats()[SOURCE]
        assert stats.reconnects == 1
        assert stats.last_error is not None
        assert "nothing received" in stats.last_error
        assert sim.stats()["websocket"]["connections"] == 2


async def test_a_quiet_healthy_connection_is_kept_alive_by_pongs() -> None:
    recorder = Recorder()
    async with (
        run_simulator(sim_config()) as sim,
        listening(sim, recorder, ping_interval="100ms", silence_timeout="1s") as found,
    ):
        await until(lambda: sim.stats()["websocket"].get("pongs", 0) >= 25, what="25 pongs")
        assert found.stats()[SOURCE].reconnects == 0  # no data for 2.5 silence timeouts
        assert sim.stats()["websocket"]["connections"] == 1


async def test_a_burst_of_launches_is_all_delivered_once() -> None:
    recorder = Recorder()
    async with (
        run_simulator(sim_config(trade_noise_rate=2.0)) as sim,
        listening(sim, recorder) as found,
    ):
        launched = await sim.launches.burst(200)
        await until(lambda: len(recorder.events) >= 200, what="200 launches")
        assert len(recorder.events) == 200
        assert set(recorder.tokens) == {t.ref for t in launched}
        assert found.stats()[SOURCE].new == 200


async def test_creations_the_logs_cannot_decode_are_resolved_with_get_transaction() -> None:
    # pump.fun as if its event were not decodable: the path every other program takes
    undecoded = PoolProgram(
        PUMPFUN_PROGRAM_ID,
        "pump.fun (logs not decoded)",
        "launchpad",
        markers=frozenset({CREATE_INSTRUCTION_LOG}),
    )
    recorder = Recorder()
    async with (
        run_simulator(sim_config()) as sim,
        listening(sim, recorder, _programs={PUMPFUN_PROGRAM_ID: undecoded}),
    ):
        launched = await sim.launches.burst(4)
        await until(lambda: len(recorder.events) == 4, what="the resolved launches")
        assert set(recorder.tokens) == {t.ref for t in launched}
        assert {e.source for e in recorder.events} == {SOURCE}
        assert all(e.created_at is not None for e in recorder.events)  # the block time
        calls = sim.stats()["endpoints"]["solana_rpc.getTransaction"]
        assert calls["ok"] == 4  # trade noise is not a creation: never fetched live
        assert_polite(sim)


async def test_a_refused_subscription_is_reported_to_the_supervisor() -> None:
    recorder = Recorder()
    events: list[PartEvent] = []
    async with run_simulator(sim_config()) as sim:
        settings = settings_for(
            sim, ws_url=sim.ws_url.replace("/rpc/ws", "/no/such/ws"), **LOGS_ONLY
        )
        async with Discovery(settings, on_new=recorder, on_event=events.append) as found:
            await until(lambda: bool(events), what="a part event")
            assert events[0].part == SOURCE
            assert "404" in events[0].error  # a 4xx handshake is permanent: no quiet retry loop
            assert found.stats()[SOURCE].errors >= 1
            (part,) = found.parts()
            assert part.restarts >= 1
