"""NLU figures on the held-out NL/FR split, and the dialogue test stories.

    .venv/bin/python bench/rasa_eval.py [--out DIR]

Runs `rasa test` (Rasa's own evaluation) on bot/models/helpdesk.tar.gz with
bot/tests/nlu/ (held-out messages, never in bot/data) and bot/tests/test_stories.yml, then prints
intent accuracy / F1 per language and overall, entity F1, and the story results.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk.paths import BOT_DIR  # noqa: E402
from helpdesk.train import ensure_model, rasa_bin, rasa_env  # noqa: E402

HOLDOUT = BOT_DIR / "tests" / "nlu"
STORIES = BOT_DIR / "tests" / "test_stories.yml"


def run_rasa_test(out: Path, what: str = "both") -> None:
    """One `rasa test` process (loads the model once) writing its reports into `out`."""
    model = ensure_model(echo=lambda m: print(m, file=sys.stderr))
    cmd = [str(rasa_bin()), "test"]
    if what in ("nlu", "core"):
        cmd.append(what)
    cmd += ["--model", str(model), "--out", str(out)]
    if what in ("both", "nlu"):
        cmd += ["--nlu", str(HOLDOUT)]
    if what in ("both", "core"):
        cmd += ["--stories", str(STORIES)]
    log = out / "rasa_test.log"
    out.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as fh:
        proc = subprocess.run(cmd, cwd=BOT_DIR, env=rasa_env(), stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"rasa test failed ({proc.returncode}), see {log}:\n" + log.read_text()[-3000:])


def nlu_figures(out: Path) -> dict:
    """Overall and per-language intent accuracy (from Rasa's per-message predictions) + entity F1."""
    intent_report = json.loads((out / "intent_report.json").read_text())
    errors = json.loads((out / "intent_errors.json").read_text()) if (out / "intent_errors.json").exists() else []
    entity_report_path = out / "DIETClassifier_report.json"
    entity = json.loads(entity_report_path.read_text()) if entity_report_path.exists() else {}
    per_lang = {}
    for path in sorted(HOLDOUT.glob("*.yml")):
        lang = path.stem.rsplit("_", 1)[-1]
        texts = set()
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith("- ") and not line.startswith("- intent:"):
                texts.add(_plain(line[2:]))
        wrong = sum(1 for e in errors if e["text"] in texts)
        per_lang[lang] = {"examples": len(texts), "errors": wrong, "accuracy": round(1 - wrong / max(1, len(texts)), 4)}
    return {
        "intent_accuracy": round(intent_report["accuracy"], 4),
        "intent_macro_f1": round(intent_report["macro avg"]["f1-score"], 4),
        "per_language": per_lang,
        "entity_f1_micro": round(entity.get("micro avg", {}).get("f1-score", 0.0), 4) if entity else None,
        "entity_f1_per_entity": {k: round(v["f1-score"], 3) for k, v in entity.items()
                                 if isinstance(v, dict) and "f1-score" in v and "avg" not in k},
        "intent_errors": [(e["text"], e["intent"], e["intent_prediction"]["name"]) for e in errors],
    }


def _plain(example: str) -> str:
    import re

    return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", example)


def story_figures(out: Path) -> dict:
    failed = out / "failed_test_stories.yml"
    failed_text = failed.read_text() if failed.exists() else ""
    names = [l.split(":", 1)[1].strip() for l in failed_text.splitlines() if l.strip().startswith("- story:")]
    total = sum(1 for l in STORIES.read_text().splitlines() if l.strip().startswith("- story:"))
    return {"stories": total, "failed": names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="rasa-eval-"))
    run_rasa_test(out)
    nlu = nlu_figures(out)
    stories = story_figures(out)
    print(f"held-out NLU: intent accuracy {nlu['intent_accuracy']:.3f} (macro F1 {nlu['intent_macro_f1']:.3f})")
    for lang, fig in nlu["per_language"].items():
        print(f"  {lang}: {fig['accuracy']:.3f} ({fig['errors']} errors / {fig['examples']})")
    print(f"  entity F1 (micro): {nlu['entity_f1_micro']}  per entity: {nlu['entity_f1_per_entity']}")
    for text, gold, predicted in nlu["intent_errors"]:
        print(f"  wrong: {text!r} {gold} -> {predicted}")
    print(f"test stories: {stories['stories'] - len(stories['failed'])}/{stories['stories']} pass"
          + (f"; failed: {stories['failed']}" if stories["failed"] else ""))
    print(f"reports in {out}")


if __name__ == "__main__":
    main()
