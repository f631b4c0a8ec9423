"""shops.yml: the loader (lookups, defaults, reload) and `helpdesk shops check` (FILE:LINE: message)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpdesk import hours
from helpdesk import shops
from helpdesk.paths import ROOT

FIXTURES = Path(__file__).parent / "fixtures"
KNOWN = {"alpha", "beta"}

# fixture -> [(line, words in the message)], in the order the problems are reported
BROKEN = {
    "unknown_key.yml": [(10, "unknown key 'owner'"), (5, "unknown key 'colour'"), (9, "unknown key 'timzone'")],
    "missing_id.yml": [(5, "shop without 'id'")],
    "duplicate_id.yml": [(7, "duplicate shop id 'alpha' (first at line 3)")],
    "unknown_default.yml": [(4, "unknown default_shop 'gamma'")],
    "bad_hours.yml": [(5, "bad business_hours"), (8, "ends before it starts")],
    "bad_timezone.yml": [(6, "unknown timezone 'Europe/Brusels'")],
    "unknown_collection.yml": [(5, "unknown FAQ collection 'gamma'")],
    "bad_yaml.yml": [(6, "while scanning a quoted scalar at line 4")],
    "bad_values.yml": [(3, "bad id 'Alpha Shop'"), (7, "unknown language(s) de"),
                       (8, "default_language 'fr' is not one of"), (9, "not an E.164 number"),
                       (10, "bad email address"), (11, "bad widget origin"),
                       (1, "unknown default_shop 'alpha'")],
    "shared_number.yml": [(7, "whatsapp_from +3225550100 is also shop 'alpha'"),
                          (7, "email support@shared.example is also shop 'alpha'")],
}


@pytest.mark.parametrize("fixture", sorted(BROKEN))
def test_problems_name_file_and_line(fixture):
    path = FIXTURES / fixture
    loaded, problems = shops.parse(path, known_collections=KNOWN)
    assert loaded is None
    got = [(p.line, p.message) for p in problems]
    assert len(got) == len(BROKEN[fixture]), got
    for (line, words), (got_line, message) in zip(BROKEN[fixture], got):
        assert got_line == line and words in message, (fixture, got)
    assert all(str(p).startswith(f"{path}:{p.line}: ") for p in problems)


def test_good_file_lookups_and_defaults(monkeypatch):
    monkeypatch.setenv("BUSINESS_HOURS", "mon-sat 08:00-18:00")
    monkeypatch.setenv("BUSINESS_TZ", "Europe/Paris")
    loaded, problems = shops.parse(FIXTURES / "good.yml", known_collections=KNOWN)
    assert problems == [] and loaded is not None
    assert list(loaded.shops) == ["alpha", "beta"] and loaded.default().id == "alpha"
    alpha, beta = loaded.get("alpha"), loaded.get("beta")
    assert alpha.faq == ("alpha",) and beta.faq == ("beta", "alpha")  # faq defaults to [id]
    assert beta.languages == ("fr",) and beta.default_language == "fr"
    # hours/timezone fall back to BUSINESS_HOURS / BUSINESS_TZ (or the gateway's own schedule)
    assert (beta.business_hours, beta.timezone) == (None, None) and not beta.has_own_hours
    assert beta.schedule().days[5] and str(beta.schedule().tz) == "Europe/Paris"  # Saturday open
    fallback = hours.parse("always")
    assert beta.schedule(fallback) is fallback and alpha.schedule(fallback) is not fallback
    assert (alpha.business_hours, alpha.timezone) == ("mon-fri 09:00-17:00", "Europe/Brussels")
    # WhatsApp `To` arrives as whatsapp:+E164; the file may write spaces
    assert loaded.by_whatsapp_number("whatsapp:+3225550100") is alpha
    assert loaded.by_whatsapp_number("+33155550101") is beta
    assert loaded.by_whatsapp_number("whatsapp:+3299999999") is None
    # email: case, display names and +tags don't matter
    assert loaded.by_email_address('"Alpha" <support@alpha.EXAMPLE>') is alpha
    assert loaded.by_email_address("help+nl@alpha.example") is alpha
    assert loaded.by_email_address("SERVICE@beta.example") is beta
    assert loaded.by_email_address("someone@else.example") is None
    # origins: listed ones (trailing slash ignored), no Origin header = not a browser
    assert alpha.allows_origin("https://alpha.example") and not alpha.allows_origin("https://evil.example")
    assert alpha.allows_origin(None)
    assert beta.allows_origin("https://anything.example")  # WEBCHAT_ALLOWED_ORIGINS default "*"
    assert loaded.get("gamma") is None and loaded.get(None) is None


def test_module_functions_follow_the_file_and_keep_a_good_version(tmp_path, monkeypatch, caplog):
    path = tmp_path / "shops.yml"
    shutil.copy(FIXTURES / "good.yml", path)
    monkeypatch.setenv("SHOPS_FILE", str(path))
    monkeypatch.setattr(shops, "CHECK_INTERVAL", 0.0)
    assert shops.default().id == "alpha"
    assert shops.by_whatsapp_number("whatsapp:+33155550101").id == "beta"
    assert shops.by_whatsapp_number("whatsapp:+10000000000").id == "alpha"  # unknown -> default
    assert shops.by_email_address("x@y.example", "Beta <service@beta.example>").id == "beta"
    assert shops.by_email_address("x@y.example, service@beta.example").id == "beta"
    assert shops.by_email_address(None, "nobody@nowhere.example").id == "alpha"
    assert shops.collections_for("beta") == ["beta", "alpha"] and shops.collections_for("nope") is None
    assert shops.name_of("beta") == "Beta Vignettes"

    # an edit is picked up without a restart
    path.write_text(path.read_text().replace("Beta Vignettes", "Beta Renamed"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert shops.get("beta").name == "Beta Renamed"
    # a broken edit keeps the previous version and logs it
    path.write_text((FIXTURES / "duplicate_id.yml").read_text())
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    assert shops.get("beta").name == "Beta Renamed"
    assert "keeping the previous version" in caplog.text


def test_first_load_of_a_broken_file_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPS_FILE", str(FIXTURES / "missing_id.yml"))
    with pytest.raises(shops.ShopsError, match=r"missing_id.yml:5: shop without 'id'"):
        shops.load()


def test_shipped_shops_file_matches_the_faq_collections():
    loaded, problems = shops.parse(ROOT / "shops.yml", known_collections=shops.faq_collections())
    assert problems == []
    assert set(loaded.shops) == {"mister-auto", "oscaro", "evignette", "citroen-services", "cats"}
    assert loaded.default_shop in loaded.shops
    assert all(shop.faq == (shop.id,) for shop in loaded.shops.values())
    assert len({s.whatsapp_from for s in loaded.shops.values()}) == 5


def _helpdesk(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "helpdesk"), *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=60, cwd=str(ROOT))


def test_check_command(tmp_path):
    faq = tmp_path / "faq"
    for lang in ("nl", "fr"):
        (faq / lang).mkdir(parents=True)
        for c in KNOWN:
            (faq / lang / f"{c}.yml").write_text("[]\n")
    ok = _helpdesk(["shops", "check", str(FIXTURES / "good.yml")], FAQ_DIR=str(faq))
    assert ok.returncode == 0 and "OK: 2 shops" in ok.stdout, ok.stderr
    bad = _helpdesk(["shops", "check"], FAQ_DIR=str(faq), SHOPS_FILE=str(FIXTURES / "unknown_collection.yml"))
    assert bad.returncode == 1
    assert f"{FIXTURES / 'unknown_collection.yml'}:5: shop 'beta': unknown FAQ collection 'gamma'" in bad.stderr
    shipped = _helpdesk(["shops", "check"])
    assert shipped.returncode == 0 and "OK: 5 shops" in shipped.stdout, shipped.stderr
