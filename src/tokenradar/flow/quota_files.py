"""Upstream quotas and the lock files that say which process spends each.

A :class:`Quota` is what two processes must not both spend in full: a
provider, the upstream it talks to (``scheme://host:port`` of its
``base_url`` / ``url``; a path prefix does not matter) and, when an API key is
set, the key's fingerprint (the first 12 hex digits of its SHA-256). Processes
pointed at different upstreams or keys have different quotas.

Its lock is an advisory ``flock`` on ``<lock dir>/<provider>-<hash of the
quota>.lock``. The kernel releases it when the holder's process ends however it
ends, even by ``kill -9``, so no stale lock is ever left to clean up. The file
holds the holder's pid and command line (JSON), for the message of whoever
finds it taken; a holder unlinks it as it lets go, and a taker checks that the
file it locked is still the one at that path (else it locked an orphan).

Two users of one quota inside one process share its lock (counted) instead of
waiting for themselves; a forked child forgets the parent's locks.
:mod:`tokenradar.flow.quota_lock` decides what to do when a lock is taken.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import shlex
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from tokenradar.errors import ConfigError
from tokenradar.settings import ProviderSettings, ProvidersSettings, Settings, SolanaRpcSettings

log = logging.getLogger(__name__)

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_INFO_MAX_BYTES: Final = 4096
_COMMAND_MAX_CHARS: Final = 300

# ---------------------------------------------------------------------------
# Quotas and holders
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quota:
    """One upstream quota: what two processes must not both spend in full."""

    provider: str
    #: ``scheme://host:port``, the port always explicit
    upstream: str
    #: first 12 hex digits of the API key's SHA-256; None without a key
    key_fingerprint: str | None = None
    #: the upstream as a person reads it: host, and port unless the scheme's default
    where: str = field(default="", compare=False)
    #: the limits it is paced to, for messages: ``("rate 100/10s", "method_rate 40/10s")``
    limits: tuple[str, ...] = field(default=(), compare=False)

    @property
    def id(self) -> str:
        key = f" key:{self.key_fingerprint}" if self.key_fingerprint else ""
        return f"{self.provider} {self.upstream}{key}"

    @property
    def lock_name(self) -> str:
        digest = hashlib.sha256(self.id.encode()).hexdigest()[:20]
        return f"{self.provider}-{digest}.lock"

    @property
    def name(self) -> str:
        """``solana_rpc quota at api.mainnet-beta.solana.com``."""
        return f"{self.provider} quota at {self.where or self.upstream}"

    @property
    def same(self) -> str:
        """``the same jupiter quota at api.jup.ag with the same API key``."""
        key = " with the same API key" if self.key_fingerprint else ""
        return f"the same {self.name}{key}"


@dataclass(frozen=True, slots=True)
class QuotaHolder:
    """Another process that holds ``quota``, as its lock file names it."""

    quota: Quota
    #: None when it could not be read (the holder had not written it yet)
    pid: int | None
    command: str = ""

    @property
    def who(self) -> str:
        if self.pid is None:
            return "another process (its pid could not be read)"
        return f"pid {self.pid} ({self.command})" if self.command else f"pid {self.pid}"

    def waiting_message(self) -> str:
        return f"waiting for {self.who} which uses {self.quota.same}"

    def sharing_message(self) -> str:
        limits = ", ".join(self.quota.limits) or "its limits"
        return (
            f"{self.who} uses {self.quota.same}; proceeding anyway "
            f'([budget] on_shared_quota = "warn"): each process keeps its own budget, '
            f"so together the two will exceed the limit ({limits})"
        )


def _fingerprint(section: ProviderSettings) -> str | None:
    if section.api_key is None:
        return None
    return hashlib.sha256(section.api_key.get_secret_value().encode()).hexdigest()[:12]


def _upstream(name: str, section: ProviderSettings) -> tuple[str, str]:
    """(``scheme://host:port``, how to show it) of the section's HTTP endpoint."""
    key = "url" if isinstance(section, SolanaRpcSettings) else "base_url"
    url = getattr(section, key, None)
    if not isinstance(url, str):
        raise ValueError(f"provider {name!r} has no {key} to identify its upstream")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as exc:  # "http://host:abc" passes the URL form
        raise ConfigError(f"providers.{name}.{key}", f"expected a port number in {url!r}") from exc
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host  # IPv6
    shown = host if port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return f"{scheme}://{host}:{port}", shown


def quota_of(name: str, section: ProviderSettings) -> Quota:
    """The quota the ``[providers.<name>]`` section spends."""
    upstream, shown = _upstream(name, section)
    limits = tuple(
        f"{key} {limit if limit is not None else 'auto'}"
        for key in section.largest_requests()
        for limit in [getattr(section, key)]
    )
    return Quota(name, upstream, _fingerprint(section), where=shown, limits=limits)


def quotas(settings: Settings, providers: Iterable[str]) -> list[Quota]:
    """The quotas of the enabled ones among ``providers``, in the order locks are taken."""
    found: dict[str, Quota] = {}
    for name in set(providers):
        if name not in ProvidersSettings.model_fields:
            known = ", ".join(ProvidersSettings.model_fields)
            raise ValueError(f"unknown provider {name!r}; known: {known}")
        section: ProviderSettings = getattr(settings.providers, name)
        if section.enabled:
            found[name] = quota_of(name, section)
    # one order for every process: two never each hold a lock the other waits for
    return sorted(found.values(), key=lambda q: q.id)


def default_lock_dir() -> Path:
    """``$XDG_RUNTIME_DIR/tokenradar``, else ``<temp dir>/tokenradar-<uid>``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "tokenradar"
    return Path(tempfile.gettempdir()) / f"tokenradar-{os.getuid()}"


def lock_dir(settings: Settings) -> Path:
    """``[budget] lock_dir``, else :func:`default_lock_dir`; absolute (a later ``chdir``
    must not make the holder unlink another file)."""
    return (settings.budget.lock_dir or default_lock_dir()).absolute()


def prepare_lock_dir(directory: Path, *, default: bool) -> None:
    """Create the directory (private); a default one must be this user's own."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.stat(directory)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(directory))
    if default and st.st_uid != os.getuid():
        # under a shared temp dir another user's directory could hold anything
        raise PermissionError(errno.EPERM, "owned by another user", str(directory))


# ---------------------------------------------------------------------------
# The lock files
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Held:
    fd: int
    users: int


# the locks this process holds, by path: a second user in this process shares the
# first one's lock instead of waiting for itself
_held: dict[Path, _Held] = {}
_held_guard = threading.Lock()


def _forget_after_fork() -> None:
    # a forked child shares the parent's open lock files: it must neither keep the
    # locks after the parent exits nor unlink the parent's files
    global _held_guard  # noqa: PLW0603 - the parent's guard may have been held at the fork
    for entry in _held.values():
        with contextlib.suppress(OSError):
            os.close(entry.fd)
    _held.clear()
    _held_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def _command_line() -> str:
    argv = list(sys.argv) or [sys.executable]
    argv[0] = Path(argv[0]).name or argv[0]
    text = shlex.join(argv)
    return text if len(text) <= _COMMAND_MAX_CHARS else text[: _COMMAND_MAX_CHARS - 1] + "…"


def _lock_file(path: Path, quota: Quota) -> int | None:
    """The descriptor holding the lock on ``path``, or None while another process holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return None
            # the holder before us unlinks the file as it lets go: a lock on an unlinked
            # file is one nobody else sees, so lock the file now at that path instead
            try:
                current = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                current = None
            mine = os.fstat(fd)
            if current is None or (current.st_dev, current.st_ino) != (mine.st_dev, mine.st_ino):
                os.close(fd)
                continue
            info = {"pid": os.getpid(), "command": _command_line(), "quota": quota.id}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        return fd


def take(path: Path, quota: Quota, *, quiet: bool = False) -> bool:
    """Take the lock, or share this process's own; False while another process holds it.

    Raises :class:`OSError` when the file cannot be opened or written.
    """
    with _held_guard:
        entry = _held.get(path)
        if entry is not None:
            entry.users += 1
            if not quiet:
                log.warning(
                    "this process already uses %s (another Radar here): the two do not wait "
                    "for each other, and their budgets are separate",
                    quota.same,
                )
            return True
        fd = _lock_file(path, quota)
        if fd is None:
            return False
        _held[path] = _Held(fd, 1)
        return True


def give_back(path: Path) -> None:
    """Undo one :func:`take`; the last user of this process lets the lock go."""
    with _held_guard:
        entry = _held.get(path)
        if entry is None:
            return
        entry.users -= 1
        if entry.users > 0:
            return
        del _held[path]
        # unlink while still holding it: whoever waits re-opens the new file (see above)
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(entry.fd)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False  # kill(0) would signal our own process group
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def read_holder(path: Path, quota: Quota) -> QuotaHolder | None:
    """Who the lock file names, if it names a live process (None: not known yet)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        raw = os.read(fd, _INFO_MAX_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        info = json.loads(raw)
        pid, command = int(info["pid"]), str(info.get("command", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # empty or half-written: the holder is writing it now
    # a pid left by a holder killed before the next one rewrote the file is not a holder
    return QuotaHolder(quota, pid, command) if _alive(pid) else None
