"""Typed settings, loaded once at the edge (CLI, API, worker).

Sources, lowest priority first: built-in defaults (the real public APIs), the
TOML file given with ``--config``, then ``TOKENRADAR_…`` environment variables
with ``__`` between levels, e.g. ``TOKENRADAR_PROVIDERS__DEXSCREENER__RATE=120/60s``.

Anything invalid is rejected by :func:`load_settings` with a
:class:`~tokenradar.errors.ConfigError` naming the key and the expected form:
a bad value, an unknown key, a ``TOKENRADAR_…`` variable that is no setting,
or a limit that can never be met (a rate smaller than the provider's largest
request).

This package is the bottom layer for configuration: it imports nothing of
``flow``, ``scoring``, ``providers`` or ``store``, which all import it. The
sections live in submodules (``values``, ``providers``, ``tiers``, ``scoring``,
``budget``, ``alerts``, ``discovery``, ``health``, ``api``) and are re-exported here.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tokenradar.errors import ConfigError
from tokenradar.settings.alerts import AlertLevel, AlertsSettings
from tokenradar.settings.api import ApiKeySetting, ApiRole, ApiSettings
from tokenradar.settings.budget import BudgetSettings, SharedQuotaPolicy
from tokenradar.settings.discovery import DiscoverySettings
from tokenradar.settings.health import HealthSettings
from tokenradar.settings.providers import (
    HOLDERS_MAX_BATCH,
    DexScreenerSettings,
    JupiterSettings,
    ProviderSettings,
    ProvidersSettings,
    RequestCost,
    RugCheckSettings,
    SolanaRpcSettings,
    UnsatisfiableSetting,
)
from tokenradar.settings.scoring import ScoringSettings
from tokenradar.settings.service import ServiceSettings
from tokenradar.settings.sources import (
    ENV_DELIMITER,
    ENV_PREFIX,
    check_environment,
    check_file_flags,
)
from tokenradar.settings.tiers import TiersSettings
from tokenradar.settings.values import (
    RATE_FORM,
    Duration,
    Flag,
    HttpUrl,
    Rate,
    RateSetting,
    Section,
    WsUrl,
)

__all__ = [
    "ENV_PREFIX",
    "HOLDERS_MAX_BATCH",
    "RATE_FORM",
    "AlertLevel",
    "AlertsSettings",
    "ApiKeySetting",
    "ApiRole",
    "ApiSettings",
    "BudgetSettings",
    "CacheSettings",
    "DexScreenerSettings",
    "DiscoverySettings",
    "Duration",
    "Flag",
    "HealthSettings",
    "HttpUrl",
    "JupiterSettings",
    "ProviderSettings",
    "ProvidersSettings",
    "Rate",
    "RateSetting",
    "RequestCost",
    "RugCheckSettings",
    "ScoringSettings",
    "Settings",
    "SharedQuotaPolicy",
    "SolanaRpcSettings",
    "StorageSettings",
    "TiersSettings",
    "WsUrl",
    "load_settings",
]

# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


class StorageSettings(Section):
    url: str = "sqlite:///tokenradar.db"
    #: SQLite ``PRAGMA synchronous``: NORMAL survives a process crash; FULL also a power cut
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    #: run pending migrations at start (``tokenradar db upgrade`` does it explicitly)
    auto_upgrade: Flag = True
    #: PostgreSQL schema to keep the tables in (created if missing); None = the default path
    schema_name: str | None = Field(
        default=None, alias="schema", pattern=r"^[a-z_][a-z0-9_]{0,62}$"
    )
    #: SQLite: how long a write waits for another process's write lock, seconds
    busy_timeout: float = Field(default=5.0, ge=0, le=600)
    #: the writer commits when this many rows are waiting ...
    batch_size: int = Field(default=2000, ge=1, le=100_000)
    #: ... or when the oldest waiting row is this old, seconds (≤ 50 ms keeps scores live)
    flush_interval: float = Field(default=0.02, gt=0, le=1.0)
    #: rows the writer's queue holds before producers wait (backpressure), never more
    queue_size: int = Field(default=20_000, ge=1, le=1_000_000)
    #: reader connections (queries never wait for the writer)
    read_pool_size: int = Field(default=4, ge=1, le=100)
    #: score history retention: every score for this many hours, ...
    history_full_hours: float = Field(default=24.0, ge=1)
    #: ... then the first score of each hour up to this many days, ...
    history_hourly_days: float = Field(default=30.0, ge=0)
    #: ... then the first of each day up to this many days; older rows are deleted
    history_daily_days: float = Field(default=365.0, ge=0)

    model_config = ConfigDict(populate_by_name=True)

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if not re.match(r"^(sqlite(\+aiosqlite)?:///.*|postgres(ql)?(\+asyncpg)?://.+)$", v):
            raise ValueError(
                "expected 'sqlite:///path/to/file.db' or 'postgresql://user@host:port/db', "
                f"got {v!r}"
            )
        return v


class CacheSettings(Section):
    redis_url: str | None = None

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^rediss?://.+", v):
            raise ValueError(f"expected 'redis://host:port/db', got {v!r}")
        return v


# ---------------------------------------------------------------------------
# Root
# ---------------------------------------------------------------------------


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    providers: ProvidersSettings = ProvidersSettings()
    storage: StorageSettings = StorageSettings()
    cache: CacheSettings = CacheSettings()
    scoring: ScoringSettings = ScoringSettings()
    tiers: TiersSettings = TiersSettings()
    service: ServiceSettings = ServiceSettings()
    budget: BudgetSettings = BudgetSettings()
    alerts: AlertsSettings = AlertsSettings()
    discovery: DiscoverySettings = DiscoverySettings()
    health: HealthSettings = HealthSettings()
    api: ApiSettings = ApiSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment overrides the file (passed in as init kwargs).
        return (env_settings, init_settings)


def _key(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if not str(p).startswith("function-")]
    # pydantic appends the type tried inside unions/annotations ("str", "Rate"...)
    parts = [p for p in parts if p not in {"str", "Rate", "none", "is-instance[Rate]"}]
    return ".".join(parts) or "<root>"


def _config_error(exc: ValidationError, origin: str) -> ConfigError:
    first = exc.errors()[0]
    key = _key(first["loc"])
    if first["type"] == "extra_forbidden":
        return ConfigError(key, f"unknown key (in {origin})")
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, UnsatisfiableSetting):
        # raised by a section's model validator: name the field, not the section
        return ConfigError(f"{key}.{cause.key}", f"{cause} (in {origin})")
    msg = first["msg"].removeprefix("Value error, ")
    got = first.get("input")
    if first["type"] != "value_error" and not isinstance(got, dict):
        msg = f"{msg}, got {got!r}"
    return ConfigError(key, f"{msg} (in {origin})")


def load_settings(config: Path | str | None = None) -> Settings:
    """Defaults, then the TOML file ``config``, then ``TOKENRADAR_…`` variables.

    Raises :class:`ConfigError` naming the first bad key, or the first
    ``TOKENRADAR_…`` variable that is not a setting.
    """
    data: dict[str, Any] = {}
    origin = "defaults"
    if config is not None:
        path = Path(config)
        origin = str(path)
        try:
            # utf-8-sig: editors on Windows start the file with a byte-order mark
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError as exc:
            raise ConfigError("--config", f"no such file: {path}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("--config", f"cannot read {path}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("--config", f"{path} is not valid TOML: {exc}") from exc
    check_environment(os.environ, Settings)
    check_file_flags(data, Settings, origin)
    if any(k.upper().startswith(ENV_PREFIX) for k in os.environ):
        origin += " or TOKENRADAR_* environment"
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise _config_error(exc, origin) from None
