"""``/api/v1/scans``: start a bulk scan (202 at once), read it, follow its progress."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from tokenradar.api.auth import Caller
from tokenradar.api.errors import ApiError, FieldError, responses
from tokenradar.api.events import event_data
from tokenradar.api.scans import TooManyScans
from tokenradar.api.schemas import ScanAccepted, ScanLinks, ScanRequest, ScanView
from tokenradar.api.sse import SSEResponse, event_stream, frame
from tokenradar.api.state import admin, reader, state_of
from tokenradar.domain import TokenRef
from tokenradar.errors import InvalidAddress
from tokenradar.events import AnyEvent
from tokenradar.service.topics import ScanFinished, ScanProgress

router = APIRouter(prefix="/api/v1/scans", tags=["scans"])

SSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "text/event-stream of `scan.progress` and a final `scan.finished`",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def parse_tokens(texts: list[str]) -> list[TokenRef]:
    """Every token, or 422 listing each invalid one by position (nothing goes upstream)."""
    out, bad = [], []
    for i, text in enumerate(texts):
        try:
            out.append(TokenRef.parse(text))
        except InvalidAddress as exc:
            bad.append(FieldError(field=f"body.tokens.{i}", reason=str(exc)))
    if bad:
        raise ApiError(
            422, f"{len(bad)} invalid token address(es); nothing was scanned", fields=bad
        )
    return out


@router.post(
    "",
    status_code=202,
    response_model=ScanAccepted,
    responses=responses(401, 403, 413, 422, 429, 503),
    summary="Start a scan of up to 1,000 tokens",
)
async def start_scan(
    request: Request, body: ScanRequest, _: Annotated[Caller, Depends(admin)], response: Response
) -> ScanAccepted:
    st = state_of(request)
    tokens = parse_tokens(body.tokens)
    radar = st.backend.radar
    kinds = None
    if body.facets is not None:
        unknown = [k for k in body.facets if k not in radar.kinds]
        if unknown:
            have = ", ".join(k.value for k in radar.kinds)
            fields = [
                FieldError(
                    field=f"body.facets.{body.facets.index(k)}", reason=f"not served: {have}"
                )
                for k in unknown
            ]
            raise ApiError(422, f"facets not served here (served: {have})", fields=fields)
        kinds = list(dict.fromkeys(body.facets))
    try:
        entry = await st.scans.start(
            radar, tokens, kinds, max_time=body.max_time, max_age=body.max_age
        )
    except TooManyScans as exc:
        raise ApiError(429, str(exc), headers={"Retry-After": "5"}) from exc
    sid = entry.scan.id
    response.headers["Location"] = f"/api/v1/scans/{sid}"
    return ScanAccepted(
        id=sid,
        status=entry.status,
        tokens=len(dict.fromkeys(tokens)),
        facets=list(entry.scan.kinds),
        links=ScanLinks(self=f"/api/v1/scans/{sid}", events=f"/api/v1/scans/{sid}/events"),
    )


@router.get(
    "/{scan_id}",
    response_model=ScanView,
    responses=responses(401, 403, 404, 422, 429, 503),
    summary="A scan's status, counts, errors and timings",
)
async def get_scan(
    request: Request, scan_id: str, _: Annotated[Caller, Depends(reader)]
) -> ScanView:
    st = state_of(request)
    entry = st.scans.get(scan_id)
    if entry is None:
        raise ApiError(404, f"no API scan {scan_id!r} (running or among the last kept)")
    return entry.view(st.clock.now())


@router.get(
    "/{scan_id}/events",
    response_class=Response,
    responses={**SSE_DOC, **responses(401, 403, 404, 422, 429, 503)},
    summary="Server-sent progress of a scan",
)
async def scan_events(request: Request, scan_id: str, _: Annotated[Caller, Depends(reader)]) -> Any:
    st = state_of(request)
    entry = st.scans.get(scan_id)
    if entry is None:
        raise ApiError(404, f"no API scan {scan_id!r} (running or among the last kept)")
    radar = st.backend.radar

    def mine(e: AnyEvent) -> bool:
        return isinstance(e.payload, ScanProgress | ScanFinished) and e.payload.scan_id == scan_id

    # subscribe before looking at the state: a finish in between is then not missed
    sub = radar.subscribe(
        "scan.*", filter=mine, maxsize=st.settings.api.stream_queue, overflow="disconnect",
        name=f"api-scan-{scan_id}",
    )  # fmt: skip
    if entry.finished.is_set():
        view = entry.view(st.clock.now())

        async def done() -> Any:
            yield frame("scan.finished", view.model_dump(mode="json"))

        return SSEResponse(done(), sub, st.streams)
    body = event_stream(
        sub, (), render=event_data, keepalive=st.settings.api.stream_keepalive,
        closing=st.closing, until=lambda e: e.topic == "scan.finished",
    )  # fmt: skip
    return SSEResponse(body, sub, st.streams)
