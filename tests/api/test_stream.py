"""SSE: events arrive with the bus id, resume from Last-Event-ID, slow clients are dropped."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import httpx

from api.conftest import api_settings, loopback, running_api, until
from flow.memory import solana_tokens
from tokenradar.service.topics import PoolCreated


async def read_events(resp: httpx.Response, n: int) -> list[tuple[int, str, dict[str, object]]]:
    out: list[tuple[int, str, dict[str, object]]] = []
    fields: dict[str, str] = {}
    async for line in resp.aiter_lines():
        if line.startswith(":"):
            continue
        if not line:
            if "id" in fields:
                out.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
                if len(out) == n:
                    return out
            fields = {}
            continue
        key, _, value = line.partition(": ")
        fields[key] = value
    return out


def pool(i: int, name: str = "") -> PoolCreated:
    token = solana_tokens(1, seed=1000 + i)[0]
    return PoolCreated(token, "test", detected_at=1.0 + i, created_at=None, name=name or None)


async def test_the_stream_delivers_events_with_bus_ids_and_resumes_from_last_event_id(
    tmp_path: Path,
) -> None:
    async with running_api(api_settings(tmp_path)) as r, loopback(r.app) as base:
        service = r.service
        streams = r.app.state.tokenradar.streams
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            async with client.stream(
                "GET", "/api/v1/stream", params={"topics": "pool.created"}
            ) as resp:
                assert resp.status_code == 200
                assert resp.headers["content-type"].startswith("text/event-stream")
                await until(lambda: streams.clients == 1)
                for i in range(3):
                    service.on_new_pool(pool(i))
                first = await asyncio.wait_for(read_events(resp, 3), 10)
            assert [e[1] for e in first] == ["pool.created"] * 3
            assert [e[2]["token"] for e in first] == [str(pool(i).token) for i in range(3)]
            ids = [e[0] for e in first]
            assert ids == sorted(ids)
            # while disconnected, more happen; resuming after the 2nd gets the 3rd and those
            for i in range(3, 5):
                service.on_new_pool(pool(i))
            async with client.stream(
                "GET", "/api/v1/stream", params={"topics": "pool.created"},
                headers={"Last-Event-ID": str(ids[1])},
            ) as resp:  # fmt: skip
                resumed = await asyncio.wait_for(read_events(resp, 3), 10)
        assert resumed[0][0] == ids[2]
        assert [e[2]["token"] for e in resumed] == [str(pool(i).token) for i in (2, 3, 4)]


async def test_a_stream_topic_outside_the_list_is_refused_naming_the_parameter(
    tmp_path: Path,
) -> None:
    async with running_api(api_settings(tmp_path)) as r:
        resp = await r.client.get("/api/v1/stream", params={"topics": "storage.failed"})
        assert resp.status_code == 422
        assert resp.json()["fields"][0]["field"] == "query.topics"


async def test_a_client_that_stops_reading_is_disconnected_and_counted_not_queued_for(
    tmp_path: Path,
) -> None:
    settings = api_settings(tmp_path, stream_queue=8)
    async with running_api(settings) as r, loopback(r.app) as base:
        port = int(base.rsplit(":", 1)[1])
        streams = r.app.state.tokenradar.streams
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /api/v1/stream?topics=pool.created HTTP/1.1\r\nhost: x\r\n\r\n")
        try:
            await until(lambda: streams.clients == 1)
            big = "x" * 20_000
            # never read: the socket fills, the stream blocks, its bounded queue overflows
            for i in range(2_000):
                r.service.on_new_pool(pool(i, big))
                await asyncio.sleep(0)
                if streams.dropped_slow:
                    break
            await until(lambda: streams.dropped_slow == 1 and streams.clients == 0)
            stats = r.service.radar.bus.stats()  # type: ignore[union-attr]
            assert stats.lost.get("overflow") == 1
            assert not [s for s in stats.subscriptions if s.name == "api-stream"]
        finally:
            sock.close()
        resp = await r.client.get("/api/v1/stats")
        assert resp.json()["api"]["stream_dropped_slow"] == 1
