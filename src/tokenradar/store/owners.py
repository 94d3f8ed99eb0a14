"""Who runs a scan, and whether that process is still alive.

A scan row says ``running`` until its process writes the final version; a
process killed with SIGKILL (or a crashed host) never does. Another process
opening the store must tell such rows from those of a scan that is running
right now, in a second process on the same database. Two signals, each
trusted only where it is sound:

- **the owner's pid**, where it is meaningful: a pid names a process only
  within one PID namespace of one boot of one kernel. The owner records that
  *space* (``/proc/sys/kernel/random/boot_id`` and the ``/proc/self/ns/pid``
  link), so "same host" is exact even for containers that share a host name,
  or a database on a network share. In the same space, the owner is gone when
  its pid does not exist or is a zombie, or now names a different process
  (its start time in ``/proc/<pid>/stat`` differs from the recorded one: pids
  are reused, and a restarted container's main process often has the same
  pid as the one that was killed). That answer is immediate and certain.
- **the heartbeat** (``updated_at``, refreshed by the scan's recorder at least
  every :data:`~tokenradar.store.recorder.HEARTBEAT_S` while it works) for
  everything else: an owner in another space (another machine, another
  container), or a row without an owner. Those rows are abandoned only once
  their heartbeat is older than ``stale_after``, which is many heartbeats
  long. A live scan misjudged this way (stalled for longer than that) repairs
  its own row: its next heartbeat or its final version is newer than the
  ``abandoned`` one, and the store keeps the newest version.

Without ``/proc`` (macOS) the space falls back to the host name and the start
time is unknown: the pid check is then as good as ``kill(pid, 0)``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from enum import StrEnum

from tokenradar.store.records import ScanOwner


def this_process() -> ScanOwner:
    """The owner to record for scans run by this process."""
    pid = os.getpid()
    return ScanOwner(
        host=socket.gethostname(), pid=pid, space=_space(), started=_started(pid) or ""
    )


class Liveness(StrEnum):
    ALIVE = "alive"  # the very process that owns the row exists
    GONE = "gone"  # certainly dead: same space, pid missing, zombie or reused
    UNKNOWN = "unknown"  # another space: only the heartbeat can tell


@dataclass(frozen=True, slots=True)
class Verdict:
    liveness: Liveness
    why: str


def judge(owner: ScanOwner, me: ScanOwner) -> Verdict:
    """Whether ``owner`` still lives, as far as process ``me`` can tell."""
    who = f"process {owner.pid} on {owner.host}"
    # without /proc on either side, the host name is all there is
    same_space = owner.space == me.space if owner.space or me.space else owner.host == me.host
    if not same_space:
        return Verdict(Liveness.UNKNOWN, f"{who} (another host or container)")
    if owner.pid == me.pid and owner.started == me.started:
        return Verdict(Liveness.ALIVE, f"{who} (this process)")
    if not _exists(owner.pid):
        return Verdict(Liveness.GONE, f"{who} is gone")
    if _zombie(owner.pid):
        return Verdict(Liveness.GONE, f"{who} has exited")
    started = _started(owner.pid)
    if owner.started and started and started != owner.started:
        return Verdict(Liveness.GONE, f"{who} is gone (its pid now names another process)")
    return Verdict(Liveness.ALIVE, f"{who} is alive")


def _exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def _stat(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (state first); None if unreadable."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    # the command name is in parentheses and may itself hold spaces or ")"
    return text[text.rfind(")") + 2 :].split()


def _zombie(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and bool(fields) and fields[0] in ("Z", "X")


def _started(pid: int) -> str | None:
    fields = _stat(pid)
    # field 22 of stat(5), starttime: the 20th after the state
    return fields[19] if fields is not None and len(fields) > 19 else None


def _space() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            boot = fh.read().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{boot}/{namespace}"
