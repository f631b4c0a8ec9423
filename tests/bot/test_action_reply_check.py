"""The cheaper check of action-server replies (bot/components/action_reply_check.py) still checks.

Run inside the Rasa environment (.venv-rasa), the way the Rasa server imports it.
"""
from __future__ import annotations

import json
import subprocess

from helpdesk.paths import BOT_DIR, RASA_VENV
from helpdesk.train import rasa_env

SCRIPT = r"""
import json, components
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from components.action_reply_check import validate_action_result

action = RemoteAction.__new__(RemoteAction)
out = {"installed": RemoteAction._validate_action_result is validate_action_result}
good = {"events": [{"event": "slot", "name": "language", "value": "nl", "timestamp": None}],
        "responses": [{"text": "Hallo!", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]}
out["good"] = action._validate_action_result(good)
for name, bad in {"event_not_a_string": {"events": [{"event": 5}]},
                  "unknown_event": {"events": [{"event": "no-such-event"}]}}.items():
    try:
        action._validate_action_result(bad)
        out[name] = "accepted"
    except ValidationError as exc:
        out[name] = exc.message
print(json.dumps(out))
"""


def test_good_replies_pass_and_bad_ones_raise_with_rasas_hint():
    proc = subprocess.run([str(RASA_VENV / "bin" / "python"), "-c", SCRIPT], cwd=BOT_DIR, env=rasa_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["installed"] is True
    assert out["good"] is True
    for name in ("event_not_a_string", "unknown_event"):
        assert out[name] != "accepted", name
        assert "Failed to validate Action server response" in out[name]
