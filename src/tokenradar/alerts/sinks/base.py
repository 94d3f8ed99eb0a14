"""A sink: somewhere a notice goes (a log, a webhook, a chat).

``send(notice)`` delivers one message or raises a :mod:`tokenradar.errors`
exception saying what the caller should do: a ``TransientError`` (timeout,
connection refused, 5xx; ``RateLimited`` with ``retry_after`` for a 429) or a
``MalformedResponse`` is retried by the sink's worker a bounded number of times
with backoff; a ``PermanentError`` (a 4xx: a wrong URL, a revoked token) is not.
Retries, rate caps and digests are the worker's (:mod:`tokenradar.alerts.delivery`),
never the sink's: a sink makes exactly one attempt per call.

HTTP sinks hold one long-lived session, opened by :meth:`Sink.open` and closed by
:meth:`Sink.aclose`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from tokenradar.alerts.render import Notice


class Sink(ABC):
    def __init__(self, name: str) -> None:
        self.name = name

    async def open(self) -> None:  # noqa: B027 (most sinks hold nothing)
        """Acquire what sending needs (a session); called once before the first send."""

    @abstractmethod
    async def send(self, notice: Notice) -> None:
        """Deliver ``notice`` once, or raise a TokenradarError saying why not."""

    async def aclose(self) -> None:  # noqa: B027
        """Release what :meth:`open` acquired."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
