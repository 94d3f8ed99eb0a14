"""The ``[discovery]`` settings: where new tokens come from, and how hard to look.

Three kinds of source (each can be turned off):

- ``logs``: one ``logsSubscribe`` WebSocket subscription per program id in
  ``programs`` (pump.fun by default), kept alive with pings (a connection
  silent for ``silence_timeout`` is replaced), reconnected with a doubling
  backoff from ``reconnect_initial`` to ``reconnect_max``;
- ``backfill``: after every reconnect, what the subscription missed, found with
  ``getSignaturesForAddress`` (at most ``backfill_max_pages`` pages of
  ``backfill_page_size``) and read with ``getTransaction`` (at most
  ``backfill_max_signatures`` per program and reconnect);
- ``profiles`` / ``boosts``: DexScreener's latest token profiles and boosts,
  polled every ``profiles_interval`` / ``boosts_interval`` within the feeds'
  budget (``providers.dexscreener.feed_rate``, 60/min on the public API).

Program ids are given as a TOML array, or in ``TOKENRADAR_DISCOVERY__PROGRAMS``
as a JSON array or a comma-separated list.
"""

from __future__ import annotations

from typing import Annotated, Final

import orjson
from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_settings import NoDecode

from tokenradar.domain import is_solana_address
from tokenradar.settings.providers import UnsatisfiableSetting
from tokenradar.settings.values import Duration, Flag, Section

#: pump.fun's program (the settings layer imports nothing of ``providers``)
PUMPFUN_PROGRAM_ID: Final = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
#: real logs notifications run to tens of KiB; a frame this large is no notification
DEFAULT_MAX_MESSAGE_SIZE: Final = 16 * 1024 * 1024


def _program_list(value: object) -> object:
    """A TOML array as is; an environment string as a JSON array or ``a,b,c``."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"expected a JSON array of program ids, got {value!r}") from exc
    return [part.strip() for part in text.split(",") if part.strip()]


ProgramIds = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_program_list)]


class DiscoverySettings(Section):
    #: run discovery at all (``tokenradar serve``)
    enabled: Flag = True
    #: pool-creation programs to subscribe to (pump.fun; Raydium, PumpSwap, Meteora, Orca known)
    programs: ProgramIds = (PUMPFUN_PROGRAM_ID,)
    #: the ``logsSubscribe`` listener, one subscription per program
    logs: Flag = True
    #: after every reconnect, recover what the subscription missed
    backfill: Flag = True
    backfill_page_size: int = Field(default=100, ge=1, le=1000)
    backfill_max_pages: int = Field(default=5, ge=1, le=100)
    #: ``getTransaction`` calls per program and reconnect, at most
    backfill_max_signatures: int = Field(default=200, ge=1, le=10_000)
    #: send a WebSocket ping this often ...
    ping_interval: Duration = 10.0
    #: ... and replace a connection that sent nothing (not even a pong) for this long
    silence_timeout: Duration = 30.0
    reconnect_initial: Duration = 0.5
    reconnect_max: Duration = 30.0
    #: largest WebSocket frame accepted, bytes
    max_message_size: int = Field(default=DEFAULT_MAX_MESSAGE_SIZE, ge=64 * 1024, le=256 * 1024**2)
    #: transactions waiting for ``getTransaction`` (backfill, undecodable creates), at most
    resolve_queue: int = Field(default=1000, ge=1, le=100_000)
    profiles: Flag = True
    profiles_interval: Duration = 5.0
    boosts: Flag = True
    boosts_interval: Duration = 10.0
    #: recent signatures and tokens remembered to drop duplicates (each)
    dedup_size: int = Field(default=50_000, ge=100, le=10_000_000)

    @field_validator("programs")
    @classmethod
    def _addresses(cls, programs: tuple[str, ...]) -> tuple[str, ...]:
        bad = [p for p in programs if not is_solana_address(p)]
        if bad:
            raise ValueError(f"expected base-58 Solana program ids, got {bad[0]!r}")
        if len(set(programs)) != len(programs):
            raise ValueError("a program id is listed twice")
        return programs

    @model_validator(mode="after")
    def _consistent(self) -> DiscoverySettings:
        if self.logs and not self.programs:
            raise UnsatisfiableSetting(
                "programs", "no program to subscribe to; list one or set logs = false"
            )
        if self.silence_timeout <= self.ping_interval:
            raise UnsatisfiableSetting(
                "silence_timeout",
                f"{self.silence_timeout:g}s must be longer than ping_interval "
                f"({self.ping_interval:g}s), or a quiet healthy connection looks dead",
            )
        if self.reconnect_initial > self.reconnect_max:
            raise UnsatisfiableSetting(
                "reconnect_initial",
                f"{self.reconnect_initial:g}s is longer than reconnect_max "
                f"({self.reconnect_max:g}s)",
            )
        return self
