"""Rasa's own evaluation, run from pytest: test stories (NL+FR) and the held-out NLU split.

One `rasa test` process for both (the model loads once); figures are printed and also available
with `.venv/bin/python bench/rasa_eval.py`.
"""
import importlib.util

import pytest

from helpdesk.paths import ROOT

pytestmark = pytest.mark.slow
INTENT_ACCURACY_TARGET = 0.95  # the target, reported by bench/rasa_eval.py
# The test floor sits a little below the target: TensorFlow training on 2 threads is not bit-for-bit
# repeatable, and a 234-message split moves ~0.4 point per message. Below 0.93 is a real regression.
INTENT_ACCURACY_FLOOR = 0.93
ENTITY_F1_MIN = 0.85


def _rasa_eval():
    spec = importlib.util.spec_from_file_location("rasa_eval", ROOT / "bench" / "rasa_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    rasa_eval = _rasa_eval()
    out = tmp_path_factory.mktemp("rasa_test")
    rasa_eval.run_rasa_test(out)
    return rasa_eval.nlu_figures(out), rasa_eval.story_figures(out)


def test_all_test_stories_pass(evaluation):
    _, stories = evaluation
    assert stories["stories"] >= 16
    assert stories["failed"] == []


def test_heldout_intent_accuracy(evaluation):
    nlu, _ = evaluation
    print("held-out NLU:", {k: nlu[k] for k in ("intent_accuracy", "intent_macro_f1", "per_language", "entity_f1_micro")})
    for text, gold, predicted in nlu["intent_errors"]:
        print(f"  wrong: {text!r} {gold} -> {predicted}")
    assert set(nlu["per_language"]) == {"nl", "fr"}
    assert nlu["intent_accuracy"] >= INTENT_ACCURACY_FLOOR


def test_heldout_entity_f1(evaluation):
    nlu, _ = evaluation
    assert nlu["entity_f1_micro"] >= ENTITY_F1_MIN, nlu["entity_f1_per_entity"]
