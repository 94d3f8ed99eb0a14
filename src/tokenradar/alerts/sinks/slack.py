"""A Slack-compatible incoming webhook: ``POST url`` with ``{"text": …}``.

Slack answers ``200 ok`` on success and a short error word otherwise
(``400 invalid_payload``, ``403 action_prohibited``, ``404 channel_not_found``,
``410 channel_is_archived``), ``429`` with ``Retry-After`` when posting too
fast, ``5xx`` when it is down. ``&``, ``<`` and ``>`` are escaped as Slack asks
(so a token named ``<!channel>`` pings nobody). With ``blocks = true`` the body
also carries a Block Kit section (the text) and a context line (level, rule,
dedup key); ``text`` stays the notification's fallback.
"""

from __future__ import annotations

from typing import Final

from tokenradar.alerts.digest import Digest
from tokenradar.alerts.render import Notice, plain_text, truncate
from tokenradar.alerts.sinks.http import HttpSink
from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.settings.alerts import SlackSinkSettings

#: a section block's text limit; the top-level text is cut to the same
TEXT_LIMIT: Final = 3000


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(notice: Notice, *, blocks: bool) -> dict[str, object]:
    text = truncate(slack_escape(plain_text(notice)), TEXT_LIMIT)
    body: dict[str, object] = {"text": text}
    if blocks:
        if isinstance(notice, Digest):
            context = f"{notice.level.value} · digest of {notice.count} alerts"
        else:
            context = f"{notice.level.value} · {notice.rule} · {slack_escape(notice.dedup_key)}"
        body["blocks"] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ]
    return body


class SlackSink(HttpSink):
    def __init__(
        self, settings: SlackSinkSettings, *, name: str = "slack", clock: Clock = SYSTEM_CLOCK
    ) -> None:
        if settings.url is None:
            raise ValueError("the slack sink needs a url")
        self.url = settings.url.get_secret_value()
        self.blocks = settings.blocks
        super().__init__(name, settings, secrets=(self.url,), clock=clock)

    async def send(self, notice: Notice) -> None:
        answer = await self.post_json(self.url, slack_body(notice, blocks=self.blocks))
        self.check_status(answer)
