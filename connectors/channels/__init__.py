"""Channel adapters: each folder translates one provider's wire format to and from the shared flow.

`ALL` is what the gateway installs (connectors.channel.install): a new channel is one folder with
an `adapter.py` exposing `CHANNEL`, plus one line here.
"""
from __future__ import annotations

from connectors.channel import Channel
from connectors.channels.email import adapter as _email
from connectors.channels.web import adapter as _web
from connectors.channels.whatsapp import adapter as _whatsapp

ALL: tuple[Channel, ...] = (_web.CHANNEL, _whatsapp.CHANNEL, _email.CHANNEL)
