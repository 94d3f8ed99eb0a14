"""The ``[service]`` settings: how ``tokenradar serve`` runs.

::

    [service]
    watchlist = "watchlist.txt"   # one chain:address [tier] per line; reloaded on change
    score_delay = "250ms"         # a changed token is re-scored within this long
    stuck_after = "2m"            # a lane or the scorer with no progress this long is restarted
    shutdown_grace = "30s"        # SIGTERM: finish in-flight work and flush within this long
    reload_interval = "2s"        # how often the config and watchlist files are checked
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from tokenradar.settings.values import Duration, Flag, Section


class ServiceSettings(Section):
    #: the watchlist file (``tokenradar watch add|rm|list`` edits it)
    watchlist: Path = Path("watchlist.txt")
    #: a token whose facets changed is re-scored within this long
    score_delay: Duration = 0.25
    #: at most this many tokens per scoring batch (a flood waits, it does not pile up)
    score_batch_max: int = Field(default=20_000, ge=1, le=1_000_000)
    #: a lane, or the scorer, that makes no progress this long while work is due is restarted
    stuck_after: Duration = 120.0
    #: on SIGTERM/SIGINT: finish in-flight batches and flush the writer within this long
    shutdown_grace: Duration = 30.0
    #: how often the config file and the watchlist are checked for changes
    reload_interval: Duration = 2.0
    #: how often a status line is logged (0 = never)
    status_interval: float = Field(default=30.0, ge=0.0)
    #: the scorer's tier sets each token's refresh rate; off: tiers stay as tracked (the
    #: watchlist's, hot for launches, warm otherwise), e.g. to pin tiers or benchmark them
    tier_feedback: Flag = True
    #: a discovered (not watched) token is dropped from the universe after this long
    #: unless it is hot, so a service that discovers launches forever stays bounded
    discovered_ttl: Duration = 86_400.0
    #: at most this many discovered tokens are tracked; the oldest go first (each costs
    #: tens of KB today, facets and history state included: this bounds the memory)
    max_discovered: int = Field(default=10_000, ge=0, le=1_000_000)
