"""Majors that keep authorities by design are not called scams."""

from __future__ import annotations

from tokenradar.domain import CheckState, Decision, FacetKind, TokenRef
from tokenradar.scoring.allowlist import effective_allowlist
from tokenradar.scoring.policy import ScoringSettings

from .builders import AUTHORITY, TOKEN, USDT, facets, risk_item
from .helpers import check, score

# USDT as the chain and RugCheck see it: both authorities kept, RugCheck flags both
USDT_AS_SEEN = {
    "mint": {"mint_authority": AUTHORITY, "freeze_authority": AUTHORITY},
    "risk": {
        "mint_authority": AUTHORITY,
        "freeze_authority": AUTHORITY,
        "lp_locked_pct": 0.0,
        "risks": (
            risk_item("Mint Authority still enabled"),
            risk_item("Freeze Authority still enabled"),
            risk_item("Large Amount of LP Unlocked"),
        ),
    },
    "holders": {"top1_share": 0.4, "top10_share": 0.8},  # exchanges and the treasury
}


def test_usdt_keeps_its_authorities_and_still_scores_as_a_major() -> None:
    s = score(facets(USDT, **USDT_AS_SEEN), token=USDT)
    for name in ("mint_authority", "freeze_authority", "top1_holder", "lp_locked"):
        c = check(s, name)
        assert c.state is CheckState.PASS
        assert c.reason == "allowlisted major (USDT): passes by design"
    assert s.decision is Decision.BUY_CANDIDATE
    assert s.score is not None
    assert s.score > 90


def test_the_same_facts_on_an_unknown_token_are_avoided() -> None:
    s = score(facets(TOKEN, **USDT_AS_SEEN))
    assert check(s, "mint_authority").state is CheckState.FAIL
    assert s.decision is Decision.AVOID


def test_allowlist_does_not_excuse_a_rug() -> None:
    s = score(facets(USDT, risk={"rugged": True}), token=USDT)
    assert s.decision is Decision.AVOID


def test_allowlist_is_extendable_in_settings_and_builtins_can_be_dropped() -> None:
    extended = ScoringSettings.model_validate({"allowlist": {TOKEN.address: "Our token"}})
    s = score(facets(TOKEN, **USDT_AS_SEEN), extended)
    assert check(s, "mint_authority").reason == "allowlisted major (Our token): passes by design"
    assert effective_allowlist(extended)[f"solana:{USDT.address}"] == "USDT"

    bare = ScoringSettings(builtin_allowlist=False)
    s = score(facets(USDT, **USDT_AS_SEEN), bare, token=USDT)
    assert s.decision is Decision.AVOID


def test_allowlist_entries_accept_chain_prefixes_and_normalise_evm_case() -> None:
    evm = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
    s = ScoringSettings.model_validate({"allowlist": {f"ethereum:{evm}": "USDC (eth)"}})
    assert str(TokenRef("ethereum", evm)) in effective_allowlist(s)


def test_allowlisted_checks_keep_their_source_facet_age() -> None:
    s = score(facets(USDT, **USDT_AS_SEEN), token=USDT)
    c = check(s, "mint_authority")
    assert (c.source, c.age_s) == (FacetKind.MINT, 10.0)


def test_allowlist_exempt_decides_which_checks_a_major_is_excused_from() -> None:
    narrow = ScoringSettings(allowlist_exempt=("freeze_authority",))
    s = score(facets(USDT, **USDT_AS_SEEN), narrow, token=USDT)
    assert check(s, "freeze_authority").state is CheckState.PASS
    assert check(s, "mint_authority").state is CheckState.FAIL
    assert s.decision is Decision.AVOID
    wide = ScoringSettings(allowlist_exempt=(*narrow.allowlist_exempt, "socials"))
    s = score(facets(USDT, market={"websites": (), "socials": ()}), wide, token=USDT)
    assert check(s, "socials").reason == "allowlisted major (USDT): passes by design"
