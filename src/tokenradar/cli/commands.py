"""Imports every command module so that each registers its commands on ``app``."""

from __future__ import annotations

from tokenradar.cli import (
    bench,  # noqa: F401
    db,  # noqa: F401
    history,  # noqa: F401
    scan,  # noqa: F401
    scans,  # noqa: F401
    serve,  # noqa: F401
    simulate,  # noqa: F401
    watch,  # noqa: F401
)
