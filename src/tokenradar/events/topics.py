"""Event topics and the patterns that select them.

A topic is dot-separated segments of letters, digits, ``_`` or ``-``
(``token.scored``). A pattern is an exact topic, or has ``*`` as whole
segments: inside a pattern ``*`` matches exactly one segment (``*.scored``
matches ``token.scored``, not ``a.b.scored``); as the last segment it matches
one or more (``token.*`` matches ``token.scored`` but not ``token``; ``alert.*``
matches ``alert.lane.down``; ``*`` matches every topic). Partial wildcards
(``tok*``) and empty segments are :class:`~tokenradar.errors.InvalidInput`:
patterns may come from an API query, and a typo must not silently match nothing.

Results are cached (bounded): topics come from a small fixed vocabulary, so
matching costs one dictionary lookup per subscriber per publish.
"""

from __future__ import annotations

import functools
import re

from tokenradar.errors import InvalidInput

WILDCARD = "*"
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


def _segments(text: str, *, pattern: bool) -> tuple[str, ...]:
    parts = tuple(text.split("."))
    for part in parts:
        if not (_SEGMENT.match(part) or (pattern and part == WILDCARD)):
            what, hint = ("pattern", ", or * as a whole segment") if pattern else ("topic", "")
            raise InvalidInput(
                f"bad event {what} {text!r}: segments are letters, digits, _ or -{hint}"
            )
    return parts


@functools.lru_cache(maxsize=1024)
def validate_pattern(pattern: str) -> str:
    """``pattern`` itself if it is valid, else :class:`InvalidInput` saying why."""
    _segments(pattern, pattern=True)
    return pattern


@functools.lru_cache(maxsize=1024)
def validate_topic(topic: str) -> str:
    """``topic`` itself if it is valid (no wildcards), else :class:`InvalidInput`."""
    _segments(topic, pattern=False)
    return topic


@functools.lru_cache(maxsize=8192)
def topic_matches(pattern: str, topic: str) -> bool:
    """Whether ``pattern`` selects ``topic``; either being malformed is InvalidInput."""
    want = _segments(pattern, pattern=True)
    have = _segments(topic, pattern=False)
    if want[-1] == WILDCARD:
        want = want[:-1]
        if len(have) <= len(want):
            return False
    elif len(have) != len(want):
        return False
    return all(w in (WILDCARD, h) for w, h in zip(want, have, strict=False))
