"""Exact sliding-window rate limits per client, with honest high-water marks.

A limit "L per W seconds" admits a request when the units it *accepted* in the
last W seconds plus this request's cost stay within L. Refused requests do not
consume budget (the real services count only what they serve). Separately, every
window records all units *received*, accepted or not, and keeps the highest count
seen in any W-second window: the maximum over all sliding windows is always
reached by a window ending at an arrival, so checking at each arrival is exact.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from tokenradar.simulator.config import LimitSpec


class SlidingWindow:
    """One limit for one client (and one method, for per-method limits)."""

    __slots__ = ("accepted", "max_received", "received", "spec")

    def __init__(self, spec: LimitSpec) -> None:
        self.spec = spec
        self.accepted: deque[float] = deque()
        self.received: deque[float] = deque()
        self.max_received = 0

    def _trim(self, q: deque[float], now: float) -> None:
        edge = now - self.spec.window
        while q and q[0] <= edge:
            q.popleft()

    def receive(self, now: float, cost: int) -> None:
        self._trim(self.received, now)
        self.received.extend([now] * cost)
        self.max_received = max(self.max_received, len(self.received))

    def fits(self, now: float, cost: int) -> bool:
        self._trim(self.accepted, now)
        return len(self.accepted) + cost <= self.spec.limit

    def accept(self, now: float, cost: int) -> None:
        self.accepted.extend([now] * cost)

    def retry_after(self, now: float, cost: int) -> float:
        """Seconds until ``cost`` more units would fit (the window length if they never can)."""
        self._trim(self.accepted, now)
        excess = len(self.accepted) + cost - self.spec.limit
        if excess <= 0:
            return 0.0
        if cost > self.spec.limit:
            return self.spec.window
        return max(0.0, self.accepted[excess - 1] + self.spec.window - now)

    def in_window(self, now: float) -> int:
        self._trim(self.accepted, now)
        return len(self.accepted)


@dataclass(frozen=True, slots=True)
class Charge:
    """``cost`` units against limit ``limit`` (``scope`` splits per-method limits)."""

    limit: str
    cost: int = 1
    scope: str = ""


@dataclass(frozen=True, slots=True)
class Refusal:
    limit: str
    scope: str
    retry_after: float


class LimitBook:
    """All limits of a server, per client IP."""

    def __init__(self, specs: dict[str, LimitSpec], *, enforce: bool) -> None:
        self.specs = specs
        self.enforce = enforce
        self._windows: dict[tuple[str, str, str], SlidingWindow] = {}

    def _window(self, limit: str, client: str, scope: str) -> SlidingWindow:
        key = (limit, client, scope)
        w = self._windows.get(key)
        if w is None:
            w = self._windows[key] = SlidingWindow(self.specs[limit])
        return w

    def charge(self, client: str, charges: list[Charge], now: float) -> Refusal | None:
        """Count the request as received; accept it (all charges) or refuse it whole."""
        windows = [(c, self._window(c.limit, client, c.scope)) for c in charges]
        for c, w in windows:
            w.receive(now, c.cost)
        if self.enforce:
            refused = [(c, w) for c, w in windows if not w.fits(now, c.cost)]
            if refused:
                c, w = max(refused, key=lambda cw: cw[1].retry_after(now, cw[0].cost))
                return Refusal(c.limit, c.scope, w.retry_after(now, c.cost))
        for c, w in windows:
            w.accept(now, c.cost)
        return None

    def reset(self) -> None:
        self._windows.clear()

    def report(self, now: float) -> dict[str, dict[str, Any]]:
        """Per limit: its spec and the highest count received in any window, overall and
        per client (``"ip"``, or ``"ip|method"`` for the per-method RPC limit)."""
        out: dict[str, dict[str, Any]] = {
            name: {
                "limit": spec.limit,
                "window_s": spec.window,
                "enforced": self.enforce,
                "max_in_window": 0,
                "per_client": {},
            }
            for name, spec in self.specs.items()
        }
        for (name, client, scope), w in sorted(self._windows.items()):
            entry = out[name]
            label = f"{client}|{scope}" if scope else client
            entry["per_client"][label] = {
                "max_in_window": w.max_received,
                "accepted_in_window": w.in_window(now),
            }
            entry["max_in_window"] = max(entry["max_in_window"], w.max_received)
        return out


class InFlight:
    """Requests in flight per (provider, client), with the highest count seen."""

    def __init__(self) -> None:
        self.current: dict[tuple[str, str], int] = {}
        self.peak: dict[tuple[str, str], int] = {}

    def enter(self, provider: str, client: str) -> int:
        key = (provider, client)
        n = self.current.get(key, 0) + 1
        self.current[key] = n
        self.peak[key] = max(self.peak.get(key, 0), n)
        return n

    def leave(self, provider: str, client: str) -> None:
        self.current[(provider, client)] -= 1

    def reset(self) -> None:
        self.peak = {k: v for k, v in self.current.items() if v}

    def report(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (provider, client), peak in sorted(self.peak.items()):
            out.setdefault(provider, {})[client] = peak
        return out
