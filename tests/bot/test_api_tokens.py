"""Rasa's HTTP API and the action server refuse callers without the install's token (issue 12);
the real stack (Rasa -> action server, gateway -> Rasa) still works with it.

Uses the shared real stack (tests/support/rasa_stack.py), started with `--auth-token` and the
token-checking action server (actions/server.py).
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def _status(method: str, url: str, body: object = None, headers: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


WEBHOOK_CALL = {"next_action": "action_answer_faq", "sender_id": "token-test",
                "tracker": {"sender_id": "token-test", "slots": {}, "latest_message": {"text": "factuur"},
                            "events": [], "paused": False, "followup_action": None,
                            "active_loop": {}, "latest_action_name": "action_listen"},
                "domain": {"slots": {}, "responses": {}}}


def test_rasa_api_refuses_calls_without_the_token(rasa_stack):
    tracker = f"{rasa_stack.rasa_url}/conversations/token-test/tracker"
    assert _status("GET", tracker) == 401
    assert _status("GET", tracker + "?token=wrong") == 401
    assert _status("POST", tracker + "/events", [{"event": "slot", "name": "handoff", "value": None}]) == 401
    assert _status("GET", f"{tracker}?token={rasa_stack.token}") == 200


def test_action_server_refuses_calls_without_the_token(rasa_stack):
    webhook = f"{rasa_stack.actions_url}/webhook"
    assert _status("POST", webhook, WEBHOOK_CALL) == 401
    assert _status("POST", webhook + "?token=wrong", WEBHOOK_CALL) == 401
    assert _status("POST", webhook, WEBHOOK_CALL, {"Authorization": "Bearer wrong"}) == 401
    assert _status("GET", f"{rasa_stack.actions_url}/actions") == 401
    assert _status("POST", f"{webhook}?token={rasa_stack.actions_token}", WEBHOOK_CALL) == 200
    assert _status("GET", f"{rasa_stack.actions_url}/health") == 200  # probes need no token


def test_real_stack_still_answers_through_the_action_server(rasa_stack):
    replies = rasa_stack.say("token-test-2", "waar vind ik mijn factuur?", {"language": "nl", "channel": "web"})
    assert replies and any(r.get("text") for r in replies)
    events = rasa_stack.tracker("token-test-2")["events"]
    assert any(e.get("event") == "action" and e.get("name") == "action_answer_faq" for e in events), \
        "Rasa did not run the custom action (the action server refused Rasa?)"
