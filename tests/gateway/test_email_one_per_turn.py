"""Email gets one email per bot turn (issue 10): Rasa cuts a bot text at blank lines into several
messages; the gateway glues plain texts of one turn back together for the email channel only."""
from connectors.flow import one_email_per_turn


def test_plain_texts_of_a_turn_become_one_message_and_the_rest_keeps_its_order():
    replies = [{"recipient_id": "c", "text": "Antwoord."}, {"recipient_id": "c", "text": "Tweede alinea."},
               {"recipient_id": "c", "text": "Andere antwoorden die je misschien helpen:"},
               {"recipient_id": "c", "custom": {"handoff": {"reason": "asked"}}},
               {"recipient_id": "c", "text": "Kies:", "buttons": [{"title": "A", "payload": "/a"}]},
               {"recipient_id": "c", "text": "Na de knoppen."}]
    out = one_email_per_turn(replies)
    assert out == [
        {"recipient_id": "c", "text": "Antwoord.\n\nTweede alinea.\n\nAndere antwoorden die je misschien helpen:"},
        {"recipient_id": "c", "custom": {"handoff": {"reason": "asked"}}},
        {"recipient_id": "c", "text": "Kies:", "buttons": [{"title": "A", "payload": "/a"}]},
        {"recipient_id": "c", "text": "Na de knoppen."},
    ]
    assert replies[0] == {"recipient_id": "c", "text": "Antwoord."}  # the input is left alone


def test_a_single_reply_is_unchanged():
    assert one_email_per_turn([{"text": "Ok."}]) == [{"text": "Ok."}]
    assert one_email_per_turn([]) == []
