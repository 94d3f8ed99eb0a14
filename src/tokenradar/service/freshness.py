"""Freshness: the share of tracked tokens whose facet is within its tier's target.

For each tier and facet: of the tracked tokens of that tier the facet applies
to, how many hold a *last good* facet (``ok`` or ``absent``; an error facet says
nothing about the token) at most ``target + grace`` seconds old. A token with
nothing known yet counts as not fresh (and is counted as ``missing``, so the
report says why). The target is the engine's own (:func:`freshness_target`,
tightened after a launch), and ``grace`` allows for the round trip between a
facet falling due and its refresh landing.

Cost: one pass over the tracked tokens, a dict lookup per facet, no copies:
about 0.1 s for 50k tokens of five facets each. Above ``sample`` tokens the pass
takes an even stride over them (``sample`` tokens, a different offset each
time), so a million tracked tokens cost what ``sample`` do; the report says it
sampled.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping

from tokenradar.domain import FacetKind, Tier, TokenRef
from tokenradar.flow.engine import Tracked
from tokenradar.flow.facets import FacetStore
from tokenradar.flow.tiers import freshness_target
from tokenradar.service.health_report import FreshnessShare
from tokenradar.settings import TiersSettings

Shares = dict[Tier, dict[FacetKind, FreshnessShare]]

_TIERS = tuple(Tier)


class FreshnessGauge:
    def __init__(self, *, sample: int = 50_000, grace: float = 2.0) -> None:
        if sample < 1 or grace < 0:
            raise ValueError("sample must be >= 1 and grace >= 0")
        self.sample = sample
        self.grace = grace
        self._offset = 0
        #: what the last measurement covered
        self.measured = 0
        self.sampled = False

    def measure(
        self,
        universe: Mapping[TokenRef, Tracked],
        store: FacetStore,
        tiers: TiersSettings,
        kinds: Collection[FacetKind],
        *,
        now: float,
    ) -> Shares:
        """Shares per tier and facet (every tier, each of ``kinds``: the facets fetched)."""
        kinds = tuple(kinds)
        index = {k: i for i, k in enumerate(kinds)}
        width = len(kinds)
        grace = self.grace
        # per (tier, kind): the plain target, and the one for tokens still in their launch window
        plain = [freshness_target(tiers, k, t, now=now) for t in _TIERS for k in kinds]
        young = [
            freshness_target(tiers, k, t, launched_at=now, now=now) for t in _TIERS for k in kinds
        ]
        tokens = [0] * len(plain)
        fresh = [0] * len(plain)
        missing = [0] * len(plain)
        launch_window = tiers.launch_window
        tier_row = {t: i * width for i, t in enumerate(_TIERS)}

        n = len(universe)
        step = max(1, math.ceil(n / self.sample))
        self._offset = (self._offset + 1) % step
        items = itertools.islice(universe.items(), self._offset, None, step)
        measured = 0
        for token, info in items:
            measured += 1
            row = tier_row[info.tier]
            targets = (
                young
                if info.launched_at is not None and now - info.launched_at < launch_window
                else plain
            )
            for kind in info.kinds:
                col = index.get(kind)
                if col is None:  # no lane fetches it: not ours to judge
                    continue
                cell = row + col
                tokens[cell] += 1
                record = store.record(token, kind)
                good = record.last_good if record is not None else None
                if good is None:
                    missing[cell] += 1
                elif now - good.fetched_at <= targets[cell] + grace:
                    fresh[cell] += 1
        self.measured = measured
        self.sampled = step > 1
        return {
            tier: {
                kind: FreshnessShare(
                    target_s=plain[r + c],
                    tokens=tokens[r + c],
                    fresh=fresh[r + c],
                    missing=missing[r + c],
                    share=fresh[r + c] / tokens[r + c] if tokens[r + c] else None,
                )
                for c, kind in enumerate(kinds)
            }
            for tier, r in tier_row.items()
        }
