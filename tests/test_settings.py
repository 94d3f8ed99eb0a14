from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tokenradar
from tokenradar.errors import ConfigError
from tokenradar.settings import Rate, Settings, load_settings
from tokenradar.settings.sources import check_environment, setting_keys
from tokenradar.settings.values import strict_flag

CONTRACT_TOML = """
[providers.dexscreener]
base_url = "http://127.0.0.1:9000/dex"
rate = "300/60s"
max_batch = 30
[providers.solana_rpc]
url = "https://api.mainnet-beta.solana.com"
rate = "100/10s"
method_rate = "40/10s"
max_in_flight = 40
[providers.rugcheck]
base_url = "https://api.rugcheck.xyz"
rate = "auto"
[providers.jupiter]
base_url = "https://api.jup.ag"
rate = "30/60s"
max_batch = 50
api_key = "secret"
[storage]
url = "sqlite:///tokenradar.db"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tokenradar.toml"
    path.write_text(text)
    return path


def test_defaults_point_at_the_real_public_apis() -> None:
    s = load_settings()
    assert s.providers.dexscreener.base_url == "https://api.dexscreener.com"
    assert s.providers.dexscreener.rate == Rate(300, 60)
    assert s.providers.solana_rpc.method_rate == Rate(40, 10)
    assert s.providers.rugcheck.rate is None  # auto
    assert s.providers.solana_rpc.websocket_url == "wss://api.mainnet-beta.solana.com"


def test_contract_file_loads(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, CONTRACT_TOML))
    assert s.providers.dexscreener.base_url == "http://127.0.0.1:9000/dex"
    assert s.providers.jupiter.max_batch == 50
    assert s.providers.jupiter.api_key is not None
    assert s.providers.jupiter.api_key.get_secret_value() == "secret"
    assert "secret" not in repr(s)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("300/60s", Rate(300, 60)),
        ("5/1m", Rate(5, 60)),
        ("1/2s", Rate(1, 2)),
        ("10/s", Rate(10, 1)),
    ],
)
def test_rate_forms(text: str, expected: Rate) -> None:
    assert Rate.parse(text) == expected


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENRADAR_PROVIDERS__DEXSCREENER__RATE", "120/60s")
    monkeypatch.setenv("TOKENRADAR_STORAGE__URL", "postgresql://u@h:5432/db")
    s = load_settings(write(tmp_path, CONTRACT_TOML))
    assert s.providers.dexscreener.rate == Rate(120, 60)
    assert s.providers.dexscreener.base_url == "http://127.0.0.1:9000/dex"  # kept from the file
    assert s.storage.url == "postgresql://u@h:5432/db"


@pytest.mark.parametrize(
    ("toml", "key", "hint"),
    [
        ('[providers.dexscreener]\nrate = "fast"', "providers.dexscreener.rate", "300/60s"),
        ("[providers.dexscreener]\nmax_batch = 31", "providers.dexscreener.max_batch", "30"),
        ("[providers.jupiter]\ntimeout = -1", "providers.jupiter.timeout", "greater than 0"),
        ('[providers.rugcheck]\nbase_url = "ftp://x"', "providers.rugcheck.base_url", "http"),
        ('[storage]\nurl = "mysql://x"', "storage.url", "sqlite:///"),
        ("[providers.dexscreener]\nrat = 1", "providers.dexscreener.rat", "unknown key"),
        ("[nonsense]\nx = 1", "nonsense", "unknown key"),
    ],
)
def test_bad_value_is_rejected_naming_the_key(
    tmp_path: Path, toml: str, key: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, toml))
    assert info.value.key == key
    assert hint in str(info.value)


def test_bad_environment_value_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENRADAR_PROVIDERS__SOLANA_RPC__METHOD_RATE", "lots")
    with pytest.raises(ConfigError, match=r"providers\.solana_rpc\.method_rate.*environment"):
        load_settings()


def test_broken_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[providers\n"))
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "missing.toml")


# ---------------------------------------------------------------------------
# Layering
# ---------------------------------------------------------------------------


def test_loading_settings_imports_neither_flow_nor_scoring() -> None:
    # A subprocess: this test session has imported everything already.
    src = Path(tokenradar.__file__).parents[1]
    code = (
        "import sys, tokenradar.settings\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('tokenradar')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "tokenradar.settings" in out
    upper_layers = ("tokenradar.flow", "tokenradar.scoring", "tokenradar.providers")
    assert [m for m in out if m.startswith(upper_layers)] == []


def test_the_moved_models_keep_their_old_import_paths() -> None:
    from tokenradar.flow import config as flow_config
    from tokenradar.scoring import policy
    from tokenradar.settings import scoring, tiers, values

    assert flow_config.TiersSettings is tiers.TiersSettings
    assert flow_config.Freshness is tiers.Freshness
    assert flow_config.parse_duration is values.parse_duration
    assert policy.ScoringSettings is scoring.ScoringSettings
    assert policy.CheckPolicy is scoring.CheckPolicy
    assert policy.CHECK_NAMES == scoring.CHECK_NAMES


# ---------------------------------------------------------------------------
# Limits that can never be met
# ---------------------------------------------------------------------------


def test_a_method_rate_below_one_holders_batch_is_refused_naming_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the reported hang: a holders batch costs 20 calls, a 10/10s window never fits it
    monkeypatch.setenv("TOKENRADAR_PROVIDERS__SOLANA_RPC__METHOD_RATE", "10/10s")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.key == "providers.solana_rpc.method_rate"
    message = str(info.value)
    assert "10/10s cannot fit one holders batch of 20 calls" in message
    assert "use at least 20/10s or lower max_batch to 10" in message


def test_a_host_rate_below_one_holders_batch_is_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, '[providers.solana_rpc]\nrate = "5/1s"'))
    assert info.value.key == "providers.solana_rpc.rate"
    assert "use at least 20/1s or lower max_batch to 5" in str(info.value)


def test_a_smaller_holders_batch_makes_a_low_method_rate_fit(tmp_path: Path) -> None:
    s = load_settings(
        write(tmp_path, '[providers.solana_rpc]\nmethod_rate = "10/10s"\nmax_batch = 10')
    )
    assert s.providers.solana_rpc.holders_batch == 10


@pytest.mark.parametrize("method_rate", ["20/10s", "0.5/1s", "10/10s"])
def test_every_rpc_limit_that_loads_admits_the_largest_holders_batch(
    tmp_path: Path, method_rate: str
) -> None:
    from tokenradar.flow.budgets import provider_budgets

    try:
        s = load_settings(write(tmp_path, f'[providers.solana_rpc]\nmethod_rate = "{method_rate}"'))
    except ConfigError:
        return  # refused at load: never reaches a lane
    rpc = s.providers.solana_rpc
    budget = provider_budgets(s.providers)["solana_rpc"]
    permit = budget.try_acquire("getTokenLargestAccounts", rpc.holders_batch)
    assert permit is not None


def test_scan_with_an_unsatisfiable_method_rate_exits_with_the_key_instead_of_hanging() -> None:
    src = Path(tokenradar.__file__).parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "TOKENRADAR_PROVIDERS__SOLANA_RPC__METHOD_RATE": "10/10s",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tokenradar.cli", "scan", "--demo", "30", "--facets", "holders"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "providers.solana_rpc.method_rate" in done.stderr


# ---------------------------------------------------------------------------
# Rate forms
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "shown"),
    [
        ("0.5/1s", Rate(1, 2.0), "1/2s"),
        ("2.5/1s", Rate(5, 2.0), "5/2s"),
        ("0.25/1m", Rate(1, 240.0), "1/240s"),
        ("1.5/500ms", Rate(3, 1.0), "3/1s"),
        ("1/1d", Rate(1, 86400.0), "1/86400s"),
        ("1000/2d", Rate(1000, 172800.0), "1000/172800s"),
    ],
)
def test_fractional_counts_become_whole_requests_at_the_same_average_rate(
    text: str, expected: Rate, shown: str
) -> None:
    rate = Rate.parse(text)
    assert rate == expected
    assert isinstance(rate.count, int)
    assert str(rate) == shown
    assert Rate.parse(str(rate)) == rate


@pytest.mark.parametrize("count", [0.5, 0, -1, 2.5, True])
def test_a_rate_is_never_built_with_less_than_one_whole_request(count: float) -> None:
    with pytest.raises(ValueError, match="whole number"):
        Rate(count, 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["rate", "feed_rate"])
def test_a_fractional_rate_loads_and_its_limiter_admits_a_request(tmp_path: Path, key: str) -> None:
    from tokenradar.flow.budgets import provider_budgets

    s = load_settings(write(tmp_path, f'[providers.dexscreener]\n{key} = "0.5/1s"'))
    assert getattr(s.providers.dexscreener, key) == Rate(1, 2.0)
    budget = provider_budgets(s.providers)["dexscreener"]
    assert budget.try_acquire("tokens" if key == "rate" else "profiles") is not None


def test_a_fractional_rate_is_dumped_in_its_normalised_form(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, '[providers.jupiter]\nrate = "0.5/1s"'))
    assert s.model_dump()["providers"]["jupiter"]["rate"] == "1/2s"


# ---------------------------------------------------------------------------
# Flags and the file's encoding
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[providers.dexscreener]\nenabled = "yes"', "providers.dexscreener.enabled"),
        ("[providers.dexscreener]\nenabled = 1", "providers.dexscreener.enabled"),
        ('[providers.jupiter]\nenabled = "true"', "providers.jupiter.enabled"),
        ("[storage]\nauto_upgrade = 0", "storage.auto_upgrade"),
        ("[scoring.checks.mint_authority]\ngate = 1", "scoring.checks.mint_authority.gate"),
        ('[scoring]\nbuiltin_allowlist = "false"', "scoring.builtin_allowlist"),
    ],
)
def test_a_flag_in_the_file_must_be_true_or_false(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, toml))
    assert info.value.key == key
    assert "expected true or false" in str(info.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("FALSE", False), ("1", True), ("0", False), ("False", False)],
)
def test_a_flag_in_the_environment_takes_true_false_1_0(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("TOKENRADAR_PROVIDERS__RUGCHECK__ENABLED", value)
    assert load_settings().providers.rugcheck.enabled is expected


@pytest.mark.parametrize("value", ["yes", "on", "2", "", "t"])
def test_a_flag_in_the_environment_refuses_other_words(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TOKENRADAR_PROVIDERS__RUGCHECK__ENABLED", value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.key == "providers.rugcheck.enabled"
    assert "expected true or false" in str(info.value)


def test_every_flag_in_the_settings_tree_is_strict() -> None:
    # a subclass that re-declares ``gate: bool`` would drop the strict validator
    loose = [
        key.dotted
        for key in setting_keys(Settings)
        if key.field.annotation is bool
        and not any(getattr(m, "func", None) is strict_flag for m in key.field.metadata)
    ]
    assert loose == []


def test_a_config_file_starting_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "tokenradar.toml"
    path.write_bytes(CONTRACT_TOML.encode("utf-8-sig"))
    s = load_settings(path)
    assert s.providers.dexscreener.base_url == "http://127.0.0.1:9000/dex"


# ---------------------------------------------------------------------------
# Environment variable names
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("TOKENRADAR_STORAGE_URL", "TOKENRADAR_STORAGE__URL"),
        ("TOKENRADAR_STORAGEE__URL", "TOKENRADAR_STORAGE__URL"),
        ("TOKENRADAR_PROVIDERS__DEXSCREENER__RATES", "TOKENRADAR_PROVIDERS__DEXSCREENER__RATE"),
        ("tokenradar_storage_url", "TOKENRADAR_STORAGE__URL"),
        ("TOKENRADAR_BOGUS", ""),
    ],
)
def test_an_unknown_tokenradar_variable_is_refused_naming_the_nearest_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, suggestion: str
) -> None:
    monkeypatch.setenv(name, "sqlite:///elsewhere.db")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.key == name
    assert "not a setting" in str(info.value)
    assert f"did you mean {suggestion}?" in str(info.value) if suggestion else True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TOKENRADAR_STORAGE__URL", "sqlite:///x.db"),
        ("tokenradar_storage__url", "sqlite:///x.db"),  # read case-insensitively
        ("TOKENRADAR_STORAGE__SCHEMA", "radar"),  # the alias ...
        ("TOKENRADAR_STORAGE__SCHEMA_NAME", "radar"),  # ... and the field name
        ("TOKENRADAR_STORAGE", '{"url": "sqlite:///x.db"}'),  # a whole table as JSON
        (
            "TOKENRADAR_SCORING__ALLOWLIST",
            '{"solana:So11111111111111111111111111111111111111112": "x"}',
        ),
        ("TOKENRADAR_TIERS__HOLDERS__AFTER_LAUNCH", "2m"),
        ("TOKENRADAR_TEST_POSTGRES_URL", "postgresql://u@h/db"),
        ("TOKENRADAR_REQUIRE_SERVICES", "1"),
        ("TOKENRADAR_CRASH_SEED", "7"),
    ],
)
def test_setting_and_known_non_setting_variables_are_accepted(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    load_settings()


def test_every_tokenradar_variable_the_repository_reads_is_accepted() -> None:
    # the settings package, this file and the configuration reference name typos
    # on purpose; everything else that mentions a variable reads or sets it
    root = Path(__file__).parents[1]
    settings_pkg = root / "src" / "tokenradar" / "settings"
    files = [
        path
        for path in [*(root / "src").rglob("*.py"), *(root / "tests").rglob("*.py")]
        if settings_pkg not in path.parents and path != Path(__file__)
    ]
    files += [root / ".ci" / "run", root / "pyproject.toml", root / "README.md"]
    files += [p for p in (root / "docs").glob("*.md") if p.name != "configuration.md"]
    names = {
        name
        for path in files
        if path.exists()
        for name in re.findall(r"TOKENRADAR_[A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8"))
    }
    assert "TOKENRADAR_CRASH_SEED" in names  # the scan sees what it should
    for name in sorted(names):
        check_environment({name: "x"}, Settings)  # raises ConfigError naming it


# ---------------------------------------------------------------------------
# [budget]
# ---------------------------------------------------------------------------


def test_budget_waits_for_a_shared_quota_by_default_without_a_time_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in ("ON_SHARED_QUOTA", "SHARED_QUOTA_TIMEOUT", "LOCK_DIR"):
        monkeypatch.delenv(f"TOKENRADAR_BUDGET__{key}", raising=False)  # a test run may set them
    budget = load_settings().budget
    assert budget.on_shared_quota == "wait"
    assert budget.shared_quota_timeout is None
    assert budget.lock_dir is None


def test_budget_keys_load_from_the_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, f'[budget]\non_shared_quota = "warn"\nlock_dir = "{tmp_path}"\n')
    monkeypatch.delenv("TOKENRADAR_BUDGET__LOCK_DIR", raising=False)  # the suite's own dir
    monkeypatch.setenv("TOKENRADAR_BUDGET__SHARED_QUOTA_TIMEOUT", "2m")
    budget = load_settings(path).budget
    assert (budget.on_shared_quota, budget.shared_quota_timeout) == ("warn", 120.0)
    assert budget.lock_dir == tmp_path


def test_an_unknown_shared_quota_policy_is_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, '[budget]\non_shared_quota = "queue"\n'))
    assert info.value.key == "budget.on_shared_quota"
    assert "'wait', 'warn' or 'ignore'" in str(info.value)


# [discovery]
# ---------------------------------------------------------------------------

PUMPFUN = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
RAYDIUM_V4 = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"


def test_discovery_defaults_listen_to_pump_fun_and_poll_both_feeds() -> None:
    d = load_settings().discovery
    assert d.programs == (PUMPFUN,)
    assert (d.logs, d.backfill, d.profiles, d.boosts) == (True, True, True, True)
    assert d.ping_interval < d.silence_timeout <= 30.0  # idle sockets are cut after ~30 s
    assert 60 / d.profiles_interval + 60 / d.boosts_interval <= 60  # the feeds' 60/min


@pytest.mark.parametrize(
    "value",
    [f"{PUMPFUN},{RAYDIUM_V4}", f'["{PUMPFUN}", "{RAYDIUM_V4}"]', f" {PUMPFUN} , {RAYDIUM_V4}"],
)
def test_discovery_programs_in_the_environment_are_a_json_array_or_a_comma_list(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TOKENRADAR_DISCOVERY__PROGRAMS", value)
    assert load_settings().discovery.programs == (PUMPFUN, RAYDIUM_V4)


@pytest.mark.parametrize(
    ("toml", "key", "hint"),
    [
        ('[discovery]\nprograms = ["nope"]', "discovery.programs", "base-58"),
        (f'[discovery]\nprograms = ["{PUMPFUN}", "{PUMPFUN}"]', "discovery.programs", "twice"),
        ("[discovery]\nprograms = []", "discovery.programs", "logs = false"),
        ('[discovery]\nping_interval = "30s"', "discovery.silence_timeout", "ping_interval"),
        ('[discovery]\nreconnect_initial = "1m"', "discovery.reconnect_initial", "reconnect_max"),
        ("[discovery]\nbackfill_page_size = 1001", "discovery.backfill_page_size", "1000"),
        ("[discovery]\nmax_message_size = 1024", "discovery.max_message_size", "65536"),
        ('[discovery]\nprofiles = "yes"', "discovery.profiles", "true or false"),
    ],
)
def test_a_bad_discovery_setting_is_refused_naming_the_key(
    tmp_path: Path, toml: str, key: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, toml))
    assert info.value.key == key
    assert hint in str(info.value)


def test_no_programs_is_fine_when_the_logs_source_is_off(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, "[discovery]\nlogs = false\nprograms = []"))
    assert s.discovery.programs == ()


def test_a_program_without_a_known_creation_pattern_is_refused_at_start() -> None:
    from tokenradar.discovery import Discovery

    unknown = "11111111111111111111111111111111"
    settings = Settings.model_validate({"discovery": {"programs": [unknown]}})
    with pytest.raises(ConfigError) as info:
        Discovery(settings, on_new=lambda _e: None)
    assert info.value.key == "discovery.programs"
    assert "raydium-amm-v4" in str(info.value)
