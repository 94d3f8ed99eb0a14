"""The local lock per upstream quota: real processes, real ``flock``."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

import tokenradar
from tokenradar.clock import FakeClock
from tokenradar.errors import QuotaBusy, QuotaLockError
from tokenradar.flow.quota_files import lock_dir
from tokenradar.flow.quota_lock import Quota, QuotaHolder, hold_quotas, quotas
from tokenradar.settings import Settings, load_settings

#: takes the locks of the providers named in argv[2] and holds them until stdin closes
HOLDER_SCRIPT = """
import asyncio, sys
from tokenradar.flow.quota_lock import hold_quotas
from tokenradar.settings import load_settings

async def main() -> None:
    settings = load_settings(sys.argv[1])
    waiting = lambda holder: print("WAITING", holder.pid, flush=True)
    async with hold_quotas(settings, sys.argv[2].split(","), on_wait=waiting, poll_interval=0.02):
        print("HELD", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

asyncio.run(main())
"""

#: takes and lets go of the jupiter lock argv[3] times as fast as it can; inside, it
#: creates the marker file argv[2] exclusively, which fails if another process is inside
CONTENDER_SCRIPT = """
import asyncio, os, sys
from tokenradar.flow.quota_lock import hold_quotas
from tokenradar.settings import load_settings

async def main() -> None:
    settings = load_settings(sys.argv[1])
    for _ in range(int(sys.argv[3])):
        async with hold_quotas(settings, ["jupiter"], on_wait=lambda h: None, poll_interval=0.0005):
            os.close(os.open(sys.argv[2], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            await asyncio.sleep(0.0005)
            os.unlink(sys.argv[2])

asyncio.run(main())
"""

FAST = 0.02  # poll interval of the process under test, real seconds


class Holder:
    """A tiny python process that takes quota locks and holds them."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def line(self, within: float = 20.0) -> str:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), within)
        return raw.decode().strip()

    async def release(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return await asyncio.wait_for(self.proc.wait(), 20)


@pytest.fixture
async def holders() -> AsyncIterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        if holder.proc.returncode is None:
            holder.proc.kill()
            await holder.proc.wait()


def subprocess_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(tokenradar.__file__).parents[1])}


async def start_holder(
    started: list[Holder], tmp_path: Path, config: Path, providers: str = "jupiter"
) -> Holder:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER_SCRIPT)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(config), providers,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=subprocess_env(),
    )  # fmt: skip
    holder = Holder(proc)
    started.append(holder)
    return holder


async def holding(
    started: list[Holder], tmp_path: Path, config: Path, providers: str = "jupiter"
) -> Holder:
    holder = await start_holder(started, tmp_path, config, providers)
    assert await holder.line() == "HELD"
    return holder


def write_config(
    tmp_path: Path,
    name: str,
    *,
    url: str = "http://127.0.0.1:9000",
    key: str | None = None,
    budget: str = "",
) -> tuple[Path, Settings]:
    """A config pointing every provider at ``url`` (jupiter keyed with ``key``), and its
    settings; every process of a test shares the lock directory."""
    lines = [f'[budget]\nlock_dir = "{tmp_path / "locks"}"\n{budget}']
    for section, field in (
        ("dexscreener", "base_url"),
        ("solana_rpc", "url"),
        ("rugcheck", "base_url"),
        ("jupiter", "base_url"),
    ):
        lines.append(f'[providers.{section}]\n{field} = "{url}"')
    if key is not None:
        lines.append(f'api_key = "{key}"')
    path = tmp_path / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path, load_settings(path)


def locked_by_someone(settings: Settings, provider: str) -> bool:
    """Probe the lock from a fresh open file: held by any process (this one included)."""
    (quota,) = quotas(settings, [provider])
    path = lock_dir(settings) / quota.lock_name
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


class Waited(Exception):
    """Raised from ``on_wait`` to prove that hold_quotas would have waited."""

    def __init__(self, holder: QuotaHolder) -> None:
        super().__init__(holder.waiting_message())
        self.holder = holder


def refuse_to_wait(holder: QuotaHolder) -> None:
    raise Waited(holder)


async def eventually(condition: Callable[[], object], within: float = 10.0) -> None:
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"not true within {within}s")


# ---------------------------------------------------------------------------
# Waiting
# ---------------------------------------------------------------------------


async def test_a_second_process_waits_until_the_first_exits(
    tmp_path: Path, holders: list[Holder]
) -> None:
    config, _ = write_config(tmp_path, "same")
    first = await holding(holders, tmp_path, config)
    second = await start_holder(holders, tmp_path, config)
    assert await second.line() == f"WAITING {first.pid}"
    with pytest.raises(TimeoutError):  # still waiting while the first one runs
        await second.line(within=0.5)
    assert await first.release() == 0
    assert await second.line() == "HELD"
    assert await second.release() == 0


async def test_kill_9_of_the_holder_frees_the_lock(tmp_path: Path, holders: list[Holder]) -> None:
    config, settings = write_config(tmp_path, "same")
    first = await holding(holders, tmp_path, config)
    seen: list[QuotaHolder] = []
    announced = asyncio.Event()

    def waiting(holder: QuotaHolder) -> None:
        seen.append(holder)
        announced.set()

    async def run() -> tuple[Quota, ...]:
        async with hold_quotas(settings, ["jupiter"], on_wait=waiting, poll_interval=FAST) as locks:
            return locks.held

    task = asyncio.create_task(run())
    await asyncio.wait_for(announced.wait(), 20)
    assert not task.done()
    first.proc.kill()  # SIGKILL: the holder cannot release anything itself
    held = await asyncio.wait_for(task, 20)
    assert [q.provider for q in held] == ["jupiter"]
    assert [h.pid for h in seen] == [first.pid]
    assert "holder.py" in seen[0].command
    assert seen[0].waiting_message().startswith(f"waiting for pid {first.pid} (holder.py ")
    assert "uses the same jupiter quota at 127.0.0.1:9000" in seen[0].waiting_message()


async def test_processes_taking_and_releasing_the_lock_in_a_tight_loop_never_overlap(
    tmp_path: Path,
) -> None:
    # a holder unlinks the file as it lets go; a process that opened the old file just
    # before must not count a lock on it (an orphan) while another locks the new one
    config, _ = write_config(tmp_path, "same")
    script = tmp_path / "contender.py"
    script.write_text(CONTENDER_SCRIPT)
    marker = tmp_path / "inside"
    args = [str(script), str(config), str(marker), "200"]
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, *args, stderr=asyncio.subprocess.PIPE, env=subprocess_env()
        )
        for _ in range(4)
    ]
    results = [await asyncio.wait_for(p.communicate(), 60) for p in procs]
    errors = [err.decode() for _, err in results if err]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors


async def test_the_timeout_fails_naming_the_holder_pid(
    tmp_path: Path, holders: list[Holder]
) -> None:
    config, settings = write_config(tmp_path, "same", budget='shared_quota_timeout = "30s"')
    first = await holding(holders, tmp_path, config)
    clock = FakeClock()

    async def run() -> None:
        async with hold_quotas(settings, ["jupiter"], on_wait=lambda _h: None, clock=clock):
            pass

    task = asyncio.create_task(run())
    await clock.run_for(29)
    assert not task.done()
    await clock.run_for(2)
    with pytest.raises(QuotaBusy) as info:
        await asyncio.wait_for(task, 5)
    assert info.value.pid == first.pid
    message = str(info.value)
    assert f"waiting for pid {first.pid} (holder.py " in message
    assert "gave up after 30s" in message
    assert "the same jupiter quota at 127.0.0.1:9000" in message


async def test_locks_are_taken_in_sorted_order_whatever_order_they_are_given(
    tmp_path: Path, holders: list[Holder]
) -> None:
    config, settings = write_config(tmp_path, "same")
    given = ["solana_rpc", "jupiter", "dexscreener"]
    assert [q.provider for q in quotas(settings, given)] == sorted(given)
    first = await holding(holders, tmp_path, config, "dexscreener")
    announced = asyncio.Event()

    async def run() -> None:
        waiting = lambda _h: announced.set()  # noqa: E731
        async with hold_quotas(settings, given, on_wait=waiting, poll_interval=FAST):
            assert all(locked_by_someone(settings, p) for p in given)
            await asyncio.sleep(0)

    task = asyncio.create_task(run())
    await asyncio.wait_for(announced.wait(), 20)
    # waiting on the first in order, it holds none of the others: a process taking
    # them in another order can never hold one of ours while waiting for another
    assert not locked_by_someone(settings, "solana_rpc")
    assert not locked_by_someone(settings, "jupiter")
    await first.release()
    await asyncio.wait_for(task, 20)
    assert not any(locked_by_someone(settings, p) for p in given)  # released on exit


async def test_a_failed_wait_releases_the_locks_already_taken(
    tmp_path: Path, holders: list[Holder]
) -> None:
    config, settings = write_config(tmp_path, "same", budget='shared_quota_timeout = "1s"')
    await holding(holders, tmp_path, config, "solana_rpc")
    clock = FakeClock()

    async def run() -> None:
        async with hold_quotas(
            settings, ["solana_rpc", "jupiter"], on_wait=lambda _h: None, clock=clock
        ):
            pass

    task = asyncio.create_task(run())
    await clock.run_for(0.5)
    assert locked_by_someone(settings, "jupiter")  # taken first, while waiting for the rpc
    await clock.run_for(1)
    with pytest.raises(QuotaBusy):
        await asyncio.wait_for(task, 5)
    assert not locked_by_someone(settings, "jupiter")


# ---------------------------------------------------------------------------
# What makes a quota
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("theirs", "ours", "blocks"),
    [
        ({"url": "http://127.0.0.1:9000"}, {"url": "http://127.0.0.2:9000"}, False),
        ({"url": "http://127.0.0.1:9000"}, {"url": "http://127.0.0.1:9001"}, False),
        ({"url": "http://127.0.0.1:9000"}, {"url": "https://127.0.0.1:9000"}, False),
        ({"url": "http://127.0.0.1:9000/dex"}, {"url": "http://127.0.0.1:9000/other"}, True),
        ({"url": "https://api.jup.ag"}, {"url": "https://API.jup.ag:443/"}, True),
        ({"key": "key-a"}, {"key": "key-b"}, False),
        ({"key": "key-a"}, {}, False),
        ({"key": "key-a"}, {"key": "key-a"}, True),
    ],
)
async def test_only_the_same_upstream_and_key_block(
    tmp_path: Path,
    holders: list[Holder],
    theirs: dict[str, str],
    ours: dict[str, str],
    blocks: bool,
) -> None:
    config, _ = write_config(tmp_path, "theirs", **theirs)
    first = await holding(holders, tmp_path, config)
    _, settings = write_config(tmp_path, "ours", **ours)
    if blocks:
        with pytest.raises(Waited) as info:
            async with hold_quotas(settings, ["jupiter"], on_wait=refuse_to_wait):
                pass
        assert info.value.holder.pid == first.pid
    else:
        async with hold_quotas(settings, ["jupiter"], on_wait=refuse_to_wait) as locks:
            assert [q.provider for q in locks.held] == ["jupiter"]


def test_a_quota_names_the_key_by_fingerprint_only(tmp_path: Path) -> None:
    _, settings = write_config(tmp_path, "keyed", url="https://Api.Jup.ag/", key="s3cret")
    (quota,) = quotas(settings, ["jupiter"])
    fingerprint = hashlib.sha256(b"s3cret").hexdigest()[:12]
    assert quota == Quota("jupiter", "https://api.jup.ag:443", fingerprint)
    assert quota.where == "api.jup.ag"
    assert "s3cret" not in quota.id + quota.lock_name
    assert quota.limits == ("rate 30/60s",)


def test_disabled_providers_take_no_lock_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    _, settings = write_config(tmp_path, "x")
    off = settings.model_copy(
        update={
            "providers": settings.providers.model_copy(
                update={
                    "rugcheck": settings.providers.rugcheck.model_copy(update={"enabled": False})
                }
            )
        }
    )
    assert [q.provider for q in quotas(off, ["rugcheck", "jupiter"])] == ["jupiter"]
    with pytest.raises(ValueError, match="unknown provider 'goplus'"):
        quotas(settings, ["goplus"])


# ---------------------------------------------------------------------------
# warn, ignore, and proceeding alongside
# ---------------------------------------------------------------------------


async def test_warn_proceeds_saying_both_together_will_exceed_the_limit(
    tmp_path: Path, holders: list[Holder], caplog: pytest.LogCaptureFixture
) -> None:
    config, _ = write_config(tmp_path, "wait")
    first = await holding(holders, tmp_path, config)
    _, settings = write_config(tmp_path, "warn", budget='on_shared_quota = "warn"')
    with caplog.at_level(logging.WARNING, logger="tokenradar"):
        async with hold_quotas(settings, ["jupiter"], on_wait=refuse_to_wait) as locks:
            assert [h.pid for h in locks.shared] == [first.pid]
            assert locks.held == ()
    (message,) = [r.getMessage() for r in caplog.records]
    assert message.startswith(f"pid {first.pid} (holder.py ")
    assert "uses the same jupiter quota at 127.0.0.1:9000" in message
    assert "together the two will exceed the limit (rate 30/60s)" in message


async def test_ignore_proceeds_and_says_nothing(
    tmp_path: Path, holders: list[Holder], caplog: pytest.LogCaptureFixture
) -> None:
    config, _ = write_config(tmp_path, "wait")
    first = await holding(holders, tmp_path, config)
    _, settings = write_config(tmp_path, "ignore", budget='on_shared_quota = "ignore"')
    told: list[QuotaHolder] = []
    with caplog.at_level(logging.DEBUG, logger="tokenradar"):
        async with hold_quotas(
            settings, ["jupiter"], on_wait=refuse_to_wait, on_shared=told.append
        ) as locks:
            assert [h.pid for h in locks.shared] == [first.pid]
    assert told == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_process_that_proceeded_takes_the_lock_once_the_holder_exits(
    tmp_path: Path, holders: list[Holder]
) -> None:
    config, _ = write_config(tmp_path, "wait")
    first = await holding(holders, tmp_path, config)
    _, settings = write_config(tmp_path, "warn", budget='on_shared_quota = "warn"')
    async with hold_quotas(
        settings, ["jupiter"], on_shared=lambda _h: None, poll_interval=FAST
    ) as locks:
        await first.release()
        await eventually(lambda: locks.held)
        # a process started now waits for this one, which spends the quota
        later = await start_holder(holders, tmp_path, config)
        assert await later.line() == f"WAITING {os.getpid()}"
    assert await later.line() == "HELD"
    await later.release()


# ---------------------------------------------------------------------------
# Within one process, and a lock that cannot be taken
# ---------------------------------------------------------------------------


async def test_two_users_in_one_process_share_the_lock_until_both_are_done(
    tmp_path: Path,
) -> None:
    _, settings = write_config(tmp_path, "same")
    async with hold_quotas(settings, ["jupiter"], on_wait=refuse_to_wait):
        async with hold_quotas(settings, ["jupiter"], on_wait=refuse_to_wait) as inner:
            assert [q.provider for q in inner.held] == ["jupiter"]
        assert locked_by_someone(settings, "jupiter")
    assert not locked_by_someone(settings, "jupiter")


async def test_an_unusable_lock_dir_fails_under_wait_and_is_logged_under_warn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    _, waiting = write_config(tmp_path, "wait")
    waiting = waiting.model_copy(
        update={"budget": waiting.budget.model_copy(update={"lock_dir": not_a_dir})}
    )
    with pytest.raises(QuotaLockError, match=r"cannot take the local lock on the jupiter quota"):
        async with hold_quotas(waiting, ["jupiter"]):
            pass
    warning = waiting.model_copy(
        update={"budget": waiting.budget.model_copy(update={"on_shared_quota": "warn"})}
    )
    with caplog.at_level(logging.WARNING, logger="tokenradar"):
        async with hold_quotas(warning, ["jupiter"]) as locks:
            assert locks.held == ()
    assert "proceeding without knowing" in caplog.text


async def test_no_providers_touch_no_lock_dir(tmp_path: Path) -> None:
    _, settings = write_config(tmp_path, "none")
    async with hold_quotas(settings, []) as locks:
        assert locks.held == ()
    assert not (tmp_path / "locks").exists()
