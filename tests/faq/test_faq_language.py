"""Language detection on short chat messages: greetings, two or three words, Belgian place names."""
from __future__ import annotations

import pytest

from faq.language import detect

SHORT = [
    ("Hallo", "nl"), ("hoi", "nl"), ("goeiedag", "nl"), ("dag", "nl"), ("aub", "nl"),
    ("allez, merci hé", "nl"), ("bedankt", "nl"), ("dank u wel", "nl"), ("ja", "nl"), ("nee", "nl"),
    ("ik woon in Liège", "nl"), ("Ik woon in Bruxelles", "nl"), ("ik bel vanuit Namur", "nl"),
    ("waar is mijn pakket", "nl"), ("mijn factuur aub", "nl"), ("kan ik retourneren", "nl"),
    ("wanneer komt mijn bestelling", "nl"), ("tot ziens", "nl"), ("goed zo", "nl"),
    ("ge moogt het terugsturen", "nl"),
    ("bonjour", "fr"), ("salut", "fr"), ("svp", "fr"), ("merci beaucoup", "fr"), ("oui", "fr"),
    ("non", "fr"), ("Je vis à Antwerpen", "fr"), ("j'habite à Gent", "fr"), ("je suis de Leuven", "fr"),
    ("où est mon colis", "fr"), ("ma facture svp", "fr"), ("puis-je retourner", "fr"),
    ("quand arrive ma commande", "fr"), ("bonne journée", "fr"), ("ça marche", "fr"),
    ("s'il vous plaît", "fr"), ("une fois", "fr"), ("allez, à plus", "fr"),
]


@pytest.mark.parametrize("text,expected", SHORT)
def test_short_messages_without_prior(text, expected):
    lang, confidence = detect(text)
    assert lang == expected, (text, lang, confidence)
    assert 0.0 <= confidence <= 1.0


def test_short_messages_accuracy_with_wrong_prior():
    """A clear message switches language even against the previous one; ambiguous ones may not."""
    wrong = sum(detect(text, prior="fr" if lang == "nl" else "nl")[0] != lang for text, lang in SHORT)
    assert wrong <= 3, wrong


@pytest.mark.parametrize("text", ["ok", "👍", "12345678", "?", "", "BE0123456789"])
def test_no_evidence_keeps_prior(text):
    assert detect(text, prior="fr")[0] == "fr"
    assert detect(text, prior="nl")[0] == "nl"


@pytest.mark.parametrize("text", ["where is my order", "thank you very much", "hello there"])
def test_english_maps_to_prior_or_dutch(text):
    assert detect(text, prior="fr")[0] == "fr"
    assert detect(text, prior="nl")[0] == "nl"
    assert detect(text)[0] == "nl"


def test_only_nl_or_fr_and_confident_on_long_text():
    lang, confidence = detect("Bonjour, je n'ai toujours pas reçu ma commande passée la semaine dernière.")
    assert (lang, confidence > 0.9) == ("fr", True)
    lang, confidence = detect("Goeiemiddag, ik heb vorige week besteld maar nog steeds niks ontvangen.")
    assert (lang, confidence > 0.9) == ("nl", True)


def test_rejects_non_text():
    with pytest.raises(TypeError):
        detect(None)  # type: ignore[arg-type]
