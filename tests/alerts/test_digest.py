"""The digest and the rate window it stands in for."""

from __future__ import annotations

from tokenradar.alerts import Alert, AlertLevel
from tokenradar.alerts.digest import NOTABLE, DigestBuilder, format_span
from tokenradar.alerts.window import SlidingWindow
from tokenradar.settings.values import Rate

from .conftest import NOW, event

TIER = ("tier change", "tier changes")
BUY = ("buy candidate", "buy candidates")
RUG = ("rug warning", "rug warnings")


def alert(rule: str, level: AlertLevel = AlertLevel.INFO, at: float = NOW, n: int = 0) -> Alert:
    return Alert(rule, level, f"{rule} {n}", f"{rule}:{n}", "s", event("t.x", None), at)


def test_the_digest_counts_alerts_per_rule_most_first() -> None:
    b = DigestBuilder()
    for i in range(950):
        b.add(alert("tier_changed", at=NOW + i * 0.01, n=i), TIER)
    for i in range(30):
        b.add(alert("buy_candidate", AlertLevel.WARNING, n=i), BUY)
    d = b.take(NOW + 60)
    assert d is not None
    assert d.count == 980
    assert d.summary == "+ 980 more alerts in the last 60s: 950 tier changes, 30 buy candidates"
    assert d.level is AlertLevel.WARNING
    assert d.notable == ()  # nothing at error or above to quote
    assert b.take(NOW + 61) is None  # taking starts over


def test_one_folded_alert_reads_in_the_singular() -> None:
    b = DigestBuilder()
    b.add(alert("buy_candidate", AlertLevel.WARNING), BUY)
    d = b.take(NOW + 5)
    assert d is not None
    assert d.summary == "+ 1 more alert in the last 5s: 1 buy candidate"


def test_the_loudest_alerts_are_quoted_and_their_number_is_bounded() -> None:
    b = DigestBuilder()
    for i in range(10):
        b.add(alert("watched_rug", AlertLevel.ERROR, at=NOW + i, n=i), RUG)
    b.add(alert("watched_rug", AlertLevel.CRITICAL, at=NOW + 20, n=99), RUG)
    d = b.take(NOW + 30)
    assert d is not None
    assert len(d.notable) == NOTABLE
    assert d.notable[0].level is AlertLevel.CRITICAL
    assert [a.message for a in d.notable[1:]] == ["watched_rug 0", "watched_rug 1"]
    assert d.level is AlertLevel.CRITICAL
    assert "(highest level: critical)" in d.text
    assert "  critical: watched_rug 99" in d.text


def test_spans_read_in_seconds_minutes_or_hours() -> None:
    assert format_span(0.2) == "1s"
    assert format_span(61) == "61s"
    assert format_span(600) == "10m"
    assert format_span(9000) == "2.5h"


def test_the_window_admits_count_messages_per_period_sliding() -> None:
    w = SlidingWindow(Rate(3, 60.0))
    for t in (0.0, 10.0, 20.0):
        assert w.allows(t)
        w.record(t)
    assert not w.allows(59.9)
    assert w.wait(30.0) == 30.0
    assert w.allows(60.0)  # the first send is a whole period old
    w.record(60.0)
    assert w.wait(60.0) == 10.0  # now the one at 10 s must age out
