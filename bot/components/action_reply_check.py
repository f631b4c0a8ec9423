"""Rasa checks every action-server reply against a JSON schema; this makes that check cheap.

Why: Rasa 3.6 calls `jsonschema.validate(reply, schema)` for each custom-action call, and that
function validates the *schema itself* against the draft 2020-12 metaschema every time before
it looks at the reply: 53 ms per call with jsonschema 4.17 on these machines. A web-chat turn
makes two or three such calls (slot validation, the form or FAQ action), so this check alone was
over half of the Rasa server's CPU per turn and the main reason for the tail latency under load
(`bench/load.py`). Here the same schema is compiled once into a Draft 7 validator (0.7 ms per
call); a bad reply still raises the same `ValidationError` with Rasa's hint appended.

Installed when the `components` package is imported, which Rasa does when it loads a model
whose pipeline names `components.muse_featurizer.MuseFeaturizer` (bot/config.yml).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

_VALIDATOR: Optional[Any] = None


def _validator() -> Any:
    global _VALIDATOR
    if _VALIDATOR is None:
        from jsonschema import Draft7Validator
        from rasa.core.actions.action import RemoteAction

        schema = RemoteAction.action_response_format_spec()
        Draft7Validator.check_schema(schema)  # once, instead of on every call
        _VALIDATOR = Draft7Validator(schema)
    return _VALIDATOR


def validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """Drop-in for `RemoteAction._validate_action_result`: same outcome, schema compiled once."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def install() -> None:
    """Replace Rasa's per-call schema check; a Rasa without that method is left alone."""
    try:
        from rasa.core.actions.action import RemoteAction
    except ImportError:  # imported outside a Rasa environment (e.g. by a linter)
        return
    if hasattr(RemoteAction, "_validate_action_result"):
        RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
