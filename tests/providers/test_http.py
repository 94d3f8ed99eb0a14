"""The HTTP boundary: each misbehaviour of a real loopback server becomes one typed error."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from aiohttp import web

from tokenradar.clock import FakeClock
from tokenradar.errors import (
    MalformedResponse,
    PermanentError,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tokenradar.providers.http import HttpClient, parse_retry_after

from .conftest import RecordingGate, Serve

NOW = 1_750_000_000.0

CLOUDFLARE_403 = (
    "<!DOCTYPE html>\n"
    '<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->\n'
    "<head><title>Attention Required! | Cloudflare</title></head>\n"
    "<body><h1>Sorry, you have been blocked</h1>"
    "<p>You are unable to access api.dexscreener.com</p>"
    "<span>Cloudflare Ray ID: <strong>8c1d2e3f4a5b6c7d</strong></span></body></html>"
)


# ---------------------------------------------------------------------------
# Retry-After
# ---------------------------------------------------------------------------


def http_date(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(epoch, UTC), usegmt=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("60", 60.0),
        ("61", 60.0),  # capped
        ("86400", 60.0),
        ("1e400", None),  # infinite
        ("-5", None),
        ("soon", None),
        ("", None),
        ("   ", None),
        (None, None),
        ("12abc", None),
        ("NaN", None),
        ("Wed, 99 Foo 2015 07:28:00 GMT", None),
        ("Wed, 21 Oct 2015 07:28:00", None),  # no zone: not an HTTP-date
    ],
)
def test_retry_after_seconds_and_garbage(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_retry_after_http_date_is_relative_to_now_and_clamped() -> None:
    assert parse_retry_after(http_date(NOW + 30), now=NOW) == pytest.approx(30.0)
    assert parse_retry_after(http_date(NOW - 30), now=NOW) == 0.0
    assert parse_retry_after(http_date(NOW + 3600), now=NOW) == 60.0
    assert parse_retry_after(http_date(NOW + 3600), now=NOW, cap=7200) == pytest.approx(3600)
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now=NOW) == 0.0  # RFC example


# ---------------------------------------------------------------------------
# A loopback server that misbehaves on demand
# ---------------------------------------------------------------------------


async def misbehaving_app() -> web.Application:
    async def ok(_: web.Request) -> web.Response:
        return web.json_response([{"a": 1}])

    async def cloudflare(_: web.Request) -> web.Response:
        return web.Response(status=403, text=CLOUDFLARE_403, content_type="text/html")

    async def html_200(_: web.Request) -> web.Response:
        # a challenge page served as 200 with a JSON content type still is not JSON
        return web.Response(status=200, text=CLOUDFLARE_403, content_type="application/json")

    async def truncated(_: web.Request) -> web.Response:
        body = b'[{"chainId": "solana", "pairAddress": "abc'
        return web.Response(body=body, content_type="application/json")

    async def truncated_on_the_wire(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Length": "1000", "Content-Type": "application/json"}
        resp = web.StreamResponse(headers=headers)
        await resp.prepare(request)
        await resp.write(b'[{"chainId": "sol')
        assert request.transport is not None
        request.transport.close()
        return resp

    async def wrong_top(_: web.Request) -> web.Response:
        return web.json_response({"pairs": []})

    async def empty(_: web.Request) -> web.Response:
        return web.Response(body=b"", content_type="application/json")

    async def too_big(_: web.Request) -> web.Response:
        return web.Response(body=b"[" + b"1," * 5000 + b"1]", content_type="application/json")

    async def too_big_chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(20):
            await resp.write(b"1," * 500)
        await resp.write_eof()
        return resp

    async def limited(request: web.Request) -> web.Response:
        headers = {}
        if "ra" in request.query:
            headers["Retry-After"] = request.query["ra"]
        return web.json_response({"error": "slow down"}, status=429, headers=headers)

    async def server_error(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="upstream exploded")

    async def not_found(_: web.Request) -> web.Response:
        return web.json_response({"error": "not found"}, status=404)

    async def bad_request(_: web.Request) -> web.Response:
        return web.json_response({"error": "bad address"}, status=400)

    async def stall(_: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response([])

    async def reset(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.abort()  # RST, no response at all
        await asyncio.sleep(0.5)
        return web.json_response([])

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/cloudflare", cloudflare)
    app.router.add_get("/html200", html_200)
    app.router.add_get("/truncated", truncated)
    app.router.add_get("/truncated-wire", truncated_on_the_wire)
    app.router.add_get("/wrong-top", wrong_top)
    app.router.add_get("/empty", empty)
    app.router.add_get("/too-big", too_big)
    app.router.add_get("/too-big-chunked", too_big_chunked)
    app.router.add_get("/429", limited)
    app.router.add_get("/status/{code}", server_error)
    app.router.add_get("/404", not_found)
    app.router.add_get("/400", bad_request)
    app.router.add_get("/stall", stall)
    app.router.add_get("/reset", reset)
    return app


@pytest.fixture
async def base(serve: Serve) -> str:
    return await serve(await misbehaving_app())


@pytest.fixture
async def client() -> HttpClient:
    http = HttpClient(
        "testprov",
        timeout=0.3,
        max_in_flight=4,
        clock=FakeClock(start=NOW),
        max_body_bytes=4096,
    )
    yield http  # type: ignore[misc]
    await http.aclose()


async def fails_with(client: HttpClient, url: str, exc_type: type[UpstreamError]) -> UpstreamError:
    with pytest.raises(UpstreamError) as info:
        await client.get_json(url, endpoint="e", expect=list)
    assert type(info.value) is exc_type, info.value
    assert info.value.provider == "testprov"
    assert str(info.value).startswith("testprov: ")
    return info.value


async def test_ok_json_is_decoded(client: HttpClient, base: str) -> None:
    response = await client.get_json(f"{base}/ok", endpoint="e", expect=list)
    assert response.status == 200
    assert response.data == [{"a": 1}]


async def test_cloudflare_html_403_is_malformed_with_excerpt(client: HttpClient, base: str) -> None:
    err = await fails_with(client, f"{base}/cloudflare", MalformedResponse)
    assert "HTTP 403 HTML page" in str(err)
    assert "Attention Required! | Cloudflare" in err.excerpt
    assert "\n" not in err.excerpt
    assert len(err.excerpt) <= 200


async def test_html_with_200_and_json_content_type_is_malformed(
    client: HttpClient, base: str
) -> None:
    err = await fails_with(client, f"{base}/html200", MalformedResponse)
    assert "HTML" in str(err)


async def test_truncated_json_is_malformed(client: HttpClient, base: str) -> None:
    err = await fails_with(client, f"{base}/truncated", MalformedResponse)
    assert "invalid JSON" in str(err)
    assert err.excerpt.startswith('[{"chainId": "solana"')


async def test_body_cut_short_on_the_wire_is_unavailable(client: HttpClient, base: str) -> None:
    err = await fails_with(client, f"{base}/truncated-wire", UpstreamUnavailable)
    assert "Payload" in str(err) or "payload" in str(err) or "Disconnected" in str(err)


async def test_wrong_top_level_type_is_malformed(client: HttpClient, base: str) -> None:
    err = await fails_with(client, f"{base}/wrong-top", MalformedResponse)
    assert "expected a JSON array, got object" in str(err)


async def test_empty_body_is_malformed(client: HttpClient, base: str) -> None:
    err = await fails_with(client, f"{base}/empty", MalformedResponse)
    assert "empty body" in str(err)


@pytest.mark.parametrize("path", ["/too-big", "/too-big-chunked"])
async def test_absurdly_large_body_is_malformed(client: HttpClient, base: str, path: str) -> None:
    err = await fails_with(client, base + path, MalformedResponse)
    assert "exceeds 4096" in str(err)


@pytest.mark.parametrize(
    ("query", "retry_after"),
    [
        ("", None),
        ("?ra=7", 7.0),
        ("?ra=3600", 60.0),
        (f"?ra={http_date(NOW + 20).replace(' ', '%20').replace(',', '%2C')}", 20.0),
        ("?ra=whenever", None),
    ],
)
async def test_429_is_rate_limited_with_parsed_retry_after(
    client: HttpClient, base: str, query: str, retry_after: float | None
) -> None:
    err = await fails_with(client, f"{base}/429{query}", RateLimited)
    assert isinstance(err, RateLimited)
    assert err.retry_after == (None if retry_after is None else pytest.approx(retry_after))
    assert "slow down" in err.excerpt


@pytest.mark.parametrize("code", [500, 502, 503, 520])
async def test_5xx_is_unavailable(client: HttpClient, base: str, code: int) -> None:
    err = await fails_with(client, f"{base}/status/{code}", UpstreamUnavailable)
    assert f"HTTP {code}" in str(err)
    assert err.excerpt == "upstream exploded"


async def test_other_4xx_is_permanent(client: HttpClient, base: str) -> None:
    err = await fails_with(client, f"{base}/400", PermanentError)
    assert "HTTP 400" in str(err)
    assert "bad address" in err.excerpt


async def test_accepted_status_is_returned_to_the_caller(client: HttpClient, base: str) -> None:
    await fails_with(client, f"{base}/404", PermanentError)
    response = await client.get_json(f"{base}/404", endpoint="e", accept_status=frozenset({404}))
    assert response.status == 404
    assert response.data == {"error": "not found"}


async def test_stall_past_the_timeout_is_a_timeout(client: HttpClient, base: str) -> None:
    err = await fails_with(client, f"{base}/stall", UpstreamTimeout)
    assert "within 0.3s" in str(err)


async def test_connection_reset_is_unavailable(client: HttpClient, base: str) -> None:
    await fails_with(client, f"{base}/reset", UpstreamUnavailable)


async def test_connection_refused_is_unavailable(client: HttpClient) -> None:
    with socket.socket() as sock:  # a loopback port that nothing listens on any more
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    err = await fails_with(client, f"http://127.0.0.1:{port}/x", UpstreamUnavailable)
    assert "ClientConnectorError" in str(err)


async def test_errors_escape_through_the_gate(base: str) -> None:
    gate = RecordingGate()
    http = HttpClient("testprov", timeout=1, max_in_flight=1, gate=gate)
    try:
        await http.get_json(f"{base}/ok", endpoint="tokens", cost=3)
        with pytest.raises(RateLimited):
            await http.get_json(f"{base}/429", endpoint="tokens")
    finally:
        await http.aclose()
    assert gate.calls == [("tokens", 3), ("tokens", 1)]
    assert gate.outcomes == ["ok", "RateLimited"]


async def test_closed_client_refuses_requests(base: str) -> None:
    http = HttpClient("testprov", timeout=1, max_in_flight=1)
    await http.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await http.get_json(f"{base}/ok", endpoint="e")
