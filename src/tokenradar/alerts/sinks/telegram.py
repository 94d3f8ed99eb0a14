"""The Telegram Bot API: ``POST {base_url}/bot<token>/sendMessage``.

The body is ``{"chat_id", "text", "parse_mode", "disable_web_page_preview"}``
(``parse_mode`` left out when it is ``none``; the text escaped for ``HTML`` or
``MarkdownV2``, at most 4096 characters). Telegram answers ``{"ok": true,
"result": …}``, or ``{"ok": false, "error_code": 429, "description": …,
"parameters": {"retry_after": 5}}`` whose ``retry_after`` is honoured;
``400 Bad Request: chat not found`` and ``401 Unauthorized`` are permanent.
An answer that is not Telegram's JSON (a proxy's page) is ``MalformedResponse``.

The bot token is in the path: it is never logged (see :mod:`.http`).
"""

from __future__ import annotations

import html
import math
import re
from typing import Final

from tokenradar.alerts.render import Notice, plain_text, truncate
from tokenradar.alerts.sinks.http import Answer, HttpSink
from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.errors import MalformedResponse, PermanentError, RateLimited, UpstreamUnavailable
from tokenradar.settings.alerts import TelegramSinkSettings

TEXT_LIMIT: Final = 4096
_MARKDOWN_V2 = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")


def _cut(escaped: str, dangling: re.Pattern[str]) -> str:
    """``escaped`` cut to the limit with ``…``, never through an escape or an entity."""
    if len(escaped) <= TEXT_LIMIT:
        return escaped
    return dangling.sub("", escaped[: TEXT_LIMIT - 1]) + "…"


#: a cut that ends inside ``&amp;`` / after a lone escaping backslash
_OPEN_ENTITY = re.compile(r"&[a-z#0-9]*$")
_OPEN_ESCAPE = re.compile(r"(?<!\\)(\\\\)*\\$")


def telegram_text(text: str, parse_mode: str) -> str:
    """``text`` escaped for ``parse_mode`` and cut to Telegram's 4096 characters."""
    if parse_mode == "HTML":
        return _cut(html.escape(text, quote=False), _OPEN_ENTITY)
    if parse_mode == "MarkdownV2":
        return _cut(_MARKDOWN_V2.sub(r"\\\1", text), _OPEN_ESCAPE)
    return truncate(text, TEXT_LIMIT)


def telegram_body(notice: Notice, *, chat_id: str, parse_mode: str) -> dict[str, object]:
    body: dict[str, object] = {
        "chat_id": chat_id,
        "text": telegram_text(plain_text(notice), parse_mode),
        "disable_web_page_preview": True,
    }
    if parse_mode != "none":
        body["parse_mode"] = parse_mode
    return body


def _retry_after(parameters: object, cap: float) -> float | None:
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return min(float(value), cap)


class TelegramSink(HttpSink):
    def __init__(
        self, settings: TelegramSinkSettings, *, name: str = "telegram", clock: Clock = SYSTEM_CLOCK
    ) -> None:
        if settings.bot_token is None or settings.chat_id is None:
            raise ValueError("the telegram sink needs a bot_token and a chat_id")
        token = settings.bot_token.get_secret_value()
        self.url = f"{settings.base_url}/bot{token}/sendMessage"
        self.chat_id = settings.chat_id
        self.parse_mode = settings.parse_mode
        super().__init__(name, settings, secrets=(token,), clock=clock)

    async def send(self, notice: Notice) -> None:
        body = telegram_body(notice, chat_id=self.chat_id, parse_mode=self.parse_mode)
        self.read(await self.post_json(self.url, body))

    def read(self, answer: Answer) -> None:
        data = answer.json()
        if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
            if answer.status == 429 or answer.status >= 500:
                self.check_status(answer)  # a proxy's 429/5xx page: transient
            body = self.redact(answer.body.decode("utf-8", "replace"))
            raise MalformedResponse(self.name, f"HTTP {answer.status}, not Bot API JSON", body=body)
        if data["ok"] and answer.ok:
            return
        code = data.get("error_code", answer.status)
        status = code if isinstance(code, int) and not isinstance(code, bool) else answer.status
        description = self.redact(str(data.get("description", "no description")))
        if status == 429:
            retry_after = _retry_after(data.get("parameters"), self.settings.max_retry_after)
            raise RateLimited(self.name, description, retry_after=retry_after)
        if status >= 500:
            raise UpstreamUnavailable(self.name, f"{status} {description}")
        raise PermanentError(self.name, f"{status} {description}")
