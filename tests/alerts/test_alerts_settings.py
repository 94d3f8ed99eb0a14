"""The ``[alerts]`` settings: defaults per rule, partial tables, sinks that must be complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenradar.errors import ConfigError
from tokenradar.settings import AlertLevel, load_settings
from tokenradar.settings.alerts import AlertsSettings
from tokenradar.settings.values import Rate


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tokenradar.toml"
    path.write_text(text)
    return path


def test_defaults_log_everything_and_post_nowhere() -> None:
    s = AlertsSettings()
    assert s.sinks.log.enabled
    assert s.sinks.log.min_level is AlertLevel.INFO
    assert not any(x.enabled for name, x in s.sinks.by_name().items() if name != "log")
    assert s.rules.watched_rug.level is AlertLevel.CRITICAL
    assert s.max_cooldown == 6 * 3600


def test_a_rule_table_changes_only_the_keys_it_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[alerts.rules.tier_changed]\ncooldown = "1h"\nto = ["hot", "warm"]\n'
        "[alerts.rules.part_restarted]\nenabled = false\n",
    )
    rules = load_settings(path).alerts.rules
    assert rules.tier_changed.cooldown == 3600
    assert rules.tier_changed.level is AlertLevel.INFO  # the rule's own default
    assert [t.value for t in rules.tier_changed.to] == ["hot", "warm"]
    assert not rules.part_restarted.enabled
    assert rules.part_restarted.level is AlertLevel.WARNING
    assert rules.part_restarted.cooldown == 600


def test_an_environment_variable_changes_one_rule_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENRADAR_ALERTS__RULES__BUY_CANDIDATE__LEVEL", "CRITICAL")
    rules = load_settings().alerts.rules
    assert rules.buy_candidate.level is AlertLevel.CRITICAL  # levels in any case
    assert rules.buy_candidate.cooldown == 3600


def test_an_unknown_level_is_refused_naming_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[alerts.sinks.log]\nmin_level = "loud"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == "alerts.sinks.log.min_level"


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[alerts.sinks.slack]\nenabled = true\n", "alerts.sinks.slack.url"),
        ("[alerts.sinks.discord]\nenabled = true\n", "alerts.sinks.discord.url"),
        ("[alerts.sinks.webhook]\nenabled = true\n", "alerts.sinks.webhook.url"),
        (
            '[alerts.sinks.telegram]\nenabled = true\nchat_id = "-100123"\n',
            "alerts.sinks.telegram.bot_token",
        ),
        (
            '[alerts.sinks.telegram]\nenabled = true\nbot_token = "1:x"\n',
            "alerts.sinks.telegram.chat_id",
        ),
    ],
)
def test_an_enabled_sink_without_its_address_is_refused_naming_it(
    tmp_path: Path, toml: str, key: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, toml))
    assert info.value.key == key
    assert "the sink is enabled" in str(info.value)


def test_a_sink_rate_takes_the_rate_form_and_refuses_auto(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, '[alerts.sinks.log]\nrate = "30/1m"\n'))
    assert s.alerts.sinks.log.rate == Rate(30, 60.0)
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, '[alerts.sinks.log]\nrate = "auto"\n'))
    assert info.value.key == "alerts.sinks.log.rate"


def test_a_flag_in_the_alerts_tables_must_be_true_or_false(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, '[alerts.sinks.slack]\nblocks = "yes"\n'))
    assert info.value.key == "alerts.sinks.slack.blocks"


def test_secrets_are_kept_secret_in_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENRADAR_ALERTS__SINKS__TELEGRAM__ENABLED", "1")
    monkeypatch.setenv("TOKENRADAR_ALERTS__SINKS__TELEGRAM__BOT_TOKEN", "123:s3cr3t")
    monkeypatch.setenv("TOKENRADAR_ALERTS__SINKS__TELEGRAM__CHAT_ID", "@tokenradar_alerts")
    monkeypatch.setenv("TOKENRADAR_ALERTS__SINKS__SLACK__URL", "https://hooks.slack.com/s3cr3t")
    s = load_settings()
    telegram = s.alerts.sinks.telegram
    assert telegram.bot_token is not None
    assert telegram.bot_token.get_secret_value() == "123:s3cr3t"
    assert "s3cr3t" not in repr(s)
    assert "s3cr3t" not in str(s.model_dump())


def test_a_chat_id_is_a_number_or_a_channel_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, '[alerts.sinks.telegram]\nchat_id = "my chat"\n'))
    assert info.value.key == "alerts.sinks.telegram.chat_id"
