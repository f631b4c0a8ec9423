"""Business hours for the gateway: the module lives in helpdesk/hours.py.

Why there: shops.yml (helpdesk/shops.py) validates each shop's `business_hours`, and the bot
actions and the FAQ engine read shops.yml but may not import the gateway (import layers in
pyproject.toml). The gateway keeps importing `connectors.hours` as before.
"""
from helpdesk.hours import (  # noqa: F401 - re-exported
    DAYS, DEFAULT_SPEC, DEFAULT_TZ, Range, Schedule, describe, from_settings, is_open, next_opening, parse,
)
