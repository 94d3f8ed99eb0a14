"""The default lane plans: which lanes fill batches, and with what."""

from __future__ import annotations

from tokenradar.domain import FacetKind
from tokenradar.flow.plans import default_plans
from tokenradar.settings import HOLDERS_MAX_BATCH, Settings


def test_only_lanes_whose_batches_are_free_fill_them_and_only_within_a_horizon() -> None:
    plans = default_plans(Settings())
    holders = plans[FacetKind.HOLDERS].spec
    assert holders.cost_per_token
    assert holders.fill_horizon == 0.0  # one call per token: never pay for tokens not due
    assert holders.max_batch == HOLDERS_MAX_BATCH
    for kind in (FacetKind.MARKET, FacetKind.MINT, FacetKind.PRICE):
        spec = plans[kind].spec
        assert not spec.cost_per_token
        assert spec.fill_horizon == 120.0  # bounded, not "any token at all"


def test_disabled_providers_get_no_plan() -> None:
    settings = Settings.model_validate({"providers": {"rugcheck": {"enabled": False}}})
    assert FacetKind.RISK not in default_plans(settings)
    assert set(default_plans(settings, [FacetKind.MARKET])) == {FacetKind.MARKET}


def test_the_fill_horizon_is_a_provider_setting() -> None:
    settings = Settings.model_validate(
        {
            "providers": {
                "dexscreener": {"fill_horizon": "30s"},
                "solana_rpc": {"fill_horizon": "5m"},
            }
        }
    )
    plans = default_plans(settings)
    assert plans[FacetKind.MARKET].spec.fill_horizon == 30.0
    assert plans[FacetKind.MINT].spec.fill_horizon == 300.0
    assert plans[FacetKind.HOLDERS].spec.fill_horizon == 0.0  # pays per token: never fills
