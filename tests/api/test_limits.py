"""Bodies, scan sizes and addresses are bounded and checked before anything happens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from api.conftest import admin, api_settings, loopback, running_api, until
from flow.memory import solana_tokens

TEN_MB = 10 * 1024 * 1024
CHUNK = 64 * 1024


async def test_a_10mb_streamed_body_is_refused_413_without_being_read_whole(
    tmp_path: Path,
) -> None:
    async with running_api(api_settings(tmp_path)) as r:
        sent = 0

        async def body() -> AsyncIterator[bytes]:
            nonlocal sent
            while sent < TEN_MB:
                sent += CHUNK
                yield b" " * CHUNK

        resp = await r.client.post(
            "/api/v1/scans",
            content=body(),
            headers={**admin(), "content-type": "application/json"},
        )
        assert resp.status_code == 413
        assert resp.json()["error"] == "too_large"
        limit = r.service.settings.api.max_body_bytes
        assert sent <= limit + 2 * CHUNK  # stopped at the limit, not at 10 MB
        assert r.app.state.tokenradar.bodies.refused == 1


async def test_a_declared_10mb_body_is_refused_before_the_app_reads_a_byte(
    tmp_path: Path,
) -> None:
    # a raw socket: an HTTP client would send the whole body before reading the answer
    async with running_api(api_settings(tmp_path)) as r, loopback(r.app) as base:
        port = int(base.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /api/v1/scans HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            + f"content-length: {TEN_MB}\r\nx-api-key: admin-key-0123456789\r\n\r\n".encode()
            + b"{"  # one byte of ten million: the answer must not wait for the rest
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 413")
        writer.close()


async def test_a_scan_of_1001_tokens_is_refused_naming_the_field(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path, max_body_bytes=1_048_576)) as r:
        tokens = [str(t) for t in solana_tokens(1001)]
        resp = await r.client.post("/api/v1/scans", json={"tokens": tokens}, headers=admin())
        assert resp.status_code == 422
        body = resp.json()
        assert body["error"] == "invalid"
        assert [f["field"] for f in body["fields"]] == ["body.tokens"]
        assert "1000" in body["fields"][0]["reason"]


async def test_invalid_addresses_are_listed_by_position_and_nothing_is_scanned(
    tmp_path: Path,
) -> None:
    async with running_api(api_settings(tmp_path)) as r:
        good = str(r.tokens[0])
        resp = await r.client.post(
            "/api/v1/scans",
            json={"tokens": [good, "solana:not-base58!", good, "ethereum:0x12"]},
            headers=admin(),
        )
        assert resp.status_code == 422
        fields = resp.json()["fields"]
        assert [f["field"] for f in fields] == ["body.tokens.1", "body.tokens.3"]
        assert "not a Solana address" in fields[0]["reason"]
        assert "EVM address" in fields[1]["reason"]
        assert r.app.state.tokenradar.scans.running == 0
        assert r.app.state.tokenradar.scans.kept_count == 0


async def test_an_invalid_path_address_is_422_naming_it_and_an_unknown_token_404(
    tmp_path: Path,
) -> None:
    async with running_api(api_settings(tmp_path)) as r:
        bad = await r.client.get("/api/v1/tokens/solana/xyz")
        assert bad.status_code == 422
        assert bad.json()["fields"][0]["field"] == "path.address"
        unknown = solana_tokens(1, seed=99)[0]
        missing = await r.client.get(f"/api/v1/tokens/solana/{unknown.address}")
        assert missing.status_code == 404
        assert missing.json()["error"] == "not_found"
        page = await r.client.get("/api/v1/tokens", params={"limit": 501})
        assert page.status_code == 422
        assert page.json()["fields"][0]["field"] == "query.limit"


async def test_more_running_scans_than_the_cap_are_refused_429(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, max_running_scans=1)
    hold = asyncio.Event()  # mint fetches wait: the first scan keeps running
    async with running_api(settings, hold=hold) as r:
        body = {"tokens": [str(t) for t in solana_tokens(5, seed=7)]}
        first = await r.client.post("/api/v1/scans", json=body, headers=admin())
        assert first.status_code == 202
        second = await r.client.post("/api/v1/scans", json=body, headers=admin())
        assert second.status_code == 429
        assert second.headers["Retry-After"] == "5"
        running = await r.client.get(f"/api/v1/scans/{first.json()['id']}")
        assert running.json()["status"] == "running"
        hold.set()
        await until(lambda: r.app.state.tokenradar.scans.running == 0)
        third = await r.client.post("/api/v1/scans", json=body, headers=admin())
        assert third.status_code == 202
