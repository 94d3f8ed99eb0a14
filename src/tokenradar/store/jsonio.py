"""JSON text in and out of the database, exact for integers of any size.

orjson is fast, but it refuses integers beyond 64 bits when writing and turns
them into floats when reading; Solana supplies and RugCheck fields can be that
large. Both directions take the fast path and fall back to the standard
library exactly when a number is too big for it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

# A run of 19+ digits may be an integer orjson reads as a float: beyond 2**64 - 1
# (20 digits) or below -2**63 (19 digits: -9223372036854775809 is one).
_LONG_DIGITS = re.compile(r"\d{19,}")


# An escaped NUL (``\u0000``) not preceded by an escaping backslash.
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def dumps(obj: Any) -> str:
    """Compact JSON text for dataclasses, enums, tuples, dicts and plain values.

    NUL characters become U+FFFD: PostgreSQL cannot store them in text or
    JSONB, and both databases must hold the same thing.
    """
    try:
        text = orjson.dumps(obj).decode()
    except orjson.JSONEncodeError:
        text = json.dumps(to_plain(obj), separators=(",", ":"), ensure_ascii=False)
    if "\\u0000" in text:
        text = _NUL_ESCAPE.sub(r"\1\\ufffd", text)
    return text


def clean_text(value: str | None) -> str | None:
    """A text column value without NUL characters (PostgreSQL rejects them)."""
    if value is None or "\x00" not in value:
        return value
    return value.replace("\x00", "\ufffd")


def loads(text: str | bytes) -> Any:
    """Parse JSON text; integers keep every digit."""
    if isinstance(text, bytes):
        text = text.decode()
    if _LONG_DIGITS.search(text):
        return json.loads(text)
    return orjson.loads(text)


def to_plain(obj: Any) -> Any:
    """Dataclasses → dicts, enums → values, tuples → lists, sets → sorted lists;
    what ``json`` can write.

    Non-finite floats become ``None``, as orjson writes them (JSON has no NaN).
    """
    if obj is None or isinstance(obj, bool | int | str):
        # str enums are str: keep the value, not the member
        return obj.value if hasattr(obj, "value") and isinstance(obj, str) else obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_plain(v) for v in obj]
    if isinstance(obj, set | frozenset):
        return sorted(to_plain(v) for v in obj)
    fields = getattr(obj, "__dataclass_fields__", None)
    if fields is not None:
        return {name: to_plain(getattr(obj, name)) for name in fields}
    value = getattr(obj, "value", None)
    if value is not None:
        return to_plain(value)
    raise TypeError(f"cannot store a {type(obj).__name__} as JSON: {obj!r}")
