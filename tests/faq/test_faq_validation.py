"""`helpdesk faq check` and the loader: every broken fixture is reported with file and line."""
from __future__ import annotations

import shutil

import pytest

from conftest import BROKEN, copy_base, run_cli
from faq.loader import FaqError, load_dir, load_entries

# fixture file (replaces nl/shop.yml) -> [(line, words in the message)]
CASES = {
    "bad_yaml.yml": [(7, "invalid YAML")],
    "missing_field.yml": [(8, "missing 'answer'")],
    "duplicate_id.yml": [(22, "duplicate id 'shop.invoice'")],
    "missing_translation.yml": [(22, "'shop.gift-card' has no FR translation")],
    "empty_answer.yml": [(12, "'answer' is empty"), (19, "'answer' is empty")],
    "long_answer.yml": [(12, "answer is 1199 characters (max 1000)")],
    "latin1.yml": [(11, "not valid UTF-8")],
    "not_a_list.yml": [(1, "must be a YAML list")],
    "bad_id.yml": [(1, "id 'Shop Invoice' must look like"), (8, "must start with the file's collection"),
                   (15, "missing 'answer'"), (19, "unknown key 'anwser'")],
}


def _broken_base(tmp_path, fixture: str):
    base = copy_base(tmp_path / "faq")
    shutil.copy(BROKEN / fixture, base / "nl" / "shop.yml")
    return base


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_loader_reports_file_and_line(tmp_path, fixture):
    base = _broken_base(tmp_path, fixture)
    problems = load_dir(base).problems
    found = [(p.line, p.message) for p in problems if p.file == str(base / "nl" / "shop.yml")]
    assert len(found) == len(CASES[fixture]), problems
    for (line, words), (got_line, message) in zip(CASES[fixture], found):
        assert got_line == line and words in message, (fixture, found)


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_broken_base_never_loads_partially(tmp_path, fixture):
    base = _broken_base(tmp_path, fixture)
    with pytest.raises(FaqError) as info:
        load_entries(base)
    assert f"{base / 'nl' / 'shop.yml'}:{CASES[fixture][0][0]}:" in str(info.value)


def test_check_cli_exits_nonzero_with_file_line(tmp_path):
    base = _broken_base(tmp_path, "duplicate_id.yml")
    done = run_cli(["faq", "check"], faq_dir=base)
    assert done.returncode != 0
    assert f"{base / 'nl' / 'shop.yml'}:22: duplicate id 'shop.invoice'" in done.stderr


def test_check_cli_accepts_valid_base_and_bom(tmp_path):
    base = _broken_base(tmp_path, "bom.yml")  # a UTF-8 BOM is fine
    done = run_cli(["faq", "check"], faq_dir=base)
    assert done.returncode == 0, done.stderr
    assert "3 NL and 3 FR entries" in done.stdout


def test_search_cli_refuses_broken_base(tmp_path):
    base = _broken_base(tmp_path, "missing_field.yml")
    done = run_cli(["faq", "search", "--json", "factuur"], faq_dir=base)
    assert done.returncode != 0
    assert done.stdout == ""
    assert f"{base / 'nl' / 'shop.yml'}:8: entry is missing 'answer'" in done.stderr


def test_missing_language_file_is_reported(tmp_path):
    base = copy_base(tmp_path / "faq")
    (base / "fr" / "shop.yml").unlink()
    problems = [str(p) for p in load_dir(base).problems]
    assert len(problems) == 3
    assert all("has no FR translation" in p for p in problems)
