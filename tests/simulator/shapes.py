"""Shape extraction: which keys appear where, with which JSON types, how often.

A shape maps a path (``.liquidity.usd``, ``.markets[].lp.holders[].pct``; keys
that are base58 addresses collapse to ``<addr>``, list items to ``[]``) to the
JSON types seen there, how many objects had the key and how many objects could
have had it (the parent objects).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

_ADDRESS = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "object"


@dataclass
class Shape:
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    present: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    parents: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, value: Any, path: str = "") -> None:
        self.types[path].add(json_type(value))
        if isinstance(value, dict):
            self.parents[path] += 1
            seen = set()
            for key, item in value.items():
                child = f"{path}.{'<addr>' if _ADDRESS.match(key) else key}"
                if child not in seen:
                    self.present[child] += 1
                    seen.add(child)
                self.add(item, child)
        elif isinstance(value, list):
            for item in value:
                self.add(item, path + "[]")

    def always_present(self) -> set[str]:
        """Keys present in every object of their parent path (map keys such as
        addresses are data, not schema, so they never count as always present)."""
        return {
            p
            for p, n in self.present.items()
            if n == self.parents[p.rsplit(".", 1)[0]] and n > 0 and not p.endswith("<addr>")
        }


def shape_of(values: list[Any]) -> Shape:
    shape = Shape()
    for v in values:
        shape.add(v)
    return shape


def differences(
    real: Shape, sim: Shape, *, extra_ok: dict[str, str], optional_ok: dict[str, str]
) -> list[str]:
    """What makes ``sim`` unlike ``real``; ``extra_ok``/``optional_ok`` map documented
    exceptions (path or path:type) to the reason they are allowed."""
    problems: list[str] = []
    for path, types in sim.types.items():
        for t in types:
            allowed = real.types.get(path, set())
            if t in allowed or path in extra_ok or f"{path}:{t}" in extra_ok:
                continue
            # JSON does not distinguish 1 from 1.0 for clients that read numbers as floats
            if t == "int" and "float" in allowed:
                continue
            problems.append(
                f"{path}: simulated type {t} never seen in the real data ({sorted(allowed)})"
            )
    for path in real.always_present():
        parent = path.rsplit(".", 1)[0]
        missing = sim.parents.get(parent, 0) - sim.present.get(path, 0)
        if missing > 0 and path not in optional_ok:
            problems.append(
                f"{path}: always present in the real data, "
                f"missing from {missing} of {sim.parents[parent]} simulated"
            )
    return problems
