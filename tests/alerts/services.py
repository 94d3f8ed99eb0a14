"""Loopback servers that speak the APIs the sinks post to, and record every request.

Each validates a request as the real service does (Slack wants ``text``,
Discord non-empty ``content`` of at most 2000 characters, Telegram its bot
token in the path, a ``chat_id`` and text that parses in its ``parse_mode``)
and answers like it. A test scripts special answers with :meth:`Service.then`
(429s, 5xx, a slow answer), used in order before the normal ones.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # dict/list: JSON; str/bytes: as is; None: empty
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # real seconds before answering
    content_type: str = "application/json"

    def response(self) -> web.Response:
        if isinstance(self.body, dict | list):
            return web.Response(
                status=self.status,
                body=json.dumps(self.body).encode(),
                content_type="application/json",
                headers=self.headers,
            )
        if self.body is None:
            return web.Response(status=self.status, headers=self.headers)
        text = self.body.decode() if isinstance(self.body, bytes) else self.body
        ctype = "text/plain" if self.content_type == "application/json" else self.content_type
        return web.Response(status=self.status, text=text, content_type=ctype, headers=self.headers)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any  # the decoded JSON, or None if it was not JSON
    status: int  # what the server answered
    peer: object  # the client's (host, port): one per connection


class Service:
    """Base: one POST route; scripted replies first, then :meth:`answer`."""

    path = "/"

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: deque[Reply] = deque()

    def then(self, *replies: Reply) -> Service:
        self.script.extend(replies)
        return self

    @property
    def count(self) -> int:
        return len(self.requests)

    @property
    def bodies(self) -> list[Any]:
        return [r.body for r in self.requests]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        reply = self.script.popleft() if self.script else self.answer(request.path, body)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.requests.append(
            Received(request.path, dict(request.headers), body, reply.status, peer)
        )
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return reply.response()

    def answer(self, path: str, body: Any) -> Reply:
        raise NotImplementedError


class WebhookService(Service):
    path = "/hooks/alerts"

    def answer(self, path: str, body: Any) -> Reply:
        if path != self.path:
            return Reply(404, {"error": "not found"})
        if not isinstance(body, dict):
            return Reply(400, {"error": "expected a JSON object"})
        return Reply(200, {"received": True})


class SlackService(Service):
    path = "/services/T0000/B0000/XXXXXXXXXXXXXXXX"

    def answer(self, path: str, body: Any) -> Reply:
        if path != self.path:
            return Reply(404, "no_service")
        if not isinstance(body, dict):
            return Reply(400, "invalid_payload")
        if not isinstance(body.get("text"), str) or not body["text"]:
            return Reply(400, "no_text")
        return Reply(200, "ok")

    @staticmethod
    def rate_limited(retry_after: int) -> Reply:
        return Reply(429, "rate_limited", headers={"Retry-After": str(retry_after)})


class DiscordService(Service):
    path = "/api/webhooks/1234567890/s3cr3t-webhook-token"

    def answer(self, path: str, body: Any) -> Reply:
        if path != self.path:
            return Reply(404, {"message": "Unknown Webhook", "code": 10015})
        if not isinstance(body, dict) or not body.get("content"):
            return Reply(400, {"message": "Cannot send an empty message", "code": 50006})
        if len(body["content"]) > 2000:
            return Reply(
                400,
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}},
                },
            )
        return Reply(204)

    @staticmethod
    def rate_limited(retry_after: float, header: str | None = None) -> Reply:
        return Reply(
            429,
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
            headers={"Retry-After": header or str(int(retry_after) + 1)},
        )


_HTML_TAG = re.compile(r"<(/?)([a-z-]+)[^>]*>")
_HTML_TAGS = {"b", "strong", "i", "em", "u", "s", "code", "pre", "a", "tg-spoiler"}
_MD_RESERVED = set("_*[]()~`>#+-=|{}.!")


def _telegram_parse_error(text: str, mode: str | None) -> str | None:
    if mode == "HTML":
        for m in re.finditer(r"<", text):
            tag = _HTML_TAG.match(text, m.start())
            if tag is None or tag.group(2) not in _HTML_TAGS:
                return f"can't parse entities: Unsupported start tag at byte offset {m.start()}"
        for m in re.finditer(r"&", text):
            if not re.match(r"&(amp|lt|gt|quot|#\d+);", text[m.start() :]):
                at = m.start()
                return f"can't parse entities: Character entity expected at byte offset {at}"
    if mode == "MarkdownV2":
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if ch in _MD_RESERVED:
                return (
                    f"can't parse entities: Character '{ch}' is reserved and must be escaped "
                    "with the preceding '\\'"
                )
            i += 1
    return None


class TelegramService(Service):
    def __init__(self, token: str, chats: tuple[str, ...] = ("-1001234567890",)) -> None:
        super().__init__()
        self.token = token
        self.chats = chats
        self.path = f"/bot{token}/sendMessage"
        self._message_id = 0

    def answer(self, path: str, body: Any) -> Reply:
        if path != self.path:
            return Reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if not isinstance(body, dict) or not body.get("chat_id"):
            return self._bad("Bad Request: chat_id is empty")
        if str(body["chat_id"]) not in self.chats:
            return self._bad("Bad Request: chat not found")
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return self._bad("Bad Request: message text is empty")
        if len(text) > 4096:
            return self._bad("Bad Request: message is too long")
        error = _telegram_parse_error(text, body.get("parse_mode"))
        if error is not None:
            return self._bad(f"Bad Request: {error}")
        self._message_id += 1
        result = {"message_id": self._message_id, "chat": {"id": body["chat_id"]}, "text": text}
        return Reply(200, {"ok": True, "result": result})

    @staticmethod
    def _bad(description: str) -> Reply:
        return Reply(400, {"ok": False, "error_code": 400, "description": description})

    @staticmethod
    def rate_limited(retry_after: int) -> Reply:
        return Reply(
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            },
        )
