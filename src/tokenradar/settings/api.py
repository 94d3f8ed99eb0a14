"""The ``[api]`` settings: who may call the HTTP API, how much, and from where.

::

    [api]
    require_key_for_reads = false    # true: GET routes need a key too
    rate = "600/60s"                 # per key (or per client address without one)
    burst = 60                       # requests a key may send at once before pacing
    max_body_bytes = 1048576         # larger request bodies are refused (413) unread
    cors_origins = []                # browser origins allowed; none by default
    max_running_scans = 4            # API scans at once; more are refused (429)
    kept_scans = 256                 # finished API scans remembered (least recent dropped)

    [[api.keys]]
    name = "ops"
    sha256 = "<hex sha256 of the key>"   # printf %s "$KEY" | sha256sum
    role = "admin"                       # read | admin

Keys are stored as SHA-256 hashes only: the file never holds a usable secret.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import Field, field_validator

from tokenradar.settings.values import Duration, Flag, Rate, RateSetting, Section

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ApiRole(StrEnum):
    READ = "read"  # GET routes
    ADMIN = "admin"  # GET routes and every mutating route (scans, watchlist)


class ApiKeySetting(Section):
    #: shown in logs and metrics instead of the key
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    #: the hex SHA-256 of the key (the key itself is never configured)
    sha256: str
    role: ApiRole = ApiRole.READ

    @field_validator("sha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        v = v.strip().lower()
        if not _HEX64.match(v):
            raise ValueError("expected 64 hex digits (the SHA-256 of the key), got another form")
        return v


class ApiSettings(Section):
    keys: list[ApiKeySetting] = Field(default_factory=list)
    #: GET routes need a key (any role) too; mutating routes always need an admin key
    require_key_for_reads: Flag = False
    #: each key's (or each anonymous client address's) own budget on this API
    rate: RateSetting = Rate(600, 60)
    #: requests a key may send back to back before the rate paces it
    burst: int = Field(default=60, ge=1, le=100_000)
    #: request bodies larger than this are refused with 413, without being read
    max_body_bytes: int = Field(default=1_048_576, ge=1_024, le=1_073_741_824)
    #: browser origins allowed by CORS (``https://dash.example``); empty: CORS is closed
    cors_origins: list[str] = Field(default_factory=list)
    #: API scans running at once; one more is refused with 429
    max_running_scans: int = Field(default=4, ge=1, le=1_000)
    #: finished API scans kept for ``GET /api/v1/scans/{id}`` (least recently used dropped)
    kept_scans: int = Field(default=256, ge=1, le=100_000)
    #: events an SSE client may fall behind before it is disconnected
    stream_queue: int = Field(default=256, ge=1, le=100_000)
    #: an SSE comment is sent after this long without events (keeps proxies from cutting)
    stream_keepalive: Duration = 15.0

    @field_validator("rate")
    @classmethod
    def _fixed(cls, v: Rate | None) -> Rate | None:
        if v is None:
            raise ValueError("expected a fixed rate like '600/60s' ('auto' is for upstreams)")
        return v

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        for origin in v:
            if origin != "*" and not re.match(r"^https?://[^/\s]+$", origin):
                raise ValueError(f"expected an origin like 'https://dash.example', got {origin!r}")
        return v

    @field_validator("keys")
    @classmethod
    def _unique(cls, v: list[ApiKeySetting]) -> list[ApiKeySetting]:
        names = [k.name for k in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"key names must be unique, got {', '.join(dupes)} twice")
        return v
