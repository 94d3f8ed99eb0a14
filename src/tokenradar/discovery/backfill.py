"""What a subscription missed while it was down, from the RPC over HTTP.

After a reconnect the listener asks, per program, for the signatures newer
than the last one it had accounted for (``until``, exclusive), newest first,
page by page (``before`` = the oldest signature of the previous page)::

    getSignaturesForAddress(program, {limit, until, before, commitment: "confirmed"})

and stops at the first short page, or at its bounds: ``max_pages`` pages, or
``max_signatures`` signatures worth reading. A bounded backfill that stops
early is *truncated*: the oldest missed transactions stay unread (and are
counted), because a long outage on a busy program could otherwise cost
thousands of calls of a 40-per-10-seconds budget. Failed transactions and
signatures already seen are skipped without a call; the rest are read with
``getTransaction`` by the listener's resolver.

``commitment: "confirmed"`` matters: both methods default to ``finalized``,
which hides the newest ~13 seconds, exactly what was just missed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tokenradar.discovery.transactions import SignatureInfo, parse_signatures
from tokenradar.providers.solana_rpc import SolanaRpcClient

_CONFIRMED = "confirmed"


class ChainReader:
    """The two JSON-RPC calls of the backfill, through the RPC client's gate."""

    def __init__(self, client: SolanaRpcClient) -> None:
        self.client = client

    async def signatures(
        self,
        address: str,
        *,
        limit: int,
        until: str | None = None,
        before: str | None = None,
    ) -> list[SignatureInfo]:
        config: dict[str, object] = {"limit": limit, "commitment": _CONFIRMED}
        if until is not None:
            config["until"] = until
        if before is not None:
            config["before"] = before
        result = await self.client.call("getSignaturesForAddress", [address, config])
        return parse_signatures(result)

    async def transaction(self, signature: str) -> object:
        """The jsonParsed transaction, or None when the node does not have it."""
        config = {
            "encoding": "jsonParsed",
            "maxSupportedTransactionVersion": 0,
            "commitment": _CONFIRMED,
        }
        return await self.client.call("getTransaction", [signature, config])


@dataclass(frozen=True, slots=True)
class Missed:
    #: to read, newest first (not failed, not seen)
    signatures: list[SignatureInfo]
    #: the newest signature the node listed, if any: the next ``until``
    newest: str | None
    pages: int
    #: stopped at a bound before reaching ``until``
    truncated: bool


async def missed_signatures(
    reader: ChainReader,
    program: str,
    *,
    until: str | None,
    seen: Callable[[str], bool],
    page_size: int,
    max_pages: int,
    max_signatures: int,
) -> Missed:
    """The signatures of ``program`` newer than ``until`` worth reading, within the bounds."""
    wanted: list[SignatureInfo] = []
    newest: str | None = None
    before: str | None = None
    pages = 0
    while True:
        page = await reader.signatures(program, limit=page_size, until=until, before=before)
        pages += 1
        if newest is None and page:
            newest = page[0].signature
        for info in page:
            if info.failed or seen(info.signature):
                continue
            if len(wanted) >= max_signatures:
                return Missed(wanted, newest, pages, truncated=True)
            wanted.append(info)
        if len(page) < page_size:
            return Missed(wanted, newest, pages, truncated=False)  # reached `until`
        if pages >= max_pages:
            return Missed(wanted, newest, pages, truncated=True)
        before = page[-1].signature
