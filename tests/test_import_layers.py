"""The import layers in pyproject.toml ([tool.importlinter]) hold: no cycles, core below channels
and console, channels independent, actions/faq off the gateway, leaf modules leaves."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from helpdesk.paths import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", "pyproject.toml"], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def test_every_import_contract_is_kept():
    result = lint(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and " 7 kept" in result.stdout, result.stdout


def test_a_forbidden_import_breaks_the_lint(tmp_path):
    """The runner really fails: a throwaway package where the core imports a channel."""
    pkg = tmp_path / "gw"
    (pkg / "channels").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "channels" / "__init__.py").write_text("")
    (pkg / "channels" / "web.py").write_text("from gw import flow\n")
    (pkg / "flow.py").write_text("def receive():\n    from gw.channels import web  # forbidden\n")
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.importlinter]
        root_packages = ["gw"]
        [[tool.importlinter.contracts]]
        name = "core below channels"
        type = "layers"
        layers = ["gw.channels", "gw.flow"]
    """))
    result = lint(tmp_path, tmp_path)
    assert result.returncode != 0 and "BROKEN" in result.stdout, result.stdout + result.stderr
