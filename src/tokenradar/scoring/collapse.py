"""A collapse in progress: never a ``buy_candidate``, whatever the other checks say.

A token whose price is falling through the floor, or whose trades are nearly
all sells, can still pass every authority, holder and liquidity check: two
soft fails among twenty checks cost it little of a weighted average, and a
token down 73.6 % with 16 % buys scored 80 and was a ``buy_candidate``. The score
stays an average; the decision does not. Two market checks see a collapse
and cap the decision:

- ``price_extremes`` failing on a fall (an m5/h1/h6/h24 change at or below
  ``-max_drop_pct``) or ``buy_sell_balance`` failing on a sell-off (buys under
  ``min_buy_ratio`` of the window's trades): at most ``watch``;
- a fall at or below ``-avoid_drop_pct``, or buys under ``avoid_buy_ratio``:
  ``avoid``.

Only verdicts cap. A check that is ``unknown`` (fail-closed or not) says
nothing about a collapse, and a pump or a honeypot pattern (the checks' other
ways to fail) is not one. The sell-off is read from ``buy_sell_balance``
rather than the momentum check ``buy_pressure`` because it needs ``min_txns``
trades: three sells and no buy are no flow.

:func:`collapse` reads one token's check results (the reference path); the
vectorised scorer (:mod:`tokenradar.scoring.scorer`) applies the same rules to
its arrays, and a property test keeps the two equal. The checks' reasons say
what their fail does to the decision (:func:`fall`, :func:`sell_off`), which is
why this module imports no numpy and nothing of the checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from tokenradar.domain import CheckResult, CheckState
from tokenradar.scoring.policy import BuySellBalancePolicy, PriceExtremesPolicy, ScoringSettings


class Collapse(IntEnum):
    """How far a collapse in progress limits the decision (ordered: worse is larger)."""

    NONE = 0  # none seen
    WATCH = 1  # a collapse in progress: at most ``watch``
    AVOID = 2  # past the harder thresholds: ``avoid``


def fall(change_pct: float, policy: PriceExtremesPolicy) -> Collapse:
    """What a failed ``price_extremes`` value (its lowest or highest change) means."""
    if change_pct <= -policy.avoid_drop_pct:
        return Collapse.AVOID
    if change_pct <= -policy.max_drop_pct:
        return Collapse.WATCH
    return Collapse.NONE  # a pump


def sell_off(buy_ratio: float, policy: BuySellBalancePolicy) -> Collapse:
    """What a failed ``buy_sell_balance`` value (buys / trades) means."""
    if buy_ratio < policy.avoid_buy_ratio:
        return Collapse.AVOID
    if buy_ratio < policy.min_buy_ratio:
        return Collapse.WATCH
    return Collapse.NONE  # the honeypot pattern


def collapse(results: Iterable[CheckResult], settings: ScoringSettings) -> Collapse:
    """The worst collapse one token's check results show."""
    checks = settings.checks
    worst = Collapse.NONE
    for r in results:
        if r.state is not CheckState.FAIL or not isinstance(r.value, float):
            continue
        if r.name == "price_extremes":
            worst = max(worst, fall(r.value, checks.price_extremes))
        elif r.name == "buy_sell_balance":
            worst = max(worst, sell_off(r.value, checks.buy_sell_balance))
    return worst
