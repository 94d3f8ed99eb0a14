"""``/api/v1/watchlist``: the tokens kept fresh; edits go to the watchlist file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from tokenradar.api.auth import Caller
from tokenradar.api.errors import ApiError, responses
from tokenradar.api.routes.scans import parse_tokens
from tokenradar.api.schemas import WatchEdit, WatchEntry, Watchlist
from tokenradar.api.state import admin, reader, state_of
from tokenradar.domain import Tier, TokenRef
from tokenradar.errors import InvalidInput

router = APIRouter(prefix="/api/v1/watchlist", tags=["watchlist"])


def _view(entries: dict[TokenRef, Tier], not_found: list[TokenRef] | None = None) -> Watchlist:
    return Watchlist(
        entries=[
            WatchEntry(token=str(t), tier=tier)
            for t, tier in sorted(entries.items(), key=lambda kv: str(kv[0]))
        ],
        not_found=[str(t) for t in not_found or ()],
    )


@router.get(
    "", response_model=Watchlist, responses=responses(401, 403, 409, 429, 503),
    summary="The watchlist file's entries",
)  # fmt: skip
async def get_watchlist(request: Request, _: Annotated[Caller, Depends(reader)]) -> Watchlist:
    backend = state_of(request).backend
    try:
        return _view(backend.watchlist_file())
    except InvalidInput as exc:
        raise ApiError(409, f"the watchlist file is invalid: {exc}") from exc


@router.post(
    "", response_model=Watchlist, responses=responses(401, 403, 409, 413, 422, 429, 503),
    summary="Add tokens (with a floor tier) to the watchlist",
)  # fmt: skip
async def add(request: Request, body: WatchEdit, _: Annotated[Caller, Depends(admin)]) -> Watchlist:
    tokens = parse_tokens(body.tokens)
    backend = state_of(request).backend
    try:
        return _view(backend.watch_add(tokens, body.tier))
    except InvalidInput as exc:
        raise ApiError(409, f"the watchlist file is invalid, not edited: {exc}") from exc


@router.delete(
    "", response_model=Watchlist, responses=responses(401, 403, 409, 413, 422, 429, 503),
    summary="Remove tokens from the watchlist",
)  # fmt: skip
async def remove(
    request: Request, body: WatchEdit, _: Annotated[Caller, Depends(admin)]
) -> Watchlist:
    tokens = parse_tokens(body.tokens)
    backend = state_of(request).backend
    try:
        entries, missing = backend.watch_remove(tokens)
    except InvalidInput as exc:
        raise ApiError(409, f"the watchlist file is invalid, not edited: {exc}") from exc
    return _view(entries, missing)
