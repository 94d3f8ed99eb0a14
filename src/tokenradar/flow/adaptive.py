"""The adaptive pace of one limit: GCRA spacing at a rate that AIMD moves.

The :class:`~tokenradar.flow.window.SlidingWindow` is what makes a limit exact;
this is what makes it *smooth* and *adaptive*:

* **Pacing (GCRA).** Requests are spaced ``1 / rate`` seconds apart per unit of
  cost, with a burst tolerance of ``burst`` back-to-back requests after idle
  (default 1: pure pacing). Pacing at the ceiling never trips a server that
  enforces its limit as a token bucket, a fixed window or a sliding window, and
  it makes "tokens per second" mean the same thing over any interval.
* **Backing off.** A 429 pauses the limit until ``Retry-After`` (capped; when
  the provider gives none, 1 s doubling per consecutive 429) and multiplies the
  rate by ``decrease``. Only one decrease per round trip: 429s for requests
  that were sent before the last decrease are answers to the old rate.
* **Creeping back.** While healthy the rate grows by ``step × ceiling`` every
  ``interval`` seconds, up to the configured ceiling (auto: or by
  ``auto_growth``, whichever is more, so a pace cut to a fraction of its
  estimate is back in seconds).

**Auto (unknown limit).** A 429 may be the limit or a fault (a storm of 429s
from a struggling server). A limit is reproducible and a storm is not, and what
the server *took* without a 429 is a fact either way: :class:`KnownGood` keeps
the highest rate and pace that ran a whole ``good_window`` cleanly (decaying
with a half-life of ``good_half_life`` unless proven again). ``good_window`` is
also what we assume the server's own window to be (at most). The
:class:`Probe` states:

* **probing**: the rate starts at ``auto_start`` req/s and grows by
  ``auto_growth`` per interval *while requests actually go out at that pace* (at
  least ``busy`` of it: a lane held back by its in-flight cap, latency or lack
  of work proves nothing about the limit). A 429 sets the estimate to
  ``settle ×`` the rate actually sent, never below the known-good rate.
* **tentative**: one trip set the estimate. Refusals within ``good_window`` of
  it are its own full window or a storm, and change nothing; a refusal later
  confirms it (*settled*). If instead the estimate runs a whole window cleanly,
  it was too low (a storm tripped the probe) and probing resumes from it; a
  second trip within ``1 / settle`` of the first confirms that one.
* **settled**: a 429 above the known-good pace lowers the estimate, to no less
  than the known-good rate. After ``reprobe_after`` seconds without one the
  estimate is raised by 5 %, so a limit that was lifted is found again, at the
  cost of one probe.

In every state a 429 at the known-good pace (or below) contradicts what the
server has served cleanly: it is a storm, not a ceiling. It pauses and slows
the pace like any 429 and leaves the estimate alone, so the lane is back at its
last good rate as soon as the pace has crept back. Only when such refusals go
on for more than ``burst_span`` without a clean window in between has the
limit itself gone down: the known-good rate and the estimate then drop by
``settle``.

For ``good_window`` after a 429 that set or lowered the estimate, no window of
``good_window`` holds more of our requests than the server took in the window
that tripped: its window is full of those, which leave it only at the pace they
went out, so the first 429 of a probe is the last one in that window (requests
already on the wire when it arrives cannot be called back).

Pure bookkeeping: time is passed in; nothing here sleeps.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from itertools import takewhile

from tokenradar.flow.known_good import KnownGood

#: a reprobe raises the estimate by this factor
REPROBE = 1.05
#: paces within this factor of each other are the same pace (less than a reprobe's step)
SAME_PACE = REPROBE**0.5


class Probe(StrEnum):
    PROBING = "probing"  # growing while busy until a 429 says where the limit is
    TENTATIVE = "tentative"  # one trip set the estimate; a second one confirms it
    SETTLED = "settled"  # the estimate is confirmed; it moves on limit 429s and reprobes


_PROBE_MOVES: frozenset[tuple[Probe, Probe]] = frozenset(
    {
        (Probe.PROBING, Probe.TENTATIVE),
        (Probe.PROBING, Probe.SETTLED),
        (Probe.TENTATIVE, Probe.SETTLED),
        (Probe.TENTATIVE, Probe.PROBING),
    }
)


@dataclass(frozen=True, slots=True)
class AdaptivePolicy:
    burst: float = 1.0
    decrease: float = 0.5
    step: float = 0.05
    interval: float = 1.0
    #: the rate never drops below ``floor × ceiling`` (auto: ``min_rate``)
    floor: float = 0.02
    min_rate: float = 0.05
    default_pause: float = 1.0
    max_pause: float = 60.0
    auto_start: float = 1.0
    auto_growth: float = 1.1
    settle: float = 0.8
    busy: float = 0.8
    reprobe_after: float = 120.0
    #: auto: a pace is known good once it ran this long without a 429; also the
    #: longest server window assumed (a rate proven over a shorter one may not hold)
    good_window: float = 10.0
    #: auto: the known-good rate halves every this many seconds it is not proven again
    good_half_life: float = 1800.0
    #: auto: refusals of a known-good pace for longer than this are not a storm of faults
    burst_span: float = 20.0

    def __post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError(f"burst must be >= 1, got {self.burst}")
        if not 0 < self.decrease < 1:
            raise ValueError(f"decrease must be in (0, 1), got {self.decrease}")
        if not 0 < self.settle < 1:
            raise ValueError(f"settle must be in (0, 1), got {self.settle}")
        if self.auto_growth <= 1:
            raise ValueError(f"auto_growth must be > 1, got {self.auto_growth}")
        if min(self.good_window, self.good_half_life) <= 0:
            raise ValueError("good_window and good_half_life must be positive")
        if self.burst_span < 0:
            raise ValueError(f"burst_span must be >= 0, got {self.burst_span}")


class AdaptiveRate:
    """GCRA pacing at an AIMD-adapted rate (requests of cost 1 per second)."""

    def __init__(self, ceiling: float | None, policy: AdaptivePolicy | None = None) -> None:
        if ceiling is not None and ceiling <= 0:
            raise ValueError(f"a ceiling must be positive, got {ceiling}")
        p = self.policy = policy or AdaptivePolicy()
        #: configured ceiling in req/s; None = unknown ("auto")
        self.ceiling = ceiling
        #: auto only: what we believe the limit is, once a 429 told us
        self.estimate: float | None = None
        self.rate = ceiling if ceiling is not None else p.auto_start
        self.paused_until = 0.0
        self.rate_limited = 0
        #: auto only: where the probe for the limit stands
        self.probe = Probe.PROBING
        #: auto only: 429s at a known-good pace, taken for a storm rather than the limit
        self.storm_429s = 0
        #: auto only: what the server demonstrably allows
        self.known_good = (
            KnownGood(p.good_window, half_life=p.good_half_life) if ceiling is None else None
        )
        self._tat = 0.0  # GCRA theoretical arrival time
        self._consecutive = 0
        self._last_change = 0.0
        self._last_decrease = -1.0
        self._limited_at = -math.inf  # the last 429 that set or lowered the estimate
        self._reprobed_at = 0.0
        self._last_trip_rate: float | None = None  # probing: what was sent at the last trip
        self._storm_since: float | None = None  # the first 429 of the current storm
        self._admitted = 0.0  # cost admitted since the last change
        # (admitted at, cost) over the last max(2 intervals, 1 s, good_window if auto)
        self._sent: deque[tuple[float, float]] = deque()
        self._keep = max(1.0, 2 * p.interval, p.good_window if ceiling is None else 0.0)
        self._first_admit: float | None = None
        self._trip_cap = 0.0  # what the server took in the window that tripped

    @property
    def auto(self) -> bool:
        return self.ceiling is None

    @property
    def effective_ceiling(self) -> float | None:
        if self.ceiling is not None:
            return self.ceiling
        return None if self.probe is Probe.PROBING else self.estimate

    @property
    def _floor(self) -> float:
        if self.ceiling is not None:
            return max(self.ceiling * self.policy.floor, 1e-6)
        return self.policy.min_rate

    def good_rate(self, now: float) -> float:
        """Auto: the rate the server demonstrably allows now (0 before any proof)."""
        return self.known_good.rate(now) if self.known_good is not None else 0.0

    def _move(self, to: Probe) -> None:
        if (self.probe, to) not in _PROBE_MOVES:
            raise RuntimeError(f"a probe cannot go from {self.probe} to {to}")  # a bug here
        self.probe = to

    def delay(self, now: float, cost: float = 1) -> float:
        """Seconds until a request of ``cost`` keeps pace (0 = now)."""
        tau = (self.policy.burst - 1) / self.rate
        return max(0.0, self.paused_until - now, self._tat - tau - now, self._trip_delay(now, cost))

    def _trip_delay(self, now: float, cost: float) -> float:
        """After a trip: until our last ``good_window`` holds no more than the server took."""
        window = self.policy.good_window
        if now - self._limited_at >= window:
            return 0.0
        in_window = [(t, c) for t, c in self._sent if t > now - window]
        excess = sum(c for _, c in in_window) + cost - self._trip_cap
        if excess <= 1e-9:
            return 0.0
        freed = 0.0
        for sent_at, c in in_window:
            freed += c
            if freed >= excess - 1e-9:
                return min(sent_at, self._limited_at) + window - now
        return self._limited_at + window - now

    def _sent_since(self, since: float) -> float:
        return sum(c for t, c in self._sent if t > since)

    def _trim(self, now: float) -> None:
        while self._sent and self._sent[0][0] <= now - self._keep:
            self._sent.popleft()

    def admit(self, now: float, cost: float = 1) -> None:
        """Record a request as sent; call only when :meth:`delay` is 0."""
        self._tat = max(self._tat, now) + cost / self.rate
        self._admitted += cost
        self._trim(now)
        self._sent.append((now, cost))
        if self._first_admit is None:
            self._first_admit = now
        if self.known_good is not None:
            self.known_good.on_admit(now, cost, self.rate)

    def _achieved(self, now: float) -> float:
        """The rate actually sent since the last change, req/s."""
        return self._admitted / max(now - self._last_change, 1e-9)

    def recent_rate(self, now: float) -> float:
        """The rate actually sent over the last ``max(1 s, 2 intervals)``, req/s."""
        horizon = max(1.0, 2 * self.policy.interval)
        self._trim(now)
        if self._first_admit is None:
            return 0.0
        span = min(horizon, max(now - self._first_admit, 1.0 / self.rate))
        recent = takewhile(lambda sent: sent[0] > now - horizon, reversed(self._sent))
        return sum(c for _, c in recent) / span

    def on_success(self, now: float, sent_at: float | None = None, cost: float = 1) -> None:
        """An answer that was not a 429 (``sent_at``: when its request went out)."""
        self._consecutive = 0
        kg = self.known_good
        if kg is not None:
            kg.on_success(now, sent_at, cost)
            if (
                self.probe is Probe.TENTATIVE
                and self.estimate is not None
                and kg.pace(now) * SAME_PACE >= self.estimate
            ):
                # a whole window clean at the estimate: a storm tripped the probe, not the limit
                self._move(Probe.PROBING)
                self.rate = max(self.rate, self.policy.auto_start)
        if now < self.paused_until or now - self._last_change < self.policy.interval:
            return
        p = self.policy
        top = self.effective_ceiling
        if self.auto and top is None:
            if self._achieved(now) >= p.busy * self.rate:  # probing: only at full pace
                self.rate *= p.auto_growth
        elif top is not None:
            if (
                self.auto
                and self.rate >= top
                and now - max(self._limited_at, self._reprobed_at) >= p.reprobe_after
            ):
                top = self.estimate = top * REPROBE
                self._reprobed_at = now
            target = self.rate + p.step * top
            if self.auto:  # a pace far below its estimate comes back geometrically
                target = max(target, self.rate * p.auto_growth)
            self.rate = min(top, target)
        self._last_change = now
        self._admitted = 0.0

    def on_rate_limited(self, now: float, sent_at: float, retry_after: float | None) -> None:
        p = self.policy
        self.rate_limited += 1
        self._consecutive += 1
        if retry_after is not None and retry_after >= 0:
            pause = min(p.max_pause, retry_after)
        else:
            pause = min(p.max_pause, p.default_pause * 2 ** min(self._consecutive - 1, 16))
        self.paused_until = max(self.paused_until, now + pause)
        self._tat = max(self._tat, self.paused_until)
        if self.known_good is not None:
            self.known_good.on_limited(now, sent_at)
        self._last_change = now
        self._admitted = 0.0
        if sent_at < self._last_decrease:
            return  # sent before our last decrease: it reports on the old rate
        # what tripped the limit is what we sent, which may be less than the pace allowed
        pace = self.rate
        tripped_at = min(pace, max(self.recent_rate(now), self._floor))
        self.rate = max(self._floor, self.rate * p.decrease)
        self._last_decrease = now
        if self.known_good is not None:
            self._learn(now, pace, tripped_at, self.known_good)

    def _learn(self, now: float, pace: float, tripped_at: float, kg: KnownGood) -> None:
        """Auto: what a 429 at ``pace`` (having sent ``tripped_at``) says about the limit."""
        p = self.policy
        if pace <= kg.pace(now) * SAME_PACE:
            self._storm(now, kg)
            return
        self._storm_since = None
        # a window holding what we sent in the last one was too much (if the server's
        # window is no longer): a ramp trips well above the rate it can keep
        window_of_sent = max(self._sent_since(now - p.good_window) - 1, 0.0) / p.good_window
        limit = min(tripped_at * p.settle, window_of_sent)
        settled = max(self._floor, limit, kg.rate(now))
        if self.probe is Probe.PROBING:
            previous, self._last_trip_rate = self._last_trip_rate, tripped_at
            self.estimate = settled
            consistent = previous is not None and tripped_at * p.settle <= previous
            self._move(Probe.SETTLED if consistent else Probe.TENTATIVE)
        elif self.probe is Probe.TENTATIVE:
            if now - self._limited_at < p.good_window:
                return  # the trip's own window, or a storm right after it
            self._move(Probe.SETTLED)
            self.estimate = settled if self.estimate is None else min(self.estimate, settled)
        else:
            self.estimate = settled if self.estimate is None else min(self.estimate, settled)
        self._tripped(now, kg)

    def _tripped(self, now: float, kg: KnownGood) -> None:
        """A 429 that said something about the limit: its window starts now."""
        self._limited_at = now
        self._trip_cap = kg.taken(now - self.policy.good_window, now)

    def _storm(self, now: float, kg: KnownGood) -> None:
        """A 429 at a pace the server has served cleanly: a storm, unless it goes on."""
        self.storm_429s += 1
        since = self._storm_since
        proven = kg.pace_proven_at
        if since is None or (proven is not None and proven > since):
            self._storm_since = now  # a new storm: the pace ran cleanly again since the last
            return
        if now - since <= self.policy.burst_span:
            return  # the same storm
        # refused for longer than any storm: the limit itself went down
        self._storm_since = now
        self._tripped(now, kg)
        lowered = max(self._floor, kg.lower(now, self.policy.settle))
        self.estimate = lowered if self.estimate is None else min(self.estimate, lowered)
        if self.probe is Probe.PROBING:
            self._move(Probe.TENTATIVE)
