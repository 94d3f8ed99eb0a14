"""The value forms settings take: rates, durations and URLs.

Each is an ``Annotated`` type that parses the text a TOML file or an
environment variable gives and serialises back to the same form, so
``model_dump()`` round-trips through the loader.

- **rate** ``"N/<period>"``: at most N requests in any window of that length.
- **duration**: seconds (a number) or ``"500ms"``, ``"15s"``, ``"2m"``, ``"1h"``, ``"1d"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer


class Section(BaseModel):
    """A settings table: unknown keys are errors, values are frozen and validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# ---------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------

_RATE_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_RATE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)?\s*(ms|s|min|m|h)\s*$")
RATE_FORM = "'N/<period>' such as '300/60s', '40/10s', '1/2s' or '5/1m', or 'auto'"


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``count`` requests in any ``period`` seconds."""

    count: float
    period: float

    @property
    def per_second(self) -> float:
        return self.count / self.period

    def __str__(self) -> str:
        return f"{self.count:g}/{self.period:g}s"

    @classmethod
    def parse(cls, text: str) -> Rate:
        m = _RATE_RE.match(text)
        if not m:
            raise ValueError(f"expected {RATE_FORM}, got {text!r}")
        count = float(m.group(1))
        period = float(m.group(2) or 1) * _RATE_UNITS[m.group(3)]
        if count <= 0 or period <= 0:
            raise ValueError(f"expected a positive count and period, got {text!r}")
        return cls(count, period)


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

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> float:
    """Seconds from ``15``, ``15.5``, ``"15s"``, ``"2m"``, ``"1h"``, ``"1d"``, ``"500ms"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like '15s', '2m' or '1h', got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION_RE.match(value)):
        seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2) or "s"]
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
