"""Which sources a configuration runs, and a Discovery's life cycle."""

from __future__ import annotations

import pytest

from tokenradar.discovery import BOOSTS, PROFILES, Discovery, DiscoveryNotOpen
from tokenradar.providers.pumpfun import PUMPFUN_PROGRAM_ID
from tokenradar.settings import Settings

LOGS = f"logs:{PUMPFUN_PROGRAM_ID}"
RAYDIUM_V4 = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"


@pytest.mark.parametrize(
    ("values", "sources"),
    [
        ({}, [LOGS, PROFILES, BOOSTS]),
        ({"discovery": {"enabled": False}}, []),
        ({"discovery": {"boosts": False, "logs": False}}, [PROFILES]),
        (
            {"discovery": {"programs": [PUMPFUN_PROGRAM_ID, RAYDIUM_V4]}},
            [LOGS, f"logs:{RAYDIUM_V4}", PROFILES, BOOSTS],
        ),
        ({"providers": {"dexscreener": {"enabled": False}}}, [LOGS]),
        ({"providers": {"solana_rpc": {"enabled": False}}}, [PROFILES, BOOSTS]),
    ],
)
def test_the_configuration_decides_which_sources_run(
    values: dict[str, object], sources: list[str]
) -> None:
    found = Discovery(Settings.model_validate(values), on_new=lambda _e: None)
    assert found.sources == sources
    assert list(found.stats()) == sources


async def test_a_discovery_with_nothing_to_run_opens_and_closes() -> None:
    found = Discovery(Settings.model_validate({"discovery": {"enabled": False}}), on_new=print)
    with pytest.raises(DiscoveryNotOpen):
        found.parts()
    async with found:
        assert found.parts() == []
    with pytest.raises(DiscoveryNotOpen):
        found.parts()
