"""Typed settings, loaded once at the edge (CLI, API, worker).

Sources, lowest priority first: built-in defaults (the real public APIs), the
TOML file given with ``--config``, then ``TOKENRADAR_…`` environment variables
with ``__`` between levels, e.g. ``TOKENRADAR_PROVIDERS__DEXSCREENER__RATE=120/60s``.

Anything invalid is rejected by :func:`load_settings` with a
:class:`~tokenradar.errors.ConfigError` naming the key and the expected form.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tokenradar.errors import ConfigError
from tokenradar.flow.config import TiersSettings
from tokenradar.scoring.policy import ScoringSettings

ENV_PREFIX = "TOKENRADAR_"

# ---------------------------------------------------------------------------
# Value types
# ---------------------------------------------------------------------------

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_RATE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)?\s*(ms|s|min|m|h)\s*$")
RATE_FORM = "'N/<period>' such as '300/60s', '40/10s', '1/2s' or '5/1m', or 'auto'"


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``count`` requests in any ``period`` seconds."""

    count: float
    period: float

    @property
    def per_second(self) -> float:
        return self.count / self.period

    def __str__(self) -> str:
        return f"{self.count:g}/{self.period:g}s"

    @classmethod
    def parse(cls, text: str) -> Rate:
        m = _RATE_RE.match(text)
        if not m:
            raise ValueError(f"expected {RATE_FORM}, got {text!r}")
        count = float(m.group(1))
        period = float(m.group(2) or 1) * _UNITS[m.group(3)]
        if count <= 0 or period <= 0:
            raise ValueError(f"expected a positive count and period, got {text!r}")
        return cls(count, period)


def _rate_or_auto(value: object) -> Rate | None:
    if value is None or isinstance(value, Rate):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected {RATE_FORM}, got {value!r}")
    if value.strip().lower() == "auto":
        return None
    return Rate.parse(value)


#: A configured limit; ``None`` means ``"auto"``: unknown, to be discovered.
RateSetting = Annotated[
    Rate | None,
    BeforeValidator(_rate_or_auto),
    PlainSerializer(lambda r: "auto" if r is None else str(r), return_type=str),
]


def _http_url(value: object) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+(/\S*)?$", value.strip()):
        raise ValueError(
            f"expected an http(s) URL like 'https://api.example.com' or "
            f"'http://127.0.0.1:9000/prefix', got {value!r}"
        )
    return value.strip().rstrip("/")


def _ws_url(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^wss?://[^\s/]+(/\S*)?$", value.strip()):
        raise ValueError(f"expected a ws(s) URL like 'wss://api.example.com', got {value!r}")
    return value.strip().rstrip("/")


HttpUrl = Annotated[str, BeforeValidator(_http_url)]
WsUrl = Annotated[str | None, BeforeValidator(_ws_url)]

# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class ProviderSettings(_Section):
    """Keys every provider takes."""

    enabled: bool = True
    rate: RateSetting = None
    max_batch: int = Field(default=1, ge=1)
    max_in_flight: int = Field(default=4, ge=1, le=1000)
    timeout: float = Field(default=10.0, gt=0, le=300)
    api_key: SecretStr | None = None


class DexScreenerSettings(ProviderSettings):
    base_url: HttpUrl = "https://api.dexscreener.com"
    rate: RateSetting = Rate(300, 60)
    #: profiles/boosts feeds have their own, lower limit
    feed_rate: RateSetting = Rate(60, 60)
    max_batch: int = Field(default=30, ge=1, le=30)
    max_in_flight: int = Field(default=8, ge=1, le=1000)


class SolanaRpcSettings(ProviderSettings):
    url: HttpUrl = "https://api.mainnet-beta.solana.com"
    #: logsSubscribe endpoint; derived from ``url`` (http→ws) when not set
    ws_url: WsUrl = None
    rate: RateSetting = Rate(100, 10)
    method_rate: RateSetting = Rate(40, 10)
    max_batch: int = Field(default=100, ge=1, le=100)
    max_in_flight: int = Field(default=40, ge=1, le=1000)

    @property
    def websocket_url(self) -> str:
        if self.ws_url:
            return self.ws_url
        return "ws" + self.url.removeprefix("http")


class RugCheckSettings(ProviderSettings):
    base_url: HttpUrl = "https://api.rugcheck.xyz"
    rate: RateSetting = None
    max_batch: int = Field(default=1, ge=1, le=1)
    max_in_flight: int = Field(default=4, ge=1, le=1000)


class JupiterSettings(ProviderSettings):
    base_url: HttpUrl = "https://api.jup.ag"
    rate: RateSetting = Rate(30, 60)
    max_batch: int = Field(default=50, ge=1, le=50)
    max_in_flight: int = Field(default=2, ge=1, le=1000)


class ProvidersSettings(_Section):
    dexscreener: DexScreenerSettings = DexScreenerSettings()
    solana_rpc: SolanaRpcSettings = SolanaRpcSettings()
    rugcheck: RugCheckSettings = RugCheckSettings()
    jupiter: JupiterSettings = JupiterSettings()


class StorageSettings(_Section):
    url: str = "sqlite:///tokenradar.db"
    #: SQLite ``PRAGMA synchronous``: NORMAL survives a process crash; FULL also a power cut
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    #: run pending migrations at start (``tokenradar db upgrade`` does it explicitly)
    auto_upgrade: bool = True
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


class CacheSettings(_Section):
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
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    providers: ProvidersSettings = ProvidersSettings()
    storage: StorageSettings = StorageSettings()
    cache: CacheSettings = CacheSettings()
    scoring: ScoringSettings = ScoringSettings()
    tiers: TiersSettings = TiersSettings()

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
    msg = first["msg"].removeprefix("Value error, ")
    got = first.get("input")
    if first["type"] != "value_error" and not isinstance(got, dict):
        msg = f"{msg}, got {got!r}"
    return ConfigError(key, f"{msg} (in {origin})")


def load_settings(config: Path | str | None = None) -> Settings:
    """Defaults, then the TOML file ``config``, then ``TOKENRADAR_…`` variables.

    Raises :class:`ConfigError` naming the first bad key.
    """
    data: dict[str, Any] = {}
    origin = "defaults"
    if config is not None:
        path = Path(config)
        origin = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError("--config", f"no such file: {path}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("--config", f"cannot read {path}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("--config", f"{path} is not valid TOML: {exc}") from exc
    if any(k.startswith(ENV_PREFIX) for k in os.environ):
        origin += " or TOKENRADAR_* environment"
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise _config_error(exc, origin) from None
