"""RugCheck: the real reports parse into risk facets; the client maps 404 to absent."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from aiohttp import web

from tokenradar.domain import AUTHORITY_UNNAMED, FacetState, RiskData, RiskField, TokenRef
from tokenradar.errors import MalformedResponse
from tokenradar.providers.rugcheck import RugCheckClient, parse_report
from tokenradar.settings import RugCheckSettings

from .conftest import MINTS, SYMBOLS, RecordingGate, Serve, load, raw, token

NOW = 1_750_790_600.0


def report(sym: str) -> dict[str, Any]:
    data: dict[str, Any] = load(f"rugcheck_report_{sym}.json")
    return data


def risk(sym: str) -> RiskData:
    facet = parse_report(report(sym), token(sym), fetched_at=NOW)
    assert facet.state is FacetState.OK
    assert facet.source == "rugcheck"
    assert facet.data is not None
    return facet.data


@pytest.mark.parametrize("sym", SYMBOLS)
def test_every_real_report_parses(sym: str) -> None:
    data = risk(sym)
    assert data.score is not None
    assert data.rugged is False
    assert data.token_program == "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
    assert data.freeze_authority is None
    assert data.transfer_fee_pct == 0.0


@pytest.mark.parametrize("sym", SYMBOLS)
def test_real_reports_carry_every_part_scoring_reads(sym: str) -> None:
    assert risk(sym).missing == frozenset()


def partial(sym: str, *drop: str, **change: Any) -> RiskData:
    """The real report of ``sym`` without the keys ``drop``, with ``change`` applied."""
    r = {k: v for k, v in report(sym).items() if k not in drop} | change
    facet = parse_report(r, token(sym), fetched_at=NOW)
    assert facet.state is FacetState.OK
    assert facet.data is not None
    return facet.data


def test_report_of_only_the_mint_carries_no_authority_risks_or_holders() -> None:
    """Once ``{"mint": m}`` read as revoked authorities, no risks and fine holders."""
    facet = parse_report({"mint": MINTS["useless"]}, token("useless"), fetched_at=NOW)
    assert facet.state is FacetState.OK
    assert facet.data is not None
    assert facet.data.missing == set(RiskField)
    assert (facet.data.risks, facet.data.mint_authority, facet.data.rugged) == ((), None, None)


def test_null_token_authority_is_revoked_but_an_absent_token_is_unknown() -> None:
    assert not risk("useless").missing  # token.mintAuthority: null, a fact
    without_token = partial("useless", "token")  # the top level is null: no proof
    assert without_token.missing == {RiskField.MINT_AUTHORITY, RiskField.FREEZE_AUTHORITY}
    without_key = partial("useless", token={"supply": 1, "freezeAuthority": None})
    assert without_key.missing == {RiskField.MINT_AUTHORITY}


def test_top_level_account_object_without_token_is_a_set_authority_of_unknown_address() -> None:
    """SPX: the account object stands beside token.mintAuthority = its address, and the
    simulator builds one only for a set authority; so alone it still means "set"."""
    data = partial("spx", "token")
    assert data.mint_authority == AUTHORITY_UNNAMED
    assert data.missing == {RiskField.FREEZE_AUTHORITY}  # top-level freezeAuthority null
    unshaped = partial("spx", "token", mintAuthority={})
    assert RiskField.MINT_AUTHORITY in unshaped.missing


def test_wrong_typed_token_authority_without_top_level_is_unknown() -> None:
    data = partial("useless", "mintAuthority", token={"mintAuthority": 5, "freezeAuthority": None})
    assert data.missing == {RiskField.MINT_AUTHORITY}


@pytest.mark.parametrize("value", ["absent", None, "many"])
def test_risks_that_are_not_a_list_are_unknown_not_none(value: object) -> None:
    data = partial("trump", "risks") if value == "absent" else partial("trump", risks=value)
    assert data.missing == {RiskField.RISKS}
    assert data.risks == ()


def test_an_empty_risks_list_is_a_report_of_no_risks() -> None:
    data = partial("spx", risks=[])
    assert (data.risks, data.missing) == ((), frozenset())


@pytest.mark.parametrize("value", ["absent", None])
def test_report_without_top_holders_says_so(value: object) -> None:
    data = (
        partial("trump", "topHolders") if value == "absent" else partial("trump", topHolders=None)
    )
    assert data.missing == {RiskField.TOP_HOLDERS}
    assert len(data.danger_names) == 3  # the holder risks it lists are still facts


def test_spx_mint_authority_comes_from_token_not_the_account_object() -> None:
    raw_report = report("spx")
    assert isinstance(raw_report["mintAuthority"], dict)  # the quirk: an account object
    data = risk("spx")
    assert data.mint_authority == "BCD75RNBHrJJpW4dXVagL5mPjzRLnVZq4YirJdjEYMV7"
    assert data.score == 50601
    assert data.score_normalised == 71
    assert data.danger_names == ("Mint Authority still enabled",)
    assert [r.name for r in data.risks if r.level == "warn"] == [
        "Missing file metadata",
        "Mutable metadata",
    ]
    assert data.total_holders == 131601
    assert data.total_market_liquidity == pytest.approx(5933804.1666)


def test_trump_danger_risks_and_uncounted_holders() -> None:
    data = risk("trump")
    assert data.score == 18589
    assert data.danger_names == (
        "Top 10 holders high ownership",
        "Single holder ownership",
        "High ownership",
    )
    single = next(r for r in data.risks if r.name == "Single holder ownership")
    assert (single.value, single.score) == ("80.00%", 8000)
    assert data.total_holders is None  # RugCheck says 0 for a token it did not count
    assert data.mint_authority is None


@pytest.mark.parametrize(
    ("sym", "pct"),
    [
        ("useless", 98.04),  # raydium_cpmm, the most liquid market
        ("aura", 99.38),
        ("spx", 0.00098),
        ("mumu", 99.57),
    ],
)
def test_lp_locked_is_the_most_liquid_markets(sym: str, pct: float) -> None:
    assert risk(sym).lp_locked_pct == pytest.approx(pct, abs=1e-4)


@pytest.mark.parametrize("sym", ["trump", "gor"])
def test_main_market_without_an_lp_token_leaves_lp_locked_unknown(sym: str) -> None:
    """TRUMP's and GOR's most liquid market is a Meteora DLMM pool: RugCheck reports
    lpLockedPct 0 with the default address as LP mint (there is no LP token) and lists
    no "Large Amount of LP Unlocked" risk. That 0 is not "0 % locked"; nor is a
    smaller LP-token pool (TRUMP's $37k CLMM, GOR's 99.99 % pump AMM) the main market."""
    main = max(report(sym)["markets"], key=lambda m: m["lp"]["baseUSD"] + m["lp"]["quoteUSD"])
    assert (main["marketType"], main["mintLP"], main["lp"]["lpLockedPct"]) == (
        "meteoraDlmm",
        "11111111111111111111111111111111",
        0,
    )
    data = risk(sym)
    assert "Large Amount of LP Unlocked" not in {r.name for r in data.risks}
    assert data.lp_locked_pct is None


def test_pool_with_an_lp_token_reporting_zero_is_zero_percent_locked() -> None:
    bad = copy.deepcopy(report("useless"))
    bad["markets"][0]["lp"]["lpLockedPct"] = 0
    assert bad["markets"][0]["mintLP"] != "11111111111111111111111111111111"
    assert parse_report(bad, token("useless"), fetched_at=NOW).data.lp_locked_pct == 0.0  # type: ignore[union-attr]


def test_locked_positions_of_a_pool_without_an_lp_mint_still_count() -> None:
    """Raydium CLMM reports locked positions as a non-zero pct beside the default LP mint."""
    r = copy.deepcopy(report("useless"))
    r["markets"][0]["mintLP"] = r["markets"][0]["lp"]["lpMint"] = "11111111111111111111111111111111"
    r["markets"][0]["lp"]["lpLockedPct"] = 64.0
    assert parse_report(r, token("useless"), fetched_at=NOW).data.lp_locked_pct == 64.0  # type: ignore[union-attr]


def test_clean_reports_have_no_risks() -> None:
    for sym in ("useless", "aura", "gor"):
        data = risk(sym)
        assert (data.score, data.risks) == (1, ())
    assert [r.name for r in risk("mumu").risks] == ["Mutable metadata"]


def test_integers_beyond_2_pow_53_decode_exactly() -> None:
    decoded = orjson.loads(raw("rugcheck_report_mumu.json"))
    assert decoded["token"]["supply"] == 2329763775363035731
    spx = orjson.loads(raw("rugcheck_report_spx.json"))
    assert spx["mintAuthority"]["rentEpoch"] == 2**64 - 1


def test_wrong_types_become_none() -> None:
    bad = copy.deepcopy(report("spx"))
    bad["score"] = "high"
    bad["rugged"] = "no"
    bad["risks"] = [{"name": "X", "score": "9"}, {"level": "danger"}, "junk"]
    bad["markets"] = "many"
    bad["token"] = {"mintAuthority": 5}
    data = parse_report(bad, token("spx"), fetched_at=NOW).data
    assert data is not None
    assert data.score is None
    assert data.rugged is None
    assert [(r.name, r.level, r.score) for r in data.risks] == [("X", "unknown", 9)]
    assert data.lp_locked_pct is None
    # 5 is no answer (once it read as "revoked"): the top-level account object says one is set
    assert data.mint_authority == AUTHORITY_UNNAMED
    assert data.missing == {RiskField.FREEZE_AUTHORITY}  # token without it, top level null


def test_report_for_another_mint_or_without_report_keys_is_malformed() -> None:
    with pytest.raises(MalformedResponse, match="got a report for"):
        parse_report(report("spx"), token("gor"), fetched_at=NOW)
    with pytest.raises(MalformedResponse, match="not a token report"):
        parse_report({"message": "ok"}, token("gor"), fetched_at=NOW)


async def rugcheck_app(hits: list[str]) -> web.Application:
    by_mint = {MINTS[s]: raw(f"rugcheck_report_{s}.json") for s in SYMBOLS}

    async def handle(request: web.Request) -> web.Response:
        mint = request.match_info["mint"]
        hits.append(mint)
        if mint in by_mint:
            return web.Response(body=by_mint[mint], content_type="application/json")
        return web.json_response({"error": "not found"}, status=404)

    app = web.Application()
    app.router.add_get("/rc/v1/tokens/{mint}/report", handle)
    return app


async def test_client_fetches_reports_one_request_per_token(serve: Serve) -> None:
    hits: list[str] = []
    base = await serve(await rugcheck_app(hits))
    gate = RecordingGate()
    unknown = TokenRef("solana", "So11111111111111111111111111111111111111112")
    settings = RugCheckSettings(base_url=base + "/rc")
    async with RugCheckClient(settings, gate=gate) as client:
        facets = await client.fetch_risk([token("spx"), unknown, token("trump")])
    assert [f.state for f in facets] == [FacetState.OK, FacetState.ABSENT, FacetState.OK]
    assert facets[0].data is not None
    assert facets[0].data.mint_authority == "BCD75RNBHrJJpW4dXVagL5mPjzRLnVZq4YirJdjEYMV7"
    assert hits == [MINTS["spx"], unknown.address, MINTS["trump"]]
    assert gate.calls == [("report", 1)] * 3


async def test_client_wrong_path_is_not_mistaken_for_unknown_token(serve: Serve) -> None:
    base = await serve(await rugcheck_app([]))
    async with RugCheckClient(RugCheckSettings(base_url=base)) as client:  # missing /rc
        with pytest.raises(MalformedResponse, match="HTTP 404 invalid JSON"):
            await client.fetch_risk([token("spx")])


async def test_client_refuses_evm_tokens_before_sending() -> None:
    async with RugCheckClient(RugCheckSettings(base_url="http://127.0.0.1:9")) as client:
        with pytest.raises(ValueError, match="Solana tokens only"):
            await client.fetch_risk([TokenRef("base", "0x" + "1" * 40)])
        with pytest.raises(ValueError, match="no tokens"):
            await client.fetch_risk([])
