"""The value forms settings take: rates, durations, URLs and strict booleans.

Each is an ``Annotated`` type that parses the text a TOML file or an
environment variable gives and serialises back to the same form, so
``model_dump()`` round-trips through the loader.

- **rate** ``"N/<period>"``: at most N requests in any window of that length.
  Units ``ms``, ``s``, ``m``/``min``, ``h``, ``d``. A count that is not a whole
  number is scaled up with its period to the smallest whole count at the same
  average rate (``"0.5/1s"`` is ``1/2s``, ``"2.5/1s"`` is ``5/2s``): a limiter
  can only admit whole requests, and ``0.5`` in any second would admit none.
- **duration**: seconds (a number) or ``"500ms"``, ``"15s"``, ``"2m"``, ``"1h"``, ``"1d"``.
- **flag**: ``true``/``false``. Environment values are strings, so there
  ``true``/``false``/``1``/``0`` in any case are read too; ``"yes"``, ``2`` or
  ``"on"`` are refused rather than guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

#: seconds per unit, exact (a rate's period is computed in fractions)
UNITS: Final = {
    "ms": Fraction(1, 1000),
    "s": Fraction(1),
    "m": Fraction(60),
    "min": Fraction(60),
    "h": Fraction(3600),
    "d": Fraction(86400),
}
_UNIT_RE = "ms|s|min|m|h|d"


class Section(BaseModel):
    """A settings table: unknown keys are errors, values are frozen and validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# ---------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------

_RATE_RE = re.compile(rf"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)?\s*({_UNIT_RE})\s*$")
RATE_FORM = "'N/<period>' such as '300/60s', '40/10s', '1/2s', '5/1m' or '1000/1d', or 'auto'"


def _seconds_text(seconds: float) -> str:
    # 15 significant digits: never an exponent the parser would refuse
    return f"{seconds:.15g}"


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``count`` requests (a whole number, ≥ 1) in any ``period`` seconds."""

    count: int
    period: float

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"a rate's count must be a whole number >= 1, got {self.count!r}")
        if not (self.period > 0 and math.isfinite(self.period)):
            raise ValueError(f"a rate's period must be positive seconds, got {self.period!r}")

    @property
    def per_second(self) -> float:
        return self.count / self.period

    def __str__(self) -> str:
        return f"{self.count}/{_seconds_text(self.period)}s"

    @classmethod
    def parse(cls, text: str) -> Rate:
        m = _RATE_RE.match(text)
        if not m:
            raise ValueError(f"expected {RATE_FORM}, got {text!r}")
        count = Fraction(m.group(1))
        period = Fraction(m.group(2) or 1) * UNITS[m.group(3)]
        if count <= 0 or period <= 0:
            raise ValueError(f"expected a positive count and period, got {text!r}")
        # "0.5/1s" → 1/2s, "2.5/1s" → 5/2s: the same average rate in whole requests
        scale = count.denominator
        return cls(int(count * scale), float(period * scale))


def _rate_or_auto(value: object) -> Rate | None:
    if value is None or isinstance(value, Rate):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected {RATE_FORM}, got {value!r}")
    if value.strip().lower() == "auto":
        return None
    return Rate.parse(value)


#: A configured limit; ``None`` means ``"auto"``: unknown, to be discovered.
RateSetting = Annotated[
    Rate | None,
    BeforeValidator(_rate_or_auto),
    PlainSerializer(lambda r: "auto" if r is None else str(r), return_type=str),
]

# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------

_DURATION_RE = re.compile(rf"^\s*(\d+(?:\.\d+)?)\s*({_UNIT_RE})?\s*$")


def parse_duration(value: object) -> float:
    """Seconds from ``15``, ``15.5``, ``"15s"``, ``"2m"``, ``"1h"``, ``"1d"``, ``"500ms"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like '15s', '2m' or '1h', got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION_RE.match(value)):
        seconds = float(Fraction(m.group(1)) * UNITS[m.group(2) or "s"])
    else:
        raise ValueError(f"expected a duration like '15s', '2m' or '1h', got {value!r}")
    if seconds <= 0:
        raise ValueError(f"expected a positive duration, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    for unit, size in (("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds >= size and (seconds / size).is_integer():
            return f"{int(seconds / size)}{unit}"
    return f"{seconds:g}s"


Duration = Annotated[
    float, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]

# ---------------------------------------------------------------------------
# Flags
# ---------------------------------------------------------------------------

#: what an environment variable may say for a flag (compared in lower case)
ENV_FLAG_WORDS: Final = {"true": True, "false": False, "1": True, "0": False}
FLAG_FORM = "true or false (in an environment variable also 1 or 0)"


def strict_flag(value: object) -> bool:
    """``True``/``False``, or the strings an environment variable carries for them.

    Pydantic's own bool also takes ``"yes"``, ``"on"``, ``1`` and ``1.0``: a
    typo'd word would silently become a decision.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ENV_FLAG_WORDS:
        return ENV_FLAG_WORDS[value.lower()]
    raise ValueError(f"expected {FLAG_FORM}, got {value!r}")


Flag = Annotated[bool, BeforeValidator(strict_flag)]

# ---------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------


def _http_url(value: object) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+(/\S*)?$", value.strip()):
        raise ValueError(
            f"expected an http(s) URL like 'https://api.example.com' or "
            f"'http://127.0.0.1:9000/prefix', got {value!r}"
        )
    return value.strip().rstrip("/")


def _ws_url(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^wss?://[^\s/]+(/\S*)?$", value.strip()):
        raise ValueError(f"expected a ws(s) URL like 'wss://api.example.com', got {value!r}")
    return value.strip().rstrip("/")


HttpUrl = Annotated[str, BeforeValidator(_http_url)]
WsUrl = Annotated[str | None, BeforeValidator(_ws_url)]


def merge_with_defaults(cls: type[BaseModel], data: object) -> object:
    """For a ``mode="before"`` validator: each sub-table given (``[tiers.mint] hot =
    "10m"``) changes only the keys it names; the others keep that field's default."""
    if not isinstance(data, dict):
        return data
    merged = dict(data)
    for name, value in data.items():
        field = cls.model_fields.get(name)
        if isinstance(value, dict) and field is not None and isinstance(field.default, BaseModel):
            merged[name] = {**field.default.model_dump(mode="json"), **value}
    return merged
