"""The generic JSON webhook: ``POST url`` with the notice as JSON.

The body is :func:`tokenradar.alerts.render.notice_json`: ``kind`` is
``"alert"`` (``rule``, ``level``, ``message``, ``dedup_key``, ``subject``,
``topic``, ``event_id``, ``fired_at``) or ``"digest"`` (``level``, ``message``,
``count``, ``by_rule``, ``first_at``, ``until``, ``notable``). Any 2xx is
success; a 429 is retried after its ``Retry-After``. With ``token`` set, it is
sent as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from tokenradar.alerts.render import Notice, notice_json
from tokenradar.alerts.sinks.http import HttpSink
from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.settings.alerts import WebhookSinkSettings


class WebhookSink(HttpSink):
    def __init__(
        self, settings: WebhookSinkSettings, *, name: str = "webhook", clock: Clock = SYSTEM_CLOCK
    ) -> None:
        if settings.url is None:
            raise ValueError("the webhook sink needs a url")
        self.url = settings.url.get_secret_value()
        token = None if settings.token is None else settings.token.get_secret_value()
        super().__init__(name, settings, secrets=(self.url, token or ""), clock=clock)
        self._headers = {} if token is None else {"Authorization": f"Bearer {token}"}

    async def send(self, notice: Notice) -> None:
        answer = await self.post_json(self.url, notice_json(notice), headers=self._headers)
        self.check_status(answer)
