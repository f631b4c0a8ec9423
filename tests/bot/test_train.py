import shutil
import subprocess

from click.testing import CliRunner

from helpdesk import train
from helpdesk.paths import BOT_DIR


def copy_bot(tmp_path):
    target = tmp_path / "bot"
    for name in train.INPUTS:
        src = BOT_DIR / name
        if src.is_dir():
            shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            target.mkdir(exist_ok=True)
            shutil.copy(src, target / name)
    (target / "tests").mkdir()
    return target


def test_fingerprint_follows_training_inputs_only(tmp_path):
    bot = copy_bot(tmp_path)
    first = train.fingerprint(bot)
    assert train.fingerprint(bot) == first
    (bot / "tests" / "anything.yml").write_text("not a training input")
    assert train.fingerprint(bot) == first
    nlu = bot / "data" / "nlu" / "nl.yml"
    nlu.write_text(nlu.read_text() + "\n")
    assert train.fingerprint(bot) != first


def test_train_skips_when_nothing_changed(tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setattr(train, "MODELS_DIR", models)
    (models / "helpdesk.tar.gz").write_bytes(b"model")
    (models / "helpdesk.fingerprint").write_text(train.fingerprint() + "\n")

    def no_rasa(*args, **kwargs):
        raise AssertionError("rasa train must not run")

    monkeypatch.setattr(subprocess, "run", no_rasa)
    result = CliRunner().invoke(train.train, [])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    (models / "helpdesk.fingerprint").write_text("stale\n")
    result = CliRunner().invoke(train.train, [])
    assert result.exit_code != 0 and "rasa train must not run" in str(result.exception)
