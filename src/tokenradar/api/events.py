"""Bus events as the JSON an SSE client reads (one model per payload type)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from tokenradar.alerts.model import Alert
from tokenradar.events import AnyEvent
from tokenradar.service.results import ScoreView, score_view
from tokenradar.service.topics import (
    DecisionChanged,
    PoolCreated,
    ScanFinished,
    ScanProgress,
    TierChanged,
    TokenScored,
)

#: the topics GET /api/v1/stream may carry (patterns a ``topics`` filter may name)
STREAM_TOPICS = (
    "token.scored",
    "token.tier_changed",
    "token.decision_changed",
    "pool.created",
    "alert.*",
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScoredData(_Model):
    token: str
    scored_at: float
    watched: bool
    score: ScoreView


class ChangedData(_Model):
    token: str
    old: str | None  # null: its first score
    new: str
    watched: bool
    score: float | None
    scored_at: float


class PoolData(_Model):
    token: str
    source: str
    detected_at: float
    created_at: float | None
    signature: str | None
    symbol: str | None
    name: str | None


class AlertData(_Model):
    rule: str
    level: str
    message: str
    subject: str
    dedup_key: str
    fired_at: float
    event_id: int  # the bus event it came from


class ScanProgressData(_Model):
    scan_id: str
    done: int
    total: int


class ScanFinishedData(_Model):
    scan_id: str
    tokens: int
    complete: int
    partial: int
    failed: int
    elapsed_s: float
    storage_error: str | None


def event_data(event: AnyEvent) -> dict[str, Any]:
    """The JSON object of ``event``'s payload (``{"topic": ...}`` for unknown payloads)."""
    p = event.payload
    model: BaseModel
    if isinstance(p, TokenScored):
        model = ScoredData(
            token=str(p.score.token), scored_at=p.score.scored_at, watched=p.watched,
            score=score_view(p.score),
        )  # fmt: skip
    elif isinstance(p, TierChanged | DecisionChanged):
        model = ChangedData(
            token=str(p.token), old=p.old.value if p.old is not None else None,
            new=p.new.value, watched=p.watched, score=p.score.score, scored_at=p.score.scored_at,
        )  # fmt: skip
    elif isinstance(p, PoolCreated):
        model = PoolData(
            token=str(p.token), source=p.source, detected_at=p.detected_at,
            created_at=p.created_at, signature=p.signature, symbol=p.symbol, name=p.name,
        )  # fmt: skip
    elif isinstance(p, Alert):
        model = AlertData(
            rule=p.rule, level=p.level.value, message=p.message, subject=p.subject,
            dedup_key=p.dedup_key, fired_at=p.fired_at, event_id=p.event.id,
        )  # fmt: skip
    elif isinstance(p, ScanProgress):
        model = ScanProgressData(scan_id=p.scan_id, done=p.done, total=p.total)
    elif isinstance(p, ScanFinished):
        st = p.stats
        model = ScanFinishedData(
            scan_id=p.scan_id, tokens=st.tokens, complete=st.complete, partial=st.partial,
            failed=st.failed, elapsed_s=st.elapsed_s, storage_error=p.storage_error,
        )  # fmt: skip
    else:
        return {"topic": event.topic}
    return model.model_dump(mode="json")
