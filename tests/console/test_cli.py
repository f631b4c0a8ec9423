"""`helpdesk agents add|list|demo` as a user runs them: the real command, a real SQLite file."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from connectors import store
from connectors.console import accounts

HELPDESK = str(Path(sys.executable).parent / "helpdesk")


def run(db: Path, *args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "DEMO_AGENT_PASSWORD"}
    full_env.update(HELPDESK_DB=str(db), **(env or {}))
    return subprocess.run([HELPDESK, "agents", *args], input=stdin, capture_output=True, text=True,
                          env=full_env, timeout=120)


def test_add_reads_password_from_stdin_and_stores_argon2(tmp_path):
    db = tmp_path / "h.db"
    result = run(db, "add", "Ann@Shop.be", "--name", "Ann Peeters", stdin="a long secret pass\n")
    assert result.returncode == 0, result.stderr
    assert "ann@shop.be" in result.stdout
    agent = accounts.get_by_email(store.open_db(db), "ann@shop.be")
    assert agent["role"] == "agent" and agent["name"] == "Ann Peeters"
    assert agent["password_hash"].startswith("$argon2id$")
    assert "a long secret pass" not in agent["password_hash"]
    assert accounts.check_password(agent["password_hash"], "a long secret pass")
    assert not accounts.check_password(agent["password_hash"], "a long secret pasS")

    listed = run(db, "list")
    assert listed.returncode == 0 and "ann@shop.be" in listed.stdout and "argon2" not in listed.stdout


def test_bad_input_is_refused_and_nothing_stored(tmp_path):
    db = tmp_path / "h.db"
    short = run(db, "add", "ann@shop.be", "--name", "Ann", stdin="short\n")
    assert short.returncode != 0 and "at least 10 characters" in short.stderr
    bad_email = run(db, "add", "not-an-email", "--name", "Ann", stdin="a long secret pass\n")
    assert bad_email.returncode != 0 and "not an email" in bad_email.stderr
    bad_role = run(db, "add", "ann@shop.be", "--name", "Ann", "--role", "god", stdin="a long secret pass\n")
    assert bad_role.returncode != 0
    no_password = run(db, "add", "ann@shop.be", "--name", "Ann", stdin="")
    assert no_password.returncode != 0 and "no password" in no_password.stderr
    assert accounts.list_all(store.open_db(db)) == []
    assert run(db, "add", "ann@shop.be", "--name", "Ann", stdin="a long secret pass\n").returncode == 0
    again = run(db, "add", "ann@shop.be", "--name", "Other", stdin="another long pass\n")
    assert again.returncode != 0 and "already exists" in again.stderr
    agent = accounts.get_by_email(store.open_db(db), "ann@shop.be")
    assert agent["name"] == "Ann" and accounts.check_password(agent["password_hash"], "a long secret pass")


def test_demo_prints_working_credentials_random_or_from_env(tmp_path):
    db = tmp_path / "h.db"
    first, second = run(db, "demo"), run(db, "demo")
    assert first.returncode == 0, first.stderr

    def password(out: str) -> str:
        return [line.split(":", 1)[1].strip() for line in out.splitlines() if "password:" in line][0]

    p1, p2 = password(first.stdout), password(second.stdout)
    assert p1 != p2 and len(p1) >= 10  # random per run, never a fixed demo password
    agent = accounts.get_by_email(store.open_db(db), "demo@helpdesk.local")
    assert agent["role"] == "admin" and accounts.check_password(agent["password_hash"], p2)
    fixed = run(db, "demo", env={"DEMO_AGENT_PASSWORD": "from the environment"})
    assert password(fixed.stdout) == "from the environment"
    assert "/agent" in fixed.stdout
