"""Lenient readers for untrusted JSON values.

Upstream payloads send numbers as strings (``"priceUsd": "0.1341"``), omit
fields, and occasionally send the wrong type. Parsers read every field through
these helpers: a value of the wrong type becomes ``None`` (unknown) instead of
an exception, so one bad field never costs the whole facet.
"""

from __future__ import annotations

import math
from typing import Any


def as_dict(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: object) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def as_float(value: object) -> float | None:
    """A finite number from a JSON number or a numeric string; None otherwise.

    Booleans are not numbers here (``True`` is not a price).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_int(value: object) -> int | None:
    """An integer from a JSON integer, an integral float, or a decimal-digit string.

    Strings keep full precision (Solana sends u64 amounts as strings); orjson
    decodes integers beyond u64 as floats, which are accepted when integral.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        return int(text) if digits.isascii() and digits.isdigit() else None
    return None


def as_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None
