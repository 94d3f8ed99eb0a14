"""Domain objects survive JSON exactly: every payload type, every facet state, scores."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenradar.domain import (
    CheckResult,
    CheckState,
    Decision,
    Facet,
    FacetKind,
    Holder,
    HolderKind,
    HoldersData,
    Link,
    MintData,
    PriceData,
    RiskData,
    RiskField,
    RiskItem,
    Score,
    Tier,
    TokenProgram,
    TokenRef,
    absent_facet,
    error_facet,
    ok_facet,
)
from tokenradar.store import jsonio
from tokenradar.store.codec import (
    CodecError,
    decode,
    facet_from_dict,
    facet_to_dict,
    payload_from_dict,
    payload_to_json,
    score_from_dict,
    score_to_dict,
)

from .factories import market, token

REF = token(42)
EVM = TokenRef("base", "0x" + "Ab" * 20)

HOLDERS = HoldersData(
    supply=2**64 + 11,
    decimals=6,
    top=(
        Holder("acct1", "owner1", 2**63 + 1, 0.5, HolderKind.POOL_VAULT),
        Holder("acct2", None, 17, 0.000001, HolderKind.UNKNOWN),
    ),
    top1_share=0.000001,
    top10_share=None,
)
RISK = RiskData(
    score=2**60,
    score_normalised=12.5,
    risks=(
        RiskItem("Mutable metadata", "warn", 100, "can change", ""),
        RiskItem("Freeze Authority still enabled", "danger", 7500, "tokens can be frozen", "x"),
    ),
    rugged=False,
    mint_authority=None,
    freeze_authority="FreezeAuth1111",
    lp_locked_pct=99.5,
    total_holders=1234,
    total_market_liquidity=None,
    transfer_fee_pct=0.0,
    token_program="spl-token",
)
#: a partial report: no risks list, no top holders, freeze authority unknown
PARTIAL_RISK = replace(
    RISK,
    risks=(),
    freeze_authority=None,
    missing=frozenset({RiskField.RISKS, RiskField.TOP_HOLDERS, RiskField.FREEZE_AUTHORITY}),
)
MINT = MintData(
    program=TokenProgram.SPL_TOKEN_2022,
    mint_authority="Auth1",
    freeze_authority=None,
    supply=10**30,  # beyond 64 bits
    decimals=9,
    is_initialized=True,
    extensions=("transferHook", "permanentDelegate"),
    transfer_fee_bps=None,
)
MARKET = market()
MARKET_SOCIAL = type(MARKET)(
    **{
        **{f: getattr(MARKET, f) for f in MARKET.__dataclass_fields__},
        "websites": ("https://a.example", "https://b.example"),
        "socials": (Link("twitter", "https://x.com/a"), Link("telegram", "https://t.me/a")),
        "boosts_active": 3,
    }
)
PRICE = PriceData(0.000012345678901234, price_change_24h=-3.25, block_id=2**53 + 1)

PAYLOADS: list[tuple[FacetKind, Any]] = [
    (FacetKind.MARKET, MARKET),
    (FacetKind.MARKET, MARKET_SOCIAL),
    (FacetKind.MINT, MINT),
    (FacetKind.HOLDERS, HOLDERS),
    (FacetKind.RISK, RISK),
    (FacetKind.RISK, PARTIAL_RISK),
    (FacetKind.PRICE, PRICE),
]


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=lambda p: getattr(p, "value", None))
def test_every_payload_type_round_trips_through_json_text(kind: FacetKind, payload: Any) -> None:
    text = payload_to_json(payload)
    assert payload_from_dict(kind, jsonio.loads(text)) == payload


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=lambda p: getattr(p, "value", None))
def test_every_facet_state_round_trips_as_a_dict(kind: FacetKind, payload: Any) -> None:
    facets: list[Facet[Any]] = [
        ok_facet(REF, kind, payload, fetched_at=1.5, source="p"),
        absent_facet(EVM, kind, fetched_at=2.5, source="p"),
        error_facet(REF, kind, fetched_at=3.5, source="p", error_kind="timeout", message="slow"),
    ]
    for facet in facets:
        doc = facet_to_dict(facet)
        assert facet_from_dict(jsonio.loads(jsonio.dumps(doc))) == facet


def test_missing_report_parts_are_stored_as_a_sorted_list() -> None:
    doc = jsonio.loads(payload_to_json(PARTIAL_RISK))
    assert doc["missing"] == ["freeze_authority", "risks", "top_holders"]
    assert jsonio.loads(jsonio.dumps(PARTIAL_RISK))["missing"] == doc["missing"]  # slow path


def test_risk_rows_stored_before_missing_existed_still_decode() -> None:
    doc = jsonio.loads(payload_to_json(RISK))
    del doc["missing"]
    old = payload_from_dict(FacetKind.RISK, doc)
    assert old == RISK
    assert isinstance(old, RiskData)
    assert old.missing == frozenset()


def test_a_score_and_every_kind_of_check_value_round_trip() -> None:
    checks = (
        CheckResult("mint_revoked", CheckState.PASS, True, FacetKind.MINT, 1.0, 10.0, 10.0, True),
        CheckResult("top10", CheckState.FAIL, 0.75, FacetKind.HOLDERS, 2.0, 0.0, 15.0),
        CheckResult("holders", CheckState.PASS, 2**70, FacetKind.RISK, None, 5.0, 5.0),
        CheckResult("dex", CheckState.PASS, "raydium", FacetKind.MARKET, 0.0, 1.0, 1.0),
        CheckResult("lp", CheckState.UNKNOWN, None, None, None, 0.0, 10.0, reason="risk failed"),
    )
    s = Score(EVM, 71.25, None, 40.0, Tier.HOT, Decision.BUY_CANDIDATE, 0.66, 123.456, checks)
    back = score_from_dict(jsonio.loads(jsonio.dumps(score_to_dict(s))))
    assert back == s
    assert type(back.checks[0].value) is bool
    assert type(back.checks[2].value) is int


def test_non_finite_floats_are_stored_as_null_and_read_back_as_nan() -> None:
    text = payload_to_json(PriceData(float("nan")))
    assert '"price_usd":null' in text
    assert math.isnan(decode(PriceData, jsonio.loads(text)).price_usd)
    # optional floats stay None
    assert decode(PriceData, jsonio.loads(text)).price_change_24h is None


def test_nul_characters_are_replaced_everywhere_the_same() -> None:
    item = RiskItem("a\x00b", "warn", 1, "c\\u0000d")
    back = decode(RiskItem, jsonio.loads(payload_to_json(item)))  # type: ignore[arg-type]
    assert back.name == "a\ufffdb"
    assert back.description == "c\\u0000d"  # an escaped backslash is text, not a NUL


def test_a_document_of_the_wrong_shape_names_the_field() -> None:
    doc = jsonio.loads(payload_to_json(MINT))
    doc["supply"] = "lots"
    with pytest.raises(CodecError, match=r"MintData\.supply"):
        payload_from_dict(FacetKind.MINT, doc)
    doc = jsonio.loads(payload_to_json(HOLDERS))
    doc["top"][1]["kind"] = "whale"
    with pytest.raises(CodecError, match=r"Holder\.kind"):
        payload_from_dict(FacetKind.HOLDERS, doc)


big_ints = st.integers(min_value=-(2**80), max_value=2**80)
floats = st.floats(allow_nan=False, allow_infinity=False)
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@given(
    supply=big_ints,
    decimals=st.integers(0, 18),
    mint=st.none() | text,
    extensions=st.lists(text, max_size=4).map(tuple),
    fee=st.none() | big_ints,
)
def test_random_mint_payloads_round_trip(
    supply: int, decimals: int, mint: str | None, extensions: tuple[str, ...], fee: int | None
) -> None:
    data = MintData(TokenProgram.SPL_TOKEN, mint, None, supply, decimals, True, extensions, fee)
    assert payload_from_dict(FacetKind.MINT, jsonio.loads(payload_to_json(data))) == data


@given(
    holders=st.lists(
        st.builds(Holder, text, st.none() | text, big_ints, floats, st.sampled_from(HolderKind)),
        max_size=5,
    ),
    supply=big_ints,
    top1=st.none() | floats,
)
def test_random_holder_payloads_round_trip(
    holders: list[Holder], supply: int, top1: float | None
) -> None:
    data = HoldersData(supply, 6, tuple(holders), top1, None)
    assert payload_from_dict(FacetKind.HOLDERS, jsonio.loads(payload_to_json(data))) == data


def test_an_integer_just_below_the_64_bit_range_stays_an_integer() -> None:
    check = CheckResult("c", CheckState.PASS, -(2**63) - 1, None, None, 0.0, 1.0)
    back = decode(CheckResult, jsonio.loads(jsonio.dumps(check)))
    assert back.value == -(2**63) - 1
    assert type(back.value) is int


@given(value=st.none() | st.booleans() | big_ints | floats | text)
def test_random_check_values_keep_their_type(value: Any) -> None:
    check = CheckResult("c", CheckState.PASS, value, None, None, 0.0, 1.0)
    back = decode(CheckResult, jsonio.loads(jsonio.dumps(check)))
    assert back == check
    assert type(back.value) is type(value)
