"""The ``[tiers]`` settings, as the flow engine imports them.

The models live in :mod:`tokenradar.settings.tiers` and the duration form in
:mod:`tokenradar.settings.values`, below both the settings root and the
engine, so that loading settings imports nothing of ``flow``; they are
re-exported here under their old names. How targets become due times is
:mod:`tokenradar.flow.tiers`.
"""

from __future__ import annotations

from tokenradar.settings.tiers import Freshness, TiersSettings
from tokenradar.settings.values import Duration, parse_duration

__all__ = ["Duration", "Freshness", "TiersSettings", "parse_duration"]
