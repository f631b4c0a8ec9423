"""The one settings object: README's table lists exactly its fields, values are parsed once, bad
values are named in the error."""
from __future__ import annotations

import re

import pytest

from helpdesk import settings
from helpdesk.paths import ROOT

# Meta settings that steer how settings are read rather than being settings of the helpdesk.
META = {"HELPDESK_DOTENV"}


def readme_settings() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def test_readme_table_lists_every_setting_and_nothing_else():
    fields = set(settings.Settings.model_fields)
    documented = readme_settings()
    assert fields - documented == set(), "settings missing from README's table"
    assert documented - fields - META == set(), "README documents settings nobody reads"


def test_values_are_parsed_once_with_one_rule(monkeypatch):
    monkeypatch.setenv("TRUST_PROXY_HEADERS", "yes")
    monkeypatch.setenv("IMAP_SSL", "0")
    monkeypatch.setenv("HELPDESK_PORT", "9123")
    monkeypatch.setenv("SMTP_FROM", "")  # empty means unset
    current = settings.current()
    assert current.TRUST_PROXY_HEADERS is True and current.IMAP_SSL is False
    assert current.IMAP_PORT == 143  # derived from IMAP_SSL
    assert current.PUBLIC_URL == "http://127.0.0.1:9123"  # derived from HELPDESK_PORT
    assert current.SMTP_FROM is None
    assert current["HELPDESK_PORT"] == 9123 and current.get("SMTP_FROM", "x") == "x"


def test_overrides_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("SHOP_NAME", "From env")
    assert settings.load({"SHOP_NAME": "From test"}).SHOP_NAME == "From test"
    assert settings.load().SHOP_NAME == "From env"


def test_a_bad_value_names_the_setting(monkeypatch):
    monkeypatch.setenv("RASA_PORT", "five")
    with pytest.raises(SystemExit, match="RASA_PORT"):
        settings.current()


def test_dotenv_is_read_unless_switched_off(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("SHOP_NAME=From dotenv\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOP_NAME", raising=False)
    monkeypatch.setattr(settings.Settings, "model_config",
                        {**settings.Settings.model_config, "env_file": (tmp_path / ".env",)})
    monkeypatch.setenv("HELPDESK_DOTENV", "1")
    assert settings.load().SHOP_NAME == "From dotenv"
    monkeypatch.setenv("SHOP_NAME", "From env")  # the environment beats .env
    assert settings.load().SHOP_NAME == "From env"
    monkeypatch.delenv("SHOP_NAME")
    monkeypatch.setenv("HELPDESK_DOTENV", "0")
    assert settings.load().SHOP_NAME == "AutoParts Shop"
