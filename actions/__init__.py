"""Rasa action server (rasa-sdk): FAQ answers, order lookup form, handoff signal."""

from helpdesk import redact as _redact

_redact.install()  # the action server's logs never hold emails, phones, plates or order numbers
