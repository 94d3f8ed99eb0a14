"""Pool-creation programs: how a creation looks in a transaction's logs, and what it creates.

The listener subscribes to each configured program's logs. A notification is a
*creation candidate* when one of its log lines is the program's creation marker
(Anchor programs log ``Program log: Instruction: <Name>``; Raydium AMM v4 logs
``initialize2: InitializeInstruction2 {...}``). Only pump.fun's CreateEvent is
decoded from the logs themselves (``decodes``): the mint, name and symbol come
with the notification. For every other program the logs do not carry the mint,
so a candidate is resolved with ``getTransaction`` (see
:mod:`tokenradar.discovery.transactions`):

- a **launchpad** (pump.fun) mints the new token in the creating transaction:
  the mint is the one its ``initializeMint`` instruction creates;
- a **pool** program (Raydium, PumpSwap, Meteora, Orca) pairs existing mints:
  the new token is the one mint of the pool's token balances that is neither a
  quote (SOL, USDC, USDT) nor minted in the transaction (an LP mint).

Markers are matched on whole log lines (or a line's start, for Raydium v4) of
any program in the transaction, so a creation by another program that logs the
same text is a false candidate: its resolution finds no new token and is
skipped. A program id with no entry here is refused at start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from tokenradar.errors import ConfigError
from tokenradar.providers.pumpfun import CREATE_INSTRUCTION_LOG, PUMPFUN_PROGRAM_ID

Kind = Literal["launchpad", "pool"]


@dataclass(frozen=True, slots=True)
class PoolProgram:
    program_id: str
    name: str
    kind: Kind
    #: log lines that mark a creation (whole line)
    markers: frozenset[str] = frozenset()
    #: ... or the start of such a line
    prefixes: tuple[str, ...] = ()
    #: its creation event (pump.fun's CreateEvent) is decoded from the logs
    decodes: bool = False

    def is_creation(self, logs: Iterable[str]) -> bool:
        return any(line in self.markers or line.startswith(self.prefixes) for line in logs)


def _anchor(*names: str) -> frozenset[str]:
    return frozenset(f"Program log: Instruction: {n}" for n in names)


PUMPFUN: Final = PoolProgram(
    PUMPFUN_PROGRAM_ID,
    "pump.fun",
    "launchpad",
    markers=frozenset({CREATE_INSTRUCTION_LOG}),
    decodes=True,
)

KNOWN_PROGRAMS: Final[Mapping[str, PoolProgram]] = {
    p.program_id: p
    for p in (
        PUMPFUN,
        PoolProgram(
            "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8",
            "raydium-amm-v4",
            "pool",
            prefixes=("Program log: initialize2: ",),
        ),
        PoolProgram(
            "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C",
            "raydium-cpmm",
            "pool",
            markers=_anchor("Initialize"),
        ),
        PoolProgram(
            "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA",
            "pumpswap",
            "pool",
            markers=_anchor("CreatePool"),
        ),
        PoolProgram(
            "LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo",
            "meteora-dlmm",
            "pool",
            markers=_anchor(
                "InitializeLbPair",
                "InitializeLbPair2",
                "InitializePermissionLbPair",
                "InitializeCustomizablePermissionlessLbPair",
                "InitializeCustomizablePermissionlessLbPair2",
            ),
        ),
        PoolProgram(
            "whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc",
            "orca-whirlpool",
            "pool",
            markers=_anchor("InitializePool", "InitializePoolV2"),
        ),
    )
}


def resolve_programs(
    ids: Iterable[str], extra: Mapping[str, PoolProgram] | None = None
) -> list[PoolProgram]:
    """The specs of the configured program ids; ConfigError names an unknown one."""
    table = {**KNOWN_PROGRAMS, **(extra or {})}
    out = []
    for program_id in ids:
        spec = table.get(program_id)
        if spec is None:
            known = ", ".join(f"{p.name} {p.program_id}" for p in KNOWN_PROGRAMS.values())
            raise ConfigError(
                "discovery.programs",
                f"no creation pattern is known for {program_id}; known: {known}",
            )
        out.append(spec)
    return out
