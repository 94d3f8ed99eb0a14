"""What the routes stand on: a running :class:`Service`, or an open :class:`Radar`.

``tokenradar serve`` gives the Service (watchlist, scoring loop, alerts); an
embedding program or a test may give a bare Radar (then the watchlist routes
answer 503, there being no watchlist). Routes reach the engine and the store
only through the Radar's and the Service's methods.
"""

from __future__ import annotations

from tokenradar.alerts.stats import AlertStats
from tokenradar.api.errors import ApiError
from tokenradar.domain import Tier, TokenRef
from tokenradar.service import watchlist as wl
from tokenradar.service.radar import Radar, RadarNotOpen
from tokenradar.service.scoring_loop import ScoringStats
from tokenradar.service.serve import Service, UniverseStats


class Backend:
    def __init__(self, target: Service | Radar) -> None:
        self.service = target if isinstance(target, Service) else None
        self._radar = target if isinstance(target, Radar) else None

    @property
    def radar_or_none(self) -> Radar | None:
        if self.service is not None:
            return self.service.radar
        return self._radar

    @property
    def radar(self) -> Radar:
        """The open Radar; 503 while the service starts (or after it stopped)."""
        radar = self.radar_or_none
        if radar is None or not self._open(radar):
            raise ApiError(503, "the service is not running yet", headers={"Retry-After": "1"})
        return radar

    @staticmethod
    def _open(radar: Radar) -> bool:
        try:
            radar.engine  # noqa: B018 - raises when not open
        except RadarNotOpen:
            return False
        return True

    def ready(self) -> bool:
        if self.service is not None:
            return self.service.radar is not None and self.service.scoring is not None
        return self._radar is not None and self._open(self._radar)

    def scoring(self) -> ScoringStats | None:
        return self.service.scoring_stats() if self.service is not None else None

    def alerts(self) -> AlertStats | None:
        if self.service is None or self.service.alerts is None:
            return None
        return self.service.alerts.stats()

    def universe(self) -> UniverseStats | None:
        return self.service.universe() if self.service is not None else None

    def watched(self) -> dict[TokenRef, Tier]:
        return self._service().watchlist() if self.service is not None else {}

    def _service(self) -> Service:
        if self.service is None:
            raise ApiError(503, "no watchlist: this API runs over a bare Radar, not a service")
        return self.service

    def watch_add(self, tokens: list[TokenRef], tier: Tier | None) -> dict[TokenRef, Tier]:
        return self._service().watch_add(tokens, tier)

    def watch_remove(self, tokens: list[TokenRef]) -> tuple[dict[TokenRef, Tier], list[TokenRef]]:
        return self._service().watch_remove(tokens)

    def watchlist_file(self) -> dict[TokenRef, Tier]:
        service = self._service()
        return wl.load(service.settings.service.watchlist)
