"""Domain objects ⇄ JSON-able dicts, faithfully.

Encoding is generic (dataclass fields in order, enums as their values, tuples
as lists, frozensets as sorted lists, integers of any size kept exact).
Decoding is driven by the dataclasses' type hints, so enums, tuples, frozensets
and nested dataclasses come back as what they were, not as strings and lists.
A field missing from a stored document takes its dataclass default, so a field
added with a default still decodes older rows. One decoder is built per class,
once.

JSON has no NaN or infinity: a non-finite float is stored as ``null``, and a
``null`` read into a field typed plain ``float`` comes back as NaN.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar, cast

from tokenradar.domain import (
    CheckResult,
    Facet,
    FacetData,
    FacetError,
    FacetKind,
    FacetState,
    HoldersData,
    MarketData,
    MintData,
    PriceData,
    RiskData,
    Score,
    TokenRef,
)
from tokenradar.store import jsonio

T = TypeVar("T")

#: The payload dataclass of each facet kind.
PAYLOAD_TYPES: dict[FacetKind, type[FacetData]] = {
    FacetKind.MARKET: MarketData,
    FacetKind.MINT: MintData,
    FacetKind.HOLDERS: HoldersData,
    FacetKind.RISK: RiskData,
    FacetKind.PRICE: PriceData,
}


class CodecError(ValueError):
    """A stored document does not decode into the type it should."""


# ---------------------------------------------------------------------------
# Payloads
# ---------------------------------------------------------------------------


def payload_to_json(data: FacetData) -> str:
    """The stored JSON text of a facet payload (the hot path of the writer)."""
    encode = _encoder(cast(Any, type(data)))
    return jsonio.dumps(encode(data))


def payload_to_dict(data: FacetData) -> dict[str, Any]:
    return cast(dict[str, Any], jsonio.to_plain(data))


def payload_from_dict(kind: FacetKind, doc: dict[str, Any]) -> FacetData:
    try:
        cls = PAYLOAD_TYPES[kind]
    except KeyError:
        raise CodecError(f"no payload type for facet kind {kind!r}") from None
    return decode(cls, doc)


# ---------------------------------------------------------------------------
# Facets and scores
# ---------------------------------------------------------------------------


def facet_to_dict(facet: Facet[Any]) -> dict[str, Any]:
    return {
        "chain": facet.token.chain,
        "address": facet.token.address,
        "kind": facet.kind.value,
        "state": facet.state.value,
        "fetched_at": facet.fetched_at,
        "source": facet.source,
        "data": None if facet.data is None else payload_to_dict(facet.data),
        "error": None if facet.error is None else jsonio.to_plain(facet.error),
    }


def facet_from_dict(doc: dict[str, Any]) -> Facet[Any]:
    try:
        kind = FacetKind(doc["kind"])
        data = doc.get("data")
        error = doc.get("error")
        return Facet(
            token=TokenRef(doc["chain"], doc["address"]),
            kind=kind,
            state=FacetState(doc["state"]),
            fetched_at=float(doc["fetched_at"]),
            source=str(doc["source"]),
            data=None if data is None else payload_from_dict(kind, data),
            error=None if error is None else decode(FacetError, error),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"not a stored facet: {exc}") from exc


def checks_to_json(checks: tuple[CheckResult, ...]) -> str:
    encode = _encoder(CheckResult)
    return jsonio.dumps([encode(c) for c in checks])


def checks_from_list(items: list[Any]) -> tuple[CheckResult, ...]:
    return tuple(decode(CheckResult, item) for item in items)


def score_to_dict(score: Score) -> dict[str, Any]:
    return cast(dict[str, Any], jsonio.to_plain(score))


def score_from_dict(doc: dict[str, Any]) -> Score:
    return decode(Score, doc)


# ---------------------------------------------------------------------------
# Fast encoding: dataclass -> dict, generated once per class
# ---------------------------------------------------------------------------


@cache
def _encoder(cls: Any) -> Callable[[Any], dict[str, Any]]:
    """A function building the plain dict of a ``cls`` instance.

    orjson can serialise slotted dataclasses itself, but reads their fields
    one ``getattr`` at a time: seven times slower than serialising a dict. The
    writer encodes every facet it stores, so each class gets a generated
    function of the form ``lambda o: {"a": o.a, "b": [enc_B(x) for x in o.b]}``.
    Enums, tuples and scalars are left to orjson, which writes them as values.
    """
    hints = typing.get_type_hints(cls)
    env: dict[str, Any] = {}
    parts = []
    for f in dataclasses.fields(cls):
        name = f.name
        if not name.isidentifier():
            raise TypeError(f"{cls.__name__}.{name} is not an identifier")
        tp = hints[name]
        nested, kind = _nested(tp)
        if typing.get_origin(tp) is frozenset:
            expr = f"sorted(o.{name})"  # orjson writes no sets; sorted keeps the text stable
        elif nested is None:
            expr = f"o.{name}"
        else:
            env[f"enc_{name}"] = _encoder(nested)
            if kind == "tuple":
                expr = f"[enc_{name}(x) for x in o.{name}]"
            elif kind == "optional":
                expr = f"None if o.{name} is None else enc_{name}(o.{name})"
            else:
                expr = f"enc_{name}(o.{name})"
        parts.append(f"{name!r}: {expr}")
    source = f"lambda o: {{{', '.join(parts)}}}"
    return cast(Callable[[Any], dict[str, Any]], eval(source, env))


def _nested(tp: Any) -> tuple[Any, str]:
    """The dataclass inside a field type, and how it is held (plain/optional/tuple)."""
    if tp is TokenRef or (dataclasses.is_dataclass(tp) and isinstance(tp, type)):
        return tp, "plain"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is tuple and args and dataclasses.is_dataclass(args[0]):
        return args[0], "tuple"
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and dataclasses.is_dataclass(rest[0]):
            return rest[0], "optional"
    return None, "plain"


# ---------------------------------------------------------------------------
# Type-directed decoding
# ---------------------------------------------------------------------------


def decode(cls: type[T], doc: Any) -> T:
    """Build a ``cls`` dataclass from the plain JSON value ``doc``."""
    return cast(T, _decoder(cast(Any, cls))(doc))


Decoder = Callable[[Any], Any]


@cache
def _decoder(tp: Any) -> Decoder:
    if tp is TokenRef:
        return _token
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass_decoder(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _union_decoder(typing.get_args(tp))
    if origin is tuple:
        args = typing.get_args(tp)
        item = _decoder(args[0])
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"only homogeneous tuples are stored, not {tp}")
        return lambda v: tuple(item(x) for x in _list(v))
    if origin is frozenset:
        member = _decoder(typing.get_args(tp)[0])
        return lambda v: frozenset(member(x) for x in _list(v))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return cast(Decoder, tp)
    if tp is float:
        return _float
    if tp is int:
        return _int
    if tp is bool:
        return _bool
    if tp is str:
        return _str
    if tp is type(None):
        return _none
    if tp is Any:
        return lambda v: v
    raise TypeError(f"no decoder for {tp!r}")


def _dataclass_decoder(cls: type[Any]) -> Decoder:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls) if f.init]
    name = cls.__name__

    def build(doc: Any) -> Any:
        if not isinstance(doc, dict):
            raise CodecError(f"{name}: expected an object, got {doc!r}")
        kwargs = {}
        for field_name, dec in fields:
            if field_name in doc:
                try:
                    kwargs[field_name] = dec(doc[field_name])
                except (TypeError, ValueError) as exc:
                    raise CodecError(f"{name}.{field_name}: {exc}") from exc
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise CodecError(f"{name}: {exc}") from exc

    return build


def _union_decoder(args: tuple[Any, ...]) -> Decoder:
    optional = type(None) in args
    rest = tuple(a for a in args if a is not type(None))
    if all(a in (str, float, int, bool) for a in rest):
        # A scalar union (CheckValue): JSON already kept which one it was.
        def scalar(v: Any) -> Any:
            if v is None and optional:
                return None
            if isinstance(v, str | float | int | bool):
                return v
            raise CodecError(f"expected one of {rest}, got {v!r}")

        return scalar
    if len(rest) == 1:
        inner = _decoder(rest[0])
        if rest[0] is float:
            return lambda v: None if v is None else _float(v)
        return (lambda v: None if v is None else inner(v)) if optional else inner
    raise TypeError(f"no decoder for the union {args}")


def _token(v: Any) -> TokenRef:
    if isinstance(v, str):
        return TokenRef.parse(v)
    return TokenRef(v["chain"], v["address"])


def _list(v: Any) -> list[Any]:
    if not isinstance(v, list | tuple):
        raise CodecError(f"expected a list, got {v!r}")
    return list(v)


def _float(v: Any) -> float:
    if v is None:
        return math.nan  # a non-finite float was stored as null
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise CodecError(f"expected a number, got {v!r}")
    return float(v)


def _int(v: Any) -> int:
    if isinstance(v, bool):
        raise CodecError(f"expected an integer, got {v!r}")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.lstrip("-").isdigit():
        return int(v)
    raise CodecError(f"expected an integer, got {v!r}")


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise CodecError(f"expected true or false, got {v!r}")
    return v


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise CodecError(f"expected a string, got {v!r}")
    return v


def _none(v: Any) -> None:
    if v is not None:
        raise CodecError(f"expected null, got {v!r}")
