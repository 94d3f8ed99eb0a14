"""A token's market at any instant, as a pure function of its parameters and time.

price      log p(t) = log p0 + drift·t + sigma·(fractal noise) + fate events
           (rug: ×floor over 60 s at ``rug_at``; pump: ×gain over ``pump_len``
           then ×dump_factor over ``dump_len``; bleed: −rate per day)
liquidity  L0 · sqrt(p / p0 without the rug) · (rug: → floor within 30 s)
volume     a lognormal rate with 5-minute bursts (3 % of cells, ×3..×20),
           a launch frenzy, panic after a rug then ~0, ×6 during a pump
txns       volume / average trade size; wash traders trade small and balanced;
           honeypots barely sell.

Windows (m5/h1/h6/h24) integrate the rate by sampling, clipped to the token's
life, so a five-minute-old pool has the same h24 as m5, as on DexScreener.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tokenradar.simulator.model import MarketParams
from tokenradar.simulator.noise import fractal, subkey, unit, value_noise

DAY = 86400.0
WINDOWS: tuple[tuple[str, float, int], ...] = (
    ("m5", 300.0, 2),
    ("h1", 3600.0, 3),
    ("h6", 21600.0, 3),
    ("h24", 86400.0, 4),
)
_CH_PRICE, _CH_VOLUME, _CH_BURST, _CH_ROUND = 1, 2, 3, 4
MAX_WALK = 6.0  # log-price excursion of the random walk (x400 either way)
MAX_BLEED = 7.0  # a bleeding token loses at most ~99.9 %


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A token's market at ``tau`` (all pairs together)."""

    tau: float
    price: float  # USD
    liquidity: float  # USD
    volume: dict[str, float]  # USD per window
    buys: dict[str, int]
    sells: dict[str, int]
    change: dict[str, float]  # percent per window (since launch for young tokens)


def _event_log(m: MarketParams, tau: float, *, with_rug: bool = True) -> float:
    x = 0.0
    if with_rug and m.rug_at is not None and tau >= m.rug_at:
        x += math.log(m.rug_price_floor) * min(1.0, (tau - m.rug_at) / 60.0)
    if m.pump_at is not None and tau >= m.pump_at:
        done = tau - m.pump_at
        x += math.log(m.pump_gain) * min(1.0, done / m.pump_len)
        if done > m.pump_len:
            x += math.log(m.dump_factor) * min(1.0, (done - m.pump_len) / m.dump_len)
    if m.bleed_from is not None and tau > m.bleed_from:
        x -= min(MAX_BLEED, m.bleed_rate * (tau - m.bleed_from) / DAY)
    return x


def _trend(m: MarketParams, tau: float, origin: float, origin_walk: float | None = None) -> float:
    """Drift plus random walk since ``origin`` (log units), without fate events."""
    key = subkey(m.key, _CH_PRICE)
    start = fractal(key, origin) if origin_walk is None else origin_walk
    trend = m.drift * (tau - origin) / DAY + m.sigma * (fractal(key, tau) - start)
    # A random walk is unbounded; real tokens rarely move more than ~e^6 without an event.
    return max(-MAX_WALK, min(MAX_WALK, trend))


def log_price(m: MarketParams, tau: float, origin: float, *, with_rug: bool = True) -> float:
    return math.log(m.p0) + _trend(m, tau, origin) + _event_log(m, tau, with_rug=with_rug)


def price(m: MarketParams, tau: float, origin: float) -> float:
    return math.exp(log_price(m, tau, origin))


def _liquidity(m: MarketParams, tau: float, trend: float) -> float:
    rel = trend + _event_log(m, tau, with_rug=False)
    liq = m.liquidity0 * math.exp(max(-3.0, min(3.0, 0.5 * rel)))
    if m.rug_at is not None and tau >= m.rug_at:
        frac = min(1.0, (tau - m.rug_at) / 30.0)
        liq *= 1.0 - (1.0 - m.rug_liquidity_floor) * frac
    return liq


def liquidity(m: MarketParams, tau: float, origin: float) -> float:
    return _liquidity(m, tau, _trend(m, tau, origin))


def volume_rate(m: MarketParams, tau: float, launched_at: float) -> float:
    """USD per second traded at ``tau``."""
    if tau < launched_at:
        return 0.0
    rate = m.volume0 / DAY * math.exp(0.7 * value_noise(subkey(m.key, _CH_VOLUME), tau, 1800.0))
    cell = math.floor(tau / 300.0)
    u = unit(subkey(m.key, _CH_BURST), cell)
    if u < 0.03:
        rate *= 3.0 + 17.0 * u / 0.03
    age = tau - launched_at
    if age < 3600.0:
        rate *= 1.0 + 5.0 * math.exp(-age / 900.0)  # launch frenzy
    if m.rug_at is not None and tau >= m.rug_at:
        rate *= 0.3 if tau - m.rug_at < 600.0 else 0.002
    if m.pump_at is not None and tau >= m.pump_at:
        done = tau - m.pump_at
        rate *= 6.0 if done <= m.pump_len else 4.0 if done <= m.pump_len + m.dump_len else 0.05
    if m.bleed_from is not None and tau > m.bleed_from:
        rate *= math.exp(-(tau - m.bleed_from) / (1.5 * DAY))
    return rate


def pool_base_tokens(side_usd: float, price: float, supply_ui: float) -> float:
    """Tokens on the token side of a pool holding ``side_usd`` (never more than the supply)."""
    return min(side_usd / max(price, 1e-30), 0.95 * supply_ui)


def _round(key: int, k: int, x: float) -> int:
    """Deterministic stochastic rounding (keeps sums unbiased without a stateful RNG)."""
    whole = math.floor(x)
    return int(whole) + (1 if unit(key, k) < x - whole else 0)


def snapshot(m: MarketParams, tau: float, launched_at: float) -> Snapshot:
    origin = max(0.0, launched_at)
    origin_walk = fractal(subkey(m.key, _CH_PRICE), origin)
    log_p0 = math.log(m.p0)

    def price_at(t: float) -> float:
        return math.exp(log_p0 + _trend(m, t, origin, origin_walk) + _event_log(m, t))

    trend_now = _trend(m, tau, origin, origin_walk)
    p_now = math.exp(log_p0 + trend_now + _event_log(m, tau))
    volume: dict[str, float] = {}
    buys: dict[str, int] = {}
    sells: dict[str, int] = {}
    change: dict[str, float] = {}
    rkey = subkey(m.key, _CH_ROUND)
    step = math.floor(tau)
    for i, (name, window, samples) in enumerate(WINDOWS):
        start = max(tau - window, launched_at)
        span = max(0.0, tau - start)
        if span <= 0.0:
            volume[name], buys[name], sells[name] = 0.0, 0, 0
            continue
        rate = sum(
            volume_rate(m, start + span * (j + 0.5) / samples, launched_at) for j in range(samples)
        )
        vol = rate / samples * span
        p_then = price_at(start)
        pct = (p_now / p_then - 1.0) * 100.0
        trades = vol / m.avg_trade
        # wash traders buy and sell in equal measure; others follow the trend
        buy_share = 0.5 if m.wash else 0.5 + 0.35 * math.tanh(pct / 30.0)
        n_buys = _round(rkey, step * 8 + 2 * i, trades * buy_share)
        n_sells = _round(rkey, step * 8 + 2 * i + 1, trades * (1.0 - buy_share) * m.sell_ratio)
        volume[name], buys[name], sells[name] = vol, n_buys, n_sells
        change[name] = pct
    return Snapshot(tau, p_now, _liquidity(m, tau, trend_now), volume, buys, sells, change)
