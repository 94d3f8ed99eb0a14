"""The process's own resources, via psutil: resident memory, CPU, descriptors, threads.

A figure the OS will not give (a permission, a platform without it) is ``None``:
unknown, never judged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import psutil

from tokenradar.service.health_report import ProcessHealth

log = logging.getLogger(__name__)

_MIB = 1024 * 1024
T = TypeVar("T")


class ProcessProbe:
    def __init__(self, pid: int | None = None) -> None:
        self._process = psutil.Process(pid)
        # cpu_percent() measures since its previous call: the first call only starts it
        self._primed = self._try(self._process.cpu_percent) is not None

    def sample(self) -> ProcessHealth:
        p = self._process
        rss = self._try(lambda: p.memory_info().rss)
        cpu = self._try(p.cpu_percent) if self._primed else None
        self._primed = True
        return ProcessHealth(
            rss_mb=round(rss / _MIB, 1) if rss is not None else None,
            cpu_percent=cpu,
            open_files=self._try(self._descriptors),
            threads=self._try(p.num_threads),
        )

    def _descriptors(self) -> int:
        # POSIX only; Windows has handles, not descriptors: unknown there (AttributeError)
        return self._process.num_fds()

    @staticmethod
    def _try(read: Callable[[], T]) -> T | None:
        try:
            return read()
        except (psutil.Error, OSError, NotImplementedError, AttributeError) as exc:
            log.debug("process figure unavailable: %s", exc)
            return None
