"""NL/FR language detection for short chat messages.

A statistical detector alone fails on chat ("Hallo" -> English, "aub" -> French, "Je vis à
Antwerpen" -> Dutch, see ground-facts). So we combine three signals in log-odds space:

1. lingua (restricted to nl/fr/en) on the text with Belgian/Dutch/French place names removed,
   because a place name says where someone lives, not which language they write;
2. a small lexicon of greetings, courtesy words and unambiguous function words per language;
3. the conversation's previous language (prior), which also wins on low-confidence messages.

English maps to the prior (or "nl"): the shop only answers in NL or FR.
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

LANGS = ("nl", "fr")
DEFAULT_LANG = "nl"

# Below this confidence detect() returns the prior. The conversation's own, stricter switch rule
# (what the gateway and the bot use) is faq.language_policy.SWITCH_CONFIDENCE.
LOW_CONFIDENCE = 0.70

# Place names (both language forms): removed before detection. Lower case, accents stripped.
PLACE_NAMES = {
    "antwerpen", "anvers", "antwerp", "brussel", "bruxelles", "brussels", "gent", "gand",
    "ghent", "brugge", "bruges", "liege", "luik", "namur", "namen", "mons", "bergen",
    "leuven", "louvain", "mechelen", "malines", "kortrijk", "courtrai", "charleroi",
    "hasselt", "tournai", "doornik", "oostende", "ostende", "wavre", "waver", "arlon",
    "aarlen", "nivelles", "nijvel", "tongeren", "tongres", "ieper", "ypres", "aalst", "alost",
    "ronse", "renaix", "genk", "sint-niklaas", "zaventem", "verviers", "mouscron", "moeskroen",
    "halle", "hal", "vilvoorde", "vilvorde", "waterloo", "ottignies", "louvain-la-neuve",
    "lier", "turnhout", "roeselare", "roulers", "dinant", "spa", "eupen", "bastogne",
    "amsterdam", "rotterdam", "utrecht", "eindhoven", "maastricht", "den", "haag",
    "groningen", "tilburg", "breda", "nijmegen", "paris", "parijs", "lyon", "lille", "rijsel",
    "marseille", "bordeaux", "toulouse", "nantes", "strasbourg", "straatsburg", "nice",
    "montpellier", "rennes", "reims", "luxembourg", "luxemburg", "belgie", "belgique",
    "belgium", "nederland", "pays-bas", "france", "frankrijk", "vlaanderen", "flandre",
    "wallonie", "wallonie", "brabant", "limburg", "limbourg", "hainaut", "henegouwen",
}

# Words that (in shop chat) only occur in one of the two languages. Accents stripped.
# Deliberately excludes ambiguous ones: je, de, en, van (names), in/a (English), me, ne...
NL_WORDS = {
    "hallo", "hoi", "hey", "dag", "goeiedag", "goedendag", "goedemorgen", "goeiemorgen",
    "goedemiddag", "goedenavond", "dankjewel", "dankuwel", "bedankt", "dank", "merci",
    "aub", "a.u.b", "alstublieft", "alsjeblieft", "asjeblieft", "astemblieft", "ajb", "he",
    "allez", "ja", "nee", "neen", "jawel", "oke", "ge", "gij", "kunt", "kunde",
    "ik", "mijn", "mij", "wij", "jullie", "uw", "jij", "jou", "jouw", "hij", "zij",
    "het", "een", "niet", "geen", "wel", "waar", "wat", "hoe", "wanneer",
    "waarom", "welke", "wie", "kan", "kun", "moet", "wil", "wilt", "heb", "hebt", "heeft",
    "ben", "bent", "zijn", "met", "voor", "naar", "bij", "op", "uit", "om",
    "dat", "dit", "deze", "nog", "al", "ook", "maar", "of", "als", "dan", "te",
    "bestelling", "pakket", "levering", "factuur", "terugsturen", "retour", "betalen",
    "mag", "zal", "zou", "graag", "vraag", "hulp", "goed", "slecht",
    "wagen", "onderdeel", "onderdelen", "kat", "katten", "kattenbak", "vignet", "woon",
    "woont", "wonen", "er", "nu", "morgen", "vandaag", "gisteren", "mijnen", "ne",
    "gaat", "doen", "krijg", "krijgen", "weet", "weten", "zie", "zien", "tot", "ziens",
    "doei", "salu", "daag", "awel", "amai", "efkes", "effe", "eens", "ns", "nr", "nummer",
}
FR_WORDS = {
    "bonjour", "bonsoir", "salut", "coucou", "bjr", "slt", "merci", "mercii", "svp", "stp",
    "s'il", "plait", "plaît", "oui", "non", "ouais", "d'accord", "dacc", "bien", "au",
    "revoir", "bonne", "journee", "je", "j'ai", "j", "moi", "mon", "ma", "mes", "nous",
    "vous", "votre", "vos", "tu", "ton", "ta", "il", "elle", "le", "la", "les", "un", "une",
    "des", "du", "est", "suis", "sont", "pas", "ne", "n'est", "ou", "où", "quoi", "comment",
    "quand", "pourquoi", "quel", "quelle", "qui", "que", "qu'il", "peux", "peut", "pouvez",
    "veux", "voudrais", "dois", "avez", "avec", "pour", "sur", "dans", "chez", "sans",
    "c'est", "ce", "cette", "ces", "aussi", "mais", "et", "encore", "deja", "commande",
    "colis", "livraison", "facture", "retourner", "remboursement", "payer", "paiement",
    "aide", "voiture", "piece", "pieces", "chat", "chats", "litiere", "vignette", "vis",
    "habite", "habiter", "j'habite", "aujourd'hui", "demain", "hier", "fois", "allez",
    "à", "ça", "ca", "y", "numero", "n°", "là",
}
# Words in both lists count for neither ("merci", "allez", "ne" are used in Flemish too).
_BOTH = NL_WORDS & FR_WORDS
NL_WORDS = NL_WORDS - _BOTH
FR_WORDS = FR_WORDS - _BOTH
# Short greetings/courtesy words weigh more: they are often the whole message.
STRONG_NL = {"hallo", "hoi", "dag", "goeiedag", "goedendag", "bedankt", "dankjewel",
             "dankuwel", "aub", "alstublieft", "alsjeblieft", "ja", "nee", "neen", "he",
             "ik", "mijn", "waar", "niet", "het", "een", "doei", "daag"}
STRONG_FR = {"bonjour", "bonsoir", "salut", "coucou", "svp", "stp", "oui", "non", "je",
             "j'ai", "mon", "ma", "mes", "où", "est", "pas", "c'est", "à", "ça", "une", "vous"}

_TOKEN = re.compile(r"[\w'°.-]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case without accents, one kind of apostrophe: "Février" -> "fevrier",
    "aujourd’hui" -> "aujourd'hui". Shared by the language policy and the bot's parsing."""
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in text if not unicodedata.combining(c))


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _tokens(text: str) -> list[str]:
    return [t.strip(".-'") or t for t in _TOKEN.findall(text.lower().replace("’", "'"))]


@lru_cache(maxsize=1)
def _detector():
    """Build lingua once; only nl/fr/en, low accuracy mode off (short texts need the full models)."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.DUTCH, Language.FRENCH, Language.ENGLISH
    ).build()


def _lexicon_logodds(tokens: list[str]) -> float:
    """Positive means Dutch. Each hit adds 1 (strong words 2), in log-odds units."""
    score = 0.0
    for tok in tokens:
        plain = _strip_accents(tok)
        for form in {tok, plain}:
            if form in NL_WORDS:
                score += 2.0 if form in STRONG_NL else 1.0
                break
            if form in FR_WORDS:
                score -= 2.0 if form in STRONG_FR else 1.0
                break
    return score


def _lingua_probs(text: str) -> dict[str, float]:
    values = _detector().compute_language_confidence_values(text)
    names = {"DUTCH": "nl", "FRENCH": "fr", "ENGLISH": "en"}
    return {names[v.language.name]: float(v.value) for v in values}


def detect(text: str, prior: str | None = None) -> tuple[str, float]:
    """Return ("nl"|"fr", confidence 0..1) for a customer message.

    The prior is the conversation's previous language; it tips close calls and wins whenever the
    combined confidence is below LOW_CONFIDENCE, so "ok" or "👍" never flips the language.
    """
    if prior not in LANGS:
        prior = None
    fallback = prior or DEFAULT_LANG
    if not isinstance(text, str):
        raise TypeError(f"detect() needs a str, got {type(text).__name__}")
    tokens = [t for t in _tokens(text) if _strip_accents(t) not in PLACE_NAMES]
    kept = " ".join(tokens)
    if not re.search(r"[^\W\d_]", kept):
        return fallback, 0.0

    lex = _lexicon_logodds(tokens)
    probs = _lingua_probs(kept)
    nl, fr, en = probs.get("nl", 0.0), probs.get("fr", 0.0), probs.get("en", 0.0)
    # lingua's evidence counts less on very short texts, where it is often wrong.
    n_letters = sum(c.isalpha() for c in kept)
    weight = min(1.0, n_letters / 15.0)
    eps = 0.02
    lingua_logodds = math.log((nl + eps) / (fr + eps)) * weight
    logodds = lingua_logodds + lex
    if prior is not None:
        logodds += 0.5 if prior == "nl" else -0.5
    p_nl = 1.0 / (1.0 + math.exp(-logodds))
    lang = "nl" if p_nl >= 0.5 else "fr"
    confidence = max(p_nl, 1.0 - p_nl)

    # English (no lexicon evidence, lingua sure it is English): not a language we answer in.
    if lex == 0 and en > max(nl, fr) and en >= 0.5:
        return fallback, round(1.0 - en, 3)
    if prior is not None and lang != prior and confidence < LOW_CONFIDENCE:
        return prior, round(1.0 - confidence, 3)
    return lang, round(confidence, 3)
