"""A Discord-compatible webhook: ``POST url`` with ``{"content": …}``.

Discord answers ``204 No Content`` (``200`` with ``?wait=true``); when posting
too fast, ``429`` with a JSON body ``{"message": …, "retry_after": 0.52,
"global": false}`` whose ``retry_after`` (seconds) is honoured before the
``Retry-After`` header. ``allowed_mentions`` is empty so a token named
``@everyone`` pings nobody; markdown characters are escaped.
"""

from __future__ import annotations

import math
import re
from typing import Final

from tokenradar.alerts.render import Notice, plain_text, truncate
from tokenradar.alerts.sinks.http import Answer, HttpSink
from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.settings.alerts import DiscordSinkSettings

#: a message's content limit
CONTENT_LIMIT: Final = 2000
_MARKDOWN = re.compile(r"([\\*_~`|>])")


def discord_escape(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)


def discord_body(notice: Notice, *, username: str | None) -> dict[str, object]:
    body: dict[str, object] = {
        "content": truncate(discord_escape(plain_text(notice)), CONTENT_LIMIT),
        "allowed_mentions": {"parse": []},
    }
    if username is not None:
        body["username"] = username
    return body


def body_retry_after(answer: Answer, cap: float) -> float | None:
    """Discord's ``retry_after`` from a 429's JSON body, capped; None if it has none."""
    data = answer.json()
    value = data.get("retry_after") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return min(float(value), cap)


class DiscordSink(HttpSink):
    def __init__(
        self, settings: DiscordSinkSettings, *, name: str = "discord", clock: Clock = SYSTEM_CLOCK
    ) -> None:
        if settings.url is None:
            raise ValueError("the discord sink needs a url")
        self.url = settings.url.get_secret_value()
        self.username = settings.username
        super().__init__(name, settings, secrets=(self.url,), clock=clock)

    async def send(self, notice: Notice) -> None:
        answer = await self.post_json(self.url, discord_body(notice, username=self.username))
        retry_after = None
        if answer.status == 429:
            retry_after = body_retry_after(answer, self.settings.max_retry_after)
        self.check_status(answer, retry_after=retry_after)
