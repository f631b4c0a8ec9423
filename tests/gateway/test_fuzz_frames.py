"""Property-based test (hypothesis) of web chat frames on the real gateway: whatever a client
sends, the gateway answers or ignores it, the socket keeps working and the next good message is stored."""
from __future__ import annotations

import itertools
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import flow, store

from .conftest import frames_until

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                           max_leaves=12)
frame_like = st.fixed_dictionaries({}, optional={
    "type": st.one_of(st.sampled_from(["message", "button", "ping", "typing", "session", ""]), json_values),
    "text": json_values, "payload": json_values,
    "id": st.one_of(text, json_values, st.text(min_size=60, max_size=80)),
}).map(json.dumps)
frames = st.lists(st.one_of(text, frame_like, json_values.map(json.dumps), st.binary(max_size=100)),
                  min_size=1, max_size=5)
_n = itertools.count()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(sent=frames)
async def test_no_frame_breaks_the_socket_or_loses_the_next_message(gateway, monkeypatch, sent):
    monkeypatch.setattr(flow, "RASA_RETRIES", ())
    async with gateway.ws() as ws:
        session = await ws.receive_json(timeout=10)
        for raw in sent:
            if isinstance(raw, bytes):
                await ws.send_bytes(raw)
            else:
                await ws.send_str(raw)
        good = f"good-{next(_n)}"
        await ws.send_json({"type": "message", "text": "waar is mijn pakket?", "id": good})
        await frames_until(ws, lambda f: f == {"type": "ack", "id": good}, limit=100, timeout=30)
        assert not ws.closed
    stored = store.find_inbound(gateway.db, "web", f"{store.hash_token(session['token'])[:16]}:{good}")
    assert stored is not None and stored["text"] == "waar is mijn pakket?"
