"""Counter-based randomness: values that are pure functions of (key, time).

The world's prices and volumes are evaluated lazily at whatever instant a
request asks about, so they cannot come from a stateful random stream (the
answer would depend on who asked first). Instead every random quantity is a
hash of a key and an integer (splitmix64), and smooth paths are fractal value
noise over a few time scales: the same seed and instant always give the same
price, whatever the request order.
"""

from __future__ import annotations

import math

_MASK = (1 << 64) - 1
_TWO_PI = 2.0 * math.pi
_INV32 = 1.0 / (1 << 32)


def mix(x: int) -> int:
    """splitmix64's finaliser: a 64-bit integer hash with good avalanche."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def subkey(key: int, channel: int) -> int:
    """An independent key for another random quantity of the same entity."""
    return mix((key * 0x100000001B3 + channel) & _MASK)


def unit(key: int, k: int) -> float:
    """Uniform in [0, 1) for (key, k)."""
    return (mix(key ^ mix(k & _MASK)) >> 11) * (1.0 / (1 << 53))


def gauss(key: int, k: int) -> float:
    """Standard normal for (key, k): Box-Muller on the two 32-bit halves of one hash."""
    h = mix(key ^ mix(k & _MASK))
    u1 = ((h >> 32) + 0.5) * _INV32
    u2 = (h & 0xFFFFFFFF) * _INV32
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * u2)


def value_noise(key: int, t: float, period: float) -> float:
    """A smooth path with unit variance at grid points ``period`` seconds apart."""
    x = t / period
    k = math.floor(x)
    f = x - k
    s = f * f * (3.0 - 2.0 * f)
    g0 = gauss(key, k)
    return g0 + (gauss(key, k + 1) - g0) * s


#: (period seconds, amplitude relative to a day) of the octaves of a price path:
#: amplitudes grow like sqrt(period), as a random walk's displacement does.
PRICE_OCTAVES: tuple[tuple[float, float], ...] = (
    (120.0, math.sqrt(120.0 / 86400.0)),
    (900.0, math.sqrt(900.0 / 86400.0)),
    (7200.0, math.sqrt(7200.0 / 86400.0)),
    (43200.0, math.sqrt(43200.0 / 86400.0)),
    (259200.0, 1.0),
)


def fractal(key: int, t: float, octaves: tuple[tuple[float, float], ...] = PRICE_OCTAVES) -> float:
    """Sum of value-noise octaves: a random-walk-like path with bounded variance."""
    total = 0.0
    for i, (period, amp) in enumerate(octaves):
        total += amp * value_noise(subkey(key, i), t, period)
    return total
