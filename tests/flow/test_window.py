from __future__ import annotations

import math

import pytest

from tokenradar.flow.window import SlidingWindow


def test_admits_up_to_count_then_waits_for_the_oldest_answer_plus_period() -> None:
    w = SlidingWindow(3, 10.0)
    for _ in range(3):
        assert w.delay(0.0) == 0
        w.admit()
    assert math.isinf(w.delay(0.0))  # all three still in flight
    w.answer(1.0)
    w.answer(2.0)
    assert w.delay(2.0) == pytest.approx(9.0)  # the first answer frees its slot at 1 + 10
    assert w.delay(11.0) == 0


def test_costs_are_charged_and_freed_in_answer_order() -> None:
    w = SlidingWindow(10, 5.0)
    w.admit(4)
    w.admit(4)
    w.answer(0.0, 4)
    w.answer(1.0, 4)
    assert w.delay(1.0, 2) == 0
    assert w.delay(1.0, 3) == pytest.approx(4.0)  # needs the first answer's 4 units back
    assert w.delay(1.0, 7) == pytest.approx(5.0)  # needs both
    assert w.used(6.0) == 0


def test_a_cost_above_the_limit_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="can never fit"):
        SlidingWindow(5, 1.0).delay(0.0, 6)


def test_rejects_a_nonsense_limit() -> None:
    with pytest.raises(ValueError, match="count >= 1"):
        SlidingWindow(0, 1.0)
