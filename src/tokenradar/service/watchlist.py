"""The watchlist: the tokens a user wants kept fresh, in a plain text file.

::

    # chain:address [tier]   (bare base58 is Solana, bare 0x… is Ethereum)
    solana:EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v  hot
    ethereum:0xdac17f958d2ee523a2206206994597c13d831ec7

A tier given is the *floor* for that token (the scorer may make it hotter,
never colder); without one a watched token is at least ``warm``. ``tokenradar
watch add|rm|list`` edits the file; ``serve`` reloads it when it changes.
Writes go to a temporary file renamed over the old one, so a crash never leaves
half a watchlist. A file with bad lines is refused whole, every bad line named
(up to a bound), and the watchlist in force is kept.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from tokenradar.domain import Tier, TokenRef
from tokenradar.errors import InvalidAddress, InvalidInput

#: the floor of a watched token without a tier of its own
DEFAULT_FLOOR = Tier.WARM
#: at most this many bad lines are listed in an error
MAX_REPORTED = 20
#: a watchlist longer than this is refused (the universe it asks for must fit memory)
MAX_TOKENS = 200_000


def parse(text: str, origin: str = "watchlist") -> dict[TokenRef, Tier]:
    """``token -> floor tier`` from the file's text; raises naming every bad line."""
    out: dict[TokenRef, Tier] = {}
    bad: list[str] = []
    for lineno, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        parts = entry.split()
        try:
            token = TokenRef.parse(parts[0])
            if len(parts) > 2:
                raise InvalidInput(f"expected 'chain:address [tier]', got {entry!r}")
            tier = Tier(parts[1].lower()) if len(parts) == 2 else DEFAULT_FLOOR
        except ValueError as exc:
            why = str(exc) if isinstance(exc, InvalidInput) else f"unknown tier {parts[1]!r}"
            bad.append(f"{origin}:{lineno}: {why}")
            continue
        out[token] = tier
    if bad:
        more = f" … and {len(bad) - MAX_REPORTED} more" if len(bad) > MAX_REPORTED else ""
        raise InvalidAddress("; ".join(bad[:MAX_REPORTED]) + more)
    if len(out) > MAX_TOKENS:
        raise InvalidInput(f"{origin}: {len(out)} tokens; at most {MAX_TOKENS} are watched")
    return out


def load(path: Path) -> dict[TokenRef, Tier]:
    """The watchlist in ``path`` (a missing file is an empty watchlist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"watchlist: cannot read {path}: {exc}") from exc
    return parse(text, str(path))


def render(entries: Mapping[TokenRef, Tier]) -> str:
    lines = ["# tokenradar watchlist: chain:address [tier]"]
    for token, tier in sorted(entries.items(), key=lambda kv: str(kv[0])):
        lines.append(str(token) if tier is DEFAULT_FLOOR else f"{token} {tier.value}")
    return "\n".join(lines) + "\n"


def save(path: Path, entries: Mapping[TokenRef, Tier]) -> None:
    """Replace the file atomically (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(render(entries))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add(path: Path, tokens: Iterable[TokenRef], tier: Tier | None = None) -> dict[TokenRef, Tier]:
    entries = load(path)
    for t in tokens:
        entries[t] = tier or entries.get(t, DEFAULT_FLOOR)
    save(path, entries)
    return entries


def remove(path: Path, tokens: Iterable[TokenRef]) -> tuple[dict[TokenRef, Tier], list[TokenRef]]:
    """Remove ``tokens``; returns the new watchlist and those that were not on it."""
    entries = load(path)
    missing = [t for t in tokens if entries.pop(t, None) is None]
    save(path, entries)
    return entries, missing
