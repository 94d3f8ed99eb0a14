"""What the alert manager reports: per sink, per rule, and for the store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class SinkState(StrEnum):
    IDLE = "idle"  # nothing to send: waiting for alerts
    SENDING = "sending"  # a request is in flight
    WAITING = "waiting"  # a digest waits for the rate window to have room
    BACKOFF = "backoff"  # waiting to retry a failed message
    STOPPED = "stopped"  # not started yet, or shut down
    FAILED = "failed"  # its task died of a bug (logged); alerts are folded, not sent


@dataclass(frozen=True, slots=True)
class SinkStats:
    """One sink. Counts are of *messages* (an alert or a digest) unless said otherwise."""

    name: str
    state: SinkState
    sent: int  # messages delivered (alerts and digests)
    digests: int  # of which digests
    failed: int  # messages given up on after their retries (or at once, for a 4xx)
    retries: int  # attempts after a message's first
    folded: int  # alerts folded into digests (beyond the cap or the queue)
    overflowed: int  # of which arrived at a full queue
    filtered: int  # alerts below this sink's min_level
    queued: int  # alerts waiting now
    pending_digest: int  # alerts folded and not sent yet
    undelivered: int  # alerts still held when the sink was shut down (logged)
    last_error: str | None


@dataclass(frozen=True, slots=True)
class RuleStats:
    name: str
    fired: int  # alerts that passed the cooldown and went to the sinks
    suppressed: int  # findings within their dedup key's cooldown
    errors: int  # events it could not read (a payload of the wrong type: a publisher bug)


@dataclass(frozen=True, slots=True)
class PersistStats:
    stored: int  # firings handed to the store's writer
    failed: int  # firings the writer refused (it failed or closed)
    dropped: int  # firings that found the queue to the writer full
    queued: int


@dataclass(frozen=True, slots=True)
class AlertStats:
    events: int  # events the rules looked at
    rules: Mapping[str, RuleStats]
    sinks: Mapping[str, SinkStats]
    persist: PersistStats | None  # None without a store
    keys: int  # dedup keys whose cooldown is remembered now
    evicted: int  # keys forgotten before their cooldown ended (over max_keys)
    loaded: int  # keys loaded from the store at start
    load_error: str | None  # why loading them failed (then cooldowns started empty)
