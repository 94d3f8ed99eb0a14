"""Checks on the raw sources that model validation alone cannot make.

- **Environment variable names.** pydantic-settings reads only the variables
  that name a field and ignores every other ``TOKENRADAR_…`` variable, so
  ``TOKENRADAR_STORAGE_URL`` (one underscore) would silently leave the
  database at its default. :func:`check_environment` refuses any
  ``TOKENRADAR_…`` variable that is not a setting, naming the nearest one.
  A few such variables are read by the test suite and CI, not by the
  program; they are listed in :data:`NON_SETTING_VARIABLES` (and anything
  under ``TOKENRADAR_TEST_``).
- **Flags in the file.** Environment values are strings, so a flag accepts
  ``"true"``/``"1"``; TOML has real booleans, and :func:`check_file_flags`
  refuses a quoted or numeric flag there (``enabled = "yes"``, ``enabled = 1``).

The list of valid names is derived from the models (:func:`setting_keys`), so
a new field is a new variable without a second list to keep.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tokenradar.errors import ConfigError

ENV_PREFIX = "TOKENRADAR_"
ENV_DELIMITER = "__"

#: ``TOKENRADAR_…`` variables that are not settings but are read elsewhere
#: (tests/conftest.py, tests/store/test_crash.py, .ci/run); never refused
NON_SETTING_VARIABLES = frozenset(
    {
        "TOKENRADAR_REQUIRE_SERVICES",  # CI: a missing test service fails instead of skipping
        "TOKENRADAR_CRASH_ROUNDS",  # the crash test's number of rounds
        "TOKENRADAR_CRASH_SEED",  # the crash test's seed, to replay a failure
    }
)
#: test-service addresses (``TOKENRADAR_TEST_POSTGRES_URL``, ``..._REDIS_URL``, ...)
NON_SETTING_PREFIXES = ("TOKENRADAR_TEST_",)


@dataclass(frozen=True, slots=True)
class SettingKey:
    """One key of the settings tree, spelled as a source spells it."""

    path: tuple[str, ...]
    field: FieldInfo
    #: a sub-table (``[providers.solana_rpc]``): its keys follow
    model: type[BaseModel] | None
    #: a free-form mapping (``[scoring.allowlist]``): any key below it is data
    mapping: bool

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def variable(self) -> str:
        return ENV_PREFIX + ENV_DELIMITER.join(self.path).upper()


def _sub_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _spellings(model: type[BaseModel], name: str, field: FieldInfo) -> list[str]:
    if field.alias is None:
        return [name]
    # StorageSettings.schema_name is ``schema`` in files; populate_by_name takes both
    return [field.alias, name] if model.model_config.get("populate_by_name") else [field.alias]


def _children(model: type[BaseModel], prefix: tuple[str, ...]) -> Iterator[SettingKey]:
    for name, field in model.model_fields.items():
        sub = _sub_model(field.annotation)
        mapping = typing.get_origin(field.annotation) is dict
        for spelling in _spellings(model, name, field):
            yield SettingKey((*prefix, spelling), field, sub, mapping)


def setting_keys(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[SettingKey]:
    """Every key under ``model``, each table before its keys, in field order."""
    for key in _children(model, prefix):
        yield key
        if key.model is not None:
            yield from setting_keys(key.model, key.path)


# ---------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------


def is_non_setting_variable(name: str) -> bool:
    upper = name.upper()
    return upper in NON_SETTING_VARIABLES or upper.startswith(NON_SETTING_PREFIXES)


def check_environment(environ: Mapping[str, str], model: type[BaseModel]) -> None:
    """Raise :class:`ConfigError` for the first ``TOKENRADAR_…`` variable that is no setting.

    Names compare case-insensitively, as pydantic-settings reads them.
    """
    keys = list(setting_keys(model))
    known = {k.variable for k in keys}
    mappings = tuple(k.variable + ENV_DELIMITER for k in keys if k.mapping)
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known or is_non_setting_variable(upper):
            continue
        if upper.startswith(mappings):
            continue  # TOKENRADAR_SCORING__ALLOWLIST__<key>: data, not a setting name
        # compare without the shared prefix, or everything looks close to everything
        rest = [k.removeprefix(ENV_PREFIX) for k in sorted(known)]
        close = difflib.get_close_matches(upper.removeprefix(ENV_PREFIX), rest, n=1)
        hint = (
            f"did you mean {ENV_PREFIX}{close[0]}?"
            if close
            else "the settings are listed in docs/configuration.md"
        )
        raise ConfigError(
            name,
            f"not a setting ({ENV_PREFIX}<SECTION>__<KEY>, '{ENV_DELIMITER}' between levels); "
            f"{hint}",
        )


# ---------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------


def check_file_flags(
    data: Mapping[str, object], model: type[BaseModel], origin: str, prefix: str = ""
) -> None:
    """Raise :class:`ConfigError` for a flag the file gives as anything but ``true``/``false``.

    Unknown keys are left to validation, which names them.
    """
    children = {key.path[-1]: key for key in _children(model, ())}
    for spelling, value in data.items():
        key = children.get(spelling)
        if key is None:
            continue
        dotted = f"{prefix}{spelling}"
        if key.model is not None and isinstance(value, Mapping):
            check_file_flags(value, key.model, origin, f"{dotted}.")
        elif key.field.annotation is bool and not isinstance(value, bool):
            raise ConfigError(dotted, f"expected true or false, got {value!r} (in {origin})")
