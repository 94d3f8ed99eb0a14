"""What each discovery source has done, for ``serve``'s health and stats pages.

One :class:`SourceStats` per source, named as the :class:`PoolCreated` events of
that source are (``logs:<program id>``, ``dexscreener.profiles``,
``dexscreener.boosts``). Counters only grow; :meth:`Discovery.stats
<tokenradar.discovery.Discovery.stats>` hands out copies.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenradar.errors import UpstreamError


@dataclass(slots=True)
class SourceStats:
    source: str
    #: distinct tokens this source reported
    seen: int = 0
    #: of those, the ones no source had reported before: handed to ``on_new``
    new: int = 0
    #: of those, the ones already known (from another source, or seeded as known)
    duplicates: int = 0
    #: logs: connections lost (dropped, refused, silent) and replaced
    reconnects: int = 0
    #: logs: new tokens recovered by a backfill after a reconnect
    backfilled: int = 0
    #: logs: backfills that stopped at their bounds before reaching the last signature seen
    truncated: int = 0
    #: logs: transactions whose getTransaction failed, or that the node did not find
    unresolved: int = 0
    #: logs: creations not resolved because the resolve queue was full
    dropped: int = 0
    #: frames or answers that did not decode
    malformed: int = 0
    #: feeds: polls answered; logs: subscriptions confirmed
    polls: int = 0
    #: every failure, each also kept as ``last_error``
    errors: int = 0
    #: ``on_new`` raised (the event still counts as new)
    callback_errors: int = 0
    last_error: str | None = None
    last_error_at: float | None = None  # epoch s
    #: logs: a subscription is confirmed and live now ...
    connected: bool = False
    #: ... and still backfilling what the previous connection missed
    backfilling: bool = False

    def failed(self, error: UpstreamError | str, now: float) -> None:
        self.errors += 1
        self.last_error = str(error)
        self.last_error_at = now
