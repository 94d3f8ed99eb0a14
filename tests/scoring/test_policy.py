"""The [scoring] settings: defaults, partial overrides and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenradar.errors import ConfigError
from tokenradar.scoring.allowlist import effective_allowlist
from tokenradar.scoring.policy import CHECK_NAMES, UnknownPolicy
from tokenradar.settings import Settings, load_settings


def _load(tmp_path: Path, toml: str) -> Settings:
    path = tmp_path / "tokenradar.toml"
    path.write_text(toml, encoding="utf-8")
    return load_settings(path)


def test_every_check_has_a_policy_section_with_the_shared_keys() -> None:
    checks = load_settings().scoring.checks
    for name in CHECK_NAMES:
        policy = checks.get(name)
        assert policy.weight >= 0
        assert policy.unknown is UnknownPolicy.NEUTRAL  # fail-open by default


def test_a_partial_check_section_keeps_that_checks_own_defaults(tmp_path: Path) -> None:
    settings = _load(tmp_path, "[scoring.checks.liquidity_pulled]\nbelow_usd = 500\n")
    pulled = settings.scoring.checks.liquidity_pulled
    assert (pulled.below_usd, pulled.weight, pulled.gate) == (500.0, 10.0, True)


def test_environment_overrides_a_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENRADAR_SCORING__CHECKS__TOP10_HOLDERS__MAX_SHARE", "0.6")
    assert load_settings().scoring.checks.top10_holders.max_share == 0.6


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[scoring.checks.liquidty_floor]\nmin_usd = 1\n", "scoring.checks.liquidty_floor"),
        (
            "[scoring.checks.liquidity_floor]\nmin_dollars = 1\n",
            "scoring.checks.liquidity_floor.min_dollars",
        ),
        ("[scoring.checks.mint_authority]\nweight = -1\n", "scoring.checks.mint_authority.weight"),
        (
            "[scoring.checks.mint_authority]\nunknown = 'maybe'\n",
            "scoring.checks.mint_authority.unknown",
        ),
        ("[scoring.checks.top1_holder]\nmax_share = 20\n", "scoring.checks.top1_holder.max_share"),
        ("[scoring.decision]\nbuy_min_score = 150\n", "scoring.decision.buy_min_score"),
        ("[scoring]\nallowlist_exempt = ['mint']\n", "scoring.allowlist_exempt"),
        ("[scoring.decision]\nbuy_requires = ['liquidity']\n", "scoring.decision.buy_requires"),
        ("[scoring.allowlist]\nnot-an-address = 'X'\n", "scoring.allowlist"),
        ("[scoring]\nsafety_weight = 0\nmomentum_weight = 0\n", "scoring"),
        (
            "[scoring.checks.buy_sell_balance]\nmin_buy_ratio = 0.9\nmax_buy_ratio = 0.5\n",
            "scoring.checks.buy_sell_balance",
        ),
    ],
)
def test_bad_scoring_settings_are_rejected_naming_the_key(
    tmp_path: Path, toml: str, key: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, toml)
    assert info.value.key == key


def test_bad_allowlist_entry_is_named_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not-an-address"):
        _load(tmp_path, "[scoring.allowlist]\nnot-an-address = 'X'\n")


def test_the_configuration_example_in_the_docs_loads(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "scoring.md").read_text(encoding="utf-8")
    section = doc.split("## Configuration", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    settings = _load(tmp_path, example)
    assert settings.scoring.checks.liquidity_floor.min_usd == 25000
    assert settings.scoring.checks.mint_authority.unknown is UnknownPolicy.FAIL
    assert "solana:7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr" in (
        effective_allowlist(settings.scoring)
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[scoring.checks.liquidty_floor]\nmin_usd = 1\n", "unknown key"),
        ("[scoring.checks.mint_authority]\nweight = -1\n", "greater than or equal to 0"),
        ("[scoring.allowlist]\nxyz = 'X'\n", "allowlist entry 'xyz'"),
    ],
)
def test_error_messages_quoted_in_the_docs(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, toml)
