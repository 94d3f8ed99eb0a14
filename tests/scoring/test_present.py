"""Score fields for scan results and the --explain table."""

from __future__ import annotations

import io

import orjson
from rich.console import Console

from tokenradar.domain import FacetKind
from tokenradar.scoring.policy import CHECK_NAMES
from tokenradar.scoring.present import explain_table, rank_key
from tokenradar.service.results import score_view

from .builders import AUTHORITY, facets
from .helpers import score


def score_fields(s: object) -> dict[str, object]:
    return score_view(s).model_dump()  # type: ignore[arg-type]


def test_score_fields_carry_the_scan_result_contract_and_serialise() -> None:
    fields = score_fields(score(facets(mint={"mint_authority": AUTHORITY})))
    assert set(fields) == {
        "score", "safety", "momentum", "tier", "decision", "confidence", "checks",
    }  # fmt: skip
    assert [c["name"] for c in fields["checks"]] == list(CHECK_NAMES)
    mint = fields["checks"][0]
    assert mint == {
        "name": "mint_authority",
        "state": "fail",
        "value": AUTHORITY,
        "source": "mint",
        "age_s": 10.0,
        "points": 0.0,
        "max_points": 20.0,
        "gate": True,
        "reason": f"mint authority still enabled: {AUTHORITY} (chain); RugCheck says revoked "
        "(chain preferred)",
    }
    assert fields["decision"] == "avoid"
    orjson.dumps(fields)  # plain JSON types only


def test_unknown_score_is_null_and_ranks_last() -> None:
    nothing = score_fields(score({}))
    assert (nothing["score"], nothing["confidence"]) == (None, 0.0)
    rows = [nothing, score_fields(score(facets())), {"score": 12.5}]
    assert [r["score"] for r in sorted(rows, key=rank_key)] == [100.0, 12.5, None]


def test_explain_table_lists_every_check_with_its_reason() -> None:
    s = score(facets(market={"liquidity_usd": None}, price=None))
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(explain_table(s, "TKN"))
    text = out.getvalue()
    for name in CHECK_NAMES:
        assert name in text
    assert "unknown: market: the provider did not report it" in text
    assert "mint_authority (gate)" in text
    assert s.checks[0].source is FacetKind.MINT
