"""Shared fixtures: test data paths and the PostgreSQL/Redis services.

Tests that need PostgreSQL or Redis use the ``postgres_url`` / ``redis_url``
fixtures. When the server is unreachable they are skipped with the reason, except
in CI (``TOKENRADAR_REQUIRE_SERVICES=1``, set by ``.ci/run``), where that fails.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

DATA = Path(__file__).parent / "data"

POSTGRES_URL = os.environ.get(
    "TOKENRADAR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TOKENRADAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2).close()
    except OSError:
        return False
    return True


def _require(url: str, what: str) -> str:
    if not _reachable(url):
        reason = f"{what} not reachable at {url}"
        if os.environ.get("TOKENRADAR_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (required in CI: TOKENRADAR_REQUIRE_SERVICES=1)")
        pytest.skip(f"{reason}; start it or set the URL to run this test")
    return url


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture
def postgres_url() -> str:
    return _require(POSTGRES_URL, "PostgreSQL")


@pytest.fixture
def redis_url() -> str:
    return _require(REDIS_URL, "Redis")


@pytest.fixture(autouse=True, scope="session")
def _private_quota_locks(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Quota locks of this test session in their own directory: a real scan, or a test
    run in another checkout on this machine, must not make a test's Radar wait."""
    os.environ["TOKENRADAR_BUDGET__LOCK_DIR"] = str(tmp_path_factory.mktemp("quota-locks"))
