"""New-pool discovery: where the always-on service learns of tokens nobody asked about.

::

    from tokenradar.discovery import Discovery

    async with Discovery(settings, on_new=publish, gates=gates) as discovery:
        ...   # publish(PoolCreated) for every token seen for the first time

Sources, configured in ``[discovery]`` (:class:`~tokenradar.settings.DiscoverySettings`):

- ``logs:<program id>``: a ``logsSubscribe`` WebSocket per pool-creation
  program (pump.fun by default), pinged, replaced when silent, reconnected with
  backoff, and after every reconnect **backfilled** from
  ``getSignaturesForAddress`` + ``getTransaction`` (:mod:`.logs`, :mod:`.backfill`);
- ``dexscreener.profiles`` / ``dexscreener.boosts``: the latest token
  profiles and boosts, polled within the feeds' 60/min budget (:mod:`.feeds`).

Each new token becomes one :class:`~tokenradar.service.topics.PoolCreated`
(``source`` ``"logs:<program>"``, ``"backfill:<program>"``,
``"dexscreener.profiles"`` or ``"dexscreener.boosts"``), deduplicated across
sources; per-source counters are in :meth:`Discovery.stats`.
"""

from tokenradar.discovery.programs import KNOWN_PROGRAMS, PUMPFUN, PoolProgram
from tokenradar.discovery.service import BOOSTS, PROFILES, Discovery, DiscoveryNotOpen
from tokenradar.discovery.stats import SourceStats
from tokenradar.service.topics import PoolCreated
from tokenradar.settings import DiscoverySettings

__all__ = [
    "BOOSTS",
    "KNOWN_PROGRAMS",
    "PROFILES",
    "PUMPFUN",
    "Discovery",
    "DiscoveryNotOpen",
    "DiscoverySettings",
    "PoolCreated",
    "PoolProgram",
    "SourceStats",
]
