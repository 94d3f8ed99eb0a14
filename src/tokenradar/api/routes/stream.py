"""``/api/v1/stream``: live token, pool and alert events as server-sent events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from tokenradar.api.auth import Caller
from tokenradar.api.errors import ApiError, FieldError, responses
from tokenradar.api.events import STREAM_TOPICS, event_data
from tokenradar.api.sse import SSEResponse, event_stream
from tokenradar.api.state import reader, state_of
from tokenradar.errors import InvalidInput
from tokenradar.events import AnyEvent
from tokenradar.events.topics import topic_matches

router = APIRouter(prefix="/api/v1", tags=["stream"])


def _allowed(topic: str) -> bool:
    if topic in STREAM_TOPICS:
        return True
    try:
        return any(topic_matches(p, topic) for p in STREAM_TOPICS)
    except InvalidInput:  # a pattern other than ours, or not a topic at all
        return False


def _patterns(topics: str | None) -> tuple[str, ...]:
    if topics is None or not topics.strip():
        return STREAM_TOPICS
    wanted = tuple(t.strip() for t in topics.split(",") if t.strip())
    bad = [t for t in wanted if not _allowed(t)]
    if bad:
        reason = f"not a stream topic: {', '.join(bad)} (topics: {', '.join(STREAM_TOPICS)})"
        raise ApiError(422, reason, fields=[FieldError(field="query.topics", reason=reason)])
    return wanted


@router.get(
    "/stream",
    response_class=Response,
    responses={
        200: {
            "description": "text/event-stream; each `id:` is the bus event id (resume with "
            "Last-Event-ID); a client that falls behind gets `event: lost` and is disconnected",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **responses(401, 403, 422, 429, 503),
    },
    summary="Live events: token.scored, token.tier_changed, token.decision_changed, "
    "pool.created, alert.*",
)
async def stream(
    request: Request,
    _: Annotated[Caller, Depends(reader)],
    topics: Annotated[
        str | None,
        Query(description="comma-separated topics or patterns, e.g. token.tier_changed,alert.*"),
    ] = None,
    last_event_id: Annotated[
        int | None, Header(alias="Last-Event-ID", ge=0, description="resume after this id")
    ] = None,
) -> Any:
    st = state_of(request)
    patterns = _patterns(topics)
    radar = st.backend.radar

    def wanted(e: AnyEvent) -> bool:
        return any(topic_matches(p, e.topic) for p in patterns)

    sub = radar.subscribe(
        "*", filter=wanted, maxsize=st.settings.api.stream_queue, overflow="disconnect",
        name="api-stream",
    )  # fmt: skip
    backlog: tuple[AnyEvent, ...] = ()
    headers: dict[str, str] = {}
    if last_event_id is not None:
        replay = radar.replay("*", last_event_id)
        backlog = tuple(e for e in replay.events if wanted(e))
        if not replay.complete:
            headers["X-Replay-Incomplete"] = "true"  # some events after that id are gone
    body = event_stream(
        sub, backlog, render=event_data, keepalive=st.settings.api.stream_keepalive,
        closing=st.closing,
    )  # fmt: skip
    return SSEResponse(body, sub, st.streams, headers)
