from __future__ import annotations

import pytest
from pydantic import ValidationError

from tokenradar.domain import FacetKind, Tier, TokenRef, absent_facet, error_facet
from tokenradar.flow.config import TiersSettings, parse_duration
from tokenradar.flow.tiers import freshness_target, next_due

T = TokenRef("solana", "So11111111111111111111111111111111111111112")


def test_defaults_follow_the_design_brief() -> None:
    tiers = TiersSettings()
    assert [tiers.market.target(t) for t in Tier] == [15, 120, 600]
    assert tiers.risk.warm == 1800
    assert tiers.mint.warm == 3600


def test_durations_take_numbers_and_units() -> None:
    assert parse_duration(15) == 15
    assert parse_duration("500ms") == 0.5
    assert parse_duration("2m") == 120
    assert parse_duration(" 1h ") == 3600
    for bad in ("soon", "-5s", 0, True, "5 parsecs"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)


def test_a_bad_tier_key_is_named() -> None:
    with pytest.raises(ValidationError, match="market"):
        TiersSettings.model_validate({"market": {"hot": "1m", "warm": "30s", "cold": "1h"}})
    with pytest.raises(ValidationError, match="extra"):
        TiersSettings.model_validate({"market": {"hot": "1m", "warm": "2m", "cold": "1h", "x": 1}})


def test_settings_read_the_tiers_section(tmp_path: object) -> None:
    from pathlib import Path

    from tokenradar.errors import ConfigError
    from tokenradar.settings import load_settings

    path = Path(str(tmp_path)) / "t.toml"
    path.write_text('[tiers.market]\nhot = "5s"\nwarm = "1m"\ncold = "5m"\n')
    assert load_settings(path).tiers.market.hot == 5
    path.write_text('[tiers.market]\nhot = "fast"\nwarm = "1m"\ncold = "5m"\n')
    with pytest.raises(ConfigError, match=r"tiers\.market\.hot"):
        load_settings(path)


def test_young_tokens_are_refreshed_at_least_every_after_launch() -> None:
    tiers = TiersSettings()
    assert freshness_target(tiers, FacetKind.MINT, Tier.COLD, launched_at=1000.0, now=1100.0) == 180
    assert freshness_target(tiers, FacetKind.MINT, Tier.COLD, launched_at=0.0, now=9000.0) == 21600
    assert freshness_target(tiers, FacetKind.MARKET, Tier.HOT, launched_at=1000.0, now=1100.0) == 15


def test_an_errored_refresh_comes_back_soon_not_after_a_full_target() -> None:
    tiers = TiersSettings()
    ok = absent_facet(T, FacetKind.RISK, fetched_at=100.0, source="rugcheck")
    err = error_facet(
        T, FacetKind.RISK, fetched_at=100.0, source="rugcheck", error_kind="timeout", message="t"
    )
    assert next_due(tiers, ok, Tier.COLD) == 100.0 + 7200
    assert next_due(tiers, err, Tier.COLD) == 100.0 + 60


def test_a_partial_facet_table_keeps_the_other_defaults() -> None:
    tiers = TiersSettings.model_validate({"holders": {"cold": "12h"}, "error_retry": "5s"})
    assert (tiers.holders.hot, tiers.holders.warm, tiers.holders.cold) == (600, 3600, 43200)
    assert tiers.holders.after_launch == 300
    assert tiers.error_retry == 5
    with pytest.raises(ValidationError, match="hot <= warm <= cold"):
        TiersSettings.model_validate({"market": {"hot": "5m"}})


def test_a_refresh_is_due_early_by_the_lead_but_never_more_than_a_fifth_of_the_target() -> None:
    from tokenradar.domain import FacetKind, Tier, TokenRef, absent_facet
    from tokenradar.flow.config import TiersSettings
    from tokenradar.flow.tiers import next_due

    tiers = TiersSettings()
    f = absent_facet(
        TokenRef.parse("So11111111111111111111111111111111111111112"),
        FacetKind.PRICE,
        fetched_at=1000.0,
        source="t",
    )
    assert next_due(tiers, f, Tier.HOT) == 1015.0
    assert next_due(tiers, f, Tier.HOT, lead=2.5) == 1012.5  # one Jupiter request + RTT
    assert next_due(tiers, f, Tier.HOT, lead=60.0) == 1012.0  # capped at target / 5
