"""Parse what customers actually type into emails, order numbers, licence plates and dates.

NLU entities help, but customers write "1abc234", "le 3 mars" or "gisteren": the real parsing
and validation happens here, in plain functions that are easy to test. Everything returns None
when nothing usable is found; the caller decides what to tell the customer.
"""
from __future__ import annotations

import datetime as dt
import re

from faq.language import fold as _fold

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
ORDER_NUMBER_RE = re.compile(r"(?<![\w/.,:-])#?(\d{6,12})(?![\w/.,:-]|[.,]\d)")

# Plate shapes: 9 = digit, X = letter, segments separated by "-".
PLATE_SHAPES = (
    # Belgium (current and older formats)
    "9-XXX-999", "XXX-999", "999-XXX",
    # France (SIV)
    "XX-999-XX",
    # Netherlands (side codes 1-14)
    "XX-99-99", "99-99-XX", "99-XX-99", "XX-99-XX", "XX-XX-99", "99-XX-XX",
    "99-XXX-9", "9-XXX-99", "XX-999-X", "X-999-XX", "XXX-99-X", "X-99-XXX", "9-XX-999", "999-XX-9",
)


def _runs(text: str) -> tuple[tuple[str, int], ...]:
    """Shape of a string as (type, length) runs: "1ABC234" -> (("9",1),("X",3),("9",3))."""
    out: list[list] = []
    for ch in text:
        kind = "9" if ch.isdigit() else "X"
        if out and out[-1][0] == kind:
            out[-1][1] += 1
        else:
            out.append([kind, 1])
    return tuple((k, n) for k, n in out)


_SEGMENTED = {tuple(_runs(seg)[0] for seg in shape.split("-")) for shape in PLATE_SHAPES}
_COMPACT = {_runs(shape.replace("-", "").replace("9", "1").replace("X", "A")) for shape in PLATE_SHAPES}


def normalise_plate(plate: str) -> str:
    """Upper case, letters and digits only: plates match ignoring case, spaces, dashes, dots."""
    return re.sub(r"[^A-Z0-9]", "", plate.upper())


def _plate_candidate(segments: list[str]) -> str | None:
    if not all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in segments):
        return None
    joined = "".join(segments)
    if not (re.search(r"\d", joined) and re.search(r"[A-Za-z]", joined)) or not 5 <= len(joined) <= 8:
        return None
    if len(segments) == 1:
        ok = _runs(joined) in _COMPACT
    else:
        # Each typed segment must be all letters or all digits and match a known shape exactly,
        # so "op 2026" or "le 12 mars" never become plates.
        shape = []
        for seg in segments:
            runs = _runs(seg)
            if len(runs) != 1:
                return None
            shape.append(runs[0])
        ok = tuple(shape) in _SEGMENTED
    return joined.upper() if ok else None


def parse_plate(text: str) -> str | None:
    """First licence plate in the text (BE/FR/NL shapes), normalised: "1-abc-234" -> "1ABC234"."""
    text = EMAIL_RE.sub(" ", text)
    tokens = text.split()
    for size in (3, 2, 1):
        for i in range(len(tokens) - size + 1):
            window = [t.strip(",;:!?()\"'") for t in tokens[i : i + size]]
            if size > 1 and any("-" in t or "." in t for t in window):
                continue
            segments = [s for s in re.split(r"[-.]", " ".join(window).replace(" ", "-")) if s]
            if size == 1 and not 1 <= len(segments) <= 3:
                continue
            plate = _plate_candidate(segments)
            if plate:
                return plate
    return None


def parse_email(text: str) -> str | None:
    match = EMAIL_RE.search(text)
    return match.group(0).strip(".").lower() if match else None


# ---- dates ---------------------------------------------------------------------------------

MONTHS = {
    # Dutch
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "febr": 2, "maart": 3, "mrt": 3, "april": 4,
    "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augustus": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    # French (accents removed before lookup)
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "octobre": 10,
    "oct": 10, "novembre": 11, "decembre": 12,
}
WEEKDAYS = {
    "maandag": 0, "dinsdag": 1, "woensdag": 2, "donderdag": 3, "vrijdag": 4, "zaterdag": 5, "zondag": 6,
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
}
NUMBER_WORDS = {
    "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
}


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _without_year(month: int, day: int, today: dt.date) -> dt.date | None:
    """An order date without a year is the most recent such day (orders lie in the past)."""
    date = _safe_date(today.year, month, day)
    if date and date > today:
        date = _safe_date(today.year - 1, month, day)
    return date


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def parse_date(text: str, today: dt.date | None = None, lang: str | None = None) -> dt.date | None:
    """A calendar date in NL/FR customer phrasing, or None.

    Handles ISO (2026-03-12), 12/03/2026, 12-03-26, 12.03, "3 maart", "le 3 mars 2026",
    "1er mars", vandaag/aujourd'hui, gisteren/hier, eergisteren/avant-hier, weekdays
    ("maandag", "lundi dernier"), "3 dagen geleden"/"il y a 3 jours". "hier" is Dutch for
    "here", so it only means yesterday in French or when it is the whole message.
    """
    today = today or dt.date.today()
    folded = _fold(text)
    folded = EMAIL_RE.sub(" ", folded)

    match = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", folded)
    if match:
        return _safe_date(int(match[1]), int(match[2]), int(match[3]))
    match = re.search(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b", folded)
    if match:
        return _safe_date(_year(match[3]), int(match[2]), int(match[1]))
    match = re.search(r"\b(\d{1,2})/(\d{1,2})\b", folded)
    if match:
        return _without_year(int(match[2]), int(match[1]), today)

    month_names = "|".join(sorted(MONTHS, key=len, reverse=True))
    match = re.search(
        rf"\b(\d{{1,2}})(?:er|e|de|ste|st)?\.?\s+({month_names})\.?(?:\s+(\d{{4}}))?\b", folded
    )
    if match:
        month, day = MONTHS[match[2]], int(match[1])
        return _safe_date(int(match[3]), month, day) if match[3] else _without_year(month, day, today)

    words = re.findall(r"[a-z']+|\d+", folded)
    joined = " ".join(words)
    if re.search(r"\b(vandaag|aujourd'hui|vanochtend|vanmorgen|ce matin)\b", joined):
        return today
    if re.search(r"\b(eergisteren|avant-hier|avant hier)\b", folded):
        return today - dt.timedelta(days=2)
    if re.search(r"\bgisteren\b", joined):
        return today - dt.timedelta(days=1)
    if re.search(r"\bhier\b", joined) and (lang == "fr" or joined.strip() == "hier"):
        return today - dt.timedelta(days=1)
    match = re.search(
        r"\b(\d+|een|één|twee|drie|vier|vijf|zes|zeven|un|une|deux|trois|quatre|cinq|six|sept)\s+"
        r"(dag|dagen|jour|jours|week|weken|semaine|semaines)\b", joined
    )
    if match and re.search(r"\b(geleden|il y a|passe|passes|terug)\b", joined):
        count = int(match[1]) if match[1].isdigit() else NUMBER_WORDS[match[1]]
        days = count * (7 if match[2].startswith(("week", "sem")) else 1)
        return today - dt.timedelta(days=days)
    for name, weekday in WEEKDAYS.items():
        if re.search(rf"\b{name}\b", joined):
            back = (today.weekday() - weekday) % 7
            if back == 0:  # "maandag" said on a Monday means last week's Monday
                back = 7
            return today - dt.timedelta(days=back)
    return None


def parse_order_number(text: str) -> str | None:
    """6-12 digits standing alone ("#12345678", "nr. 12345678"), never part of a date or plate."""
    cleaned = EMAIL_RE.sub(" ", text)
    match = ORDER_NUMBER_RE.search(cleaned)
    return match.group(1) if match else None
