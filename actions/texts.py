"""Every sentence the actions say, in Dutch and French.

Kept in one table so a missing translation is a KeyError in tests, never a reply in the wrong
language. Domain responses (bot/domain/responses.yml) follow the same rule.
"""
from __future__ import annotations

import datetime as dt

LANGS = ("nl", "fr")

TEXTS: dict[str, dict[str, str]] = {
    # validation
    "invalid_email": {
        "nl": "Dat lijkt geen geldig e-mailadres. Typ het volledig, bijvoorbeeld naam@voorbeeld.be.",
        "fr": "Cela ne ressemble pas à une adresse e-mail valide. Tapez-la en entier, par exemple nom@exemple.fr.",
    },
    "invalid_order_number": {
        "nl": "Een bestelnummer bestaat uit 6 tot 12 cijfers, bijvoorbeeld 12345678. Heb je het niet? Geef dan je nummerplaat.",
        "fr": "Un numéro de commande compte 6 à 12 chiffres, par exemple 12345678. Vous ne l'avez pas ? Donnez alors votre plaque d'immatriculation.",
    },
    "invalid_plate": {
        "nl": "Die nummerplaat herken ik niet. Typ ze zoals op de plaat, bijvoorbeeld 1-ABC-234 of AB-123-CD.",
        "fr": "Je ne reconnais pas cette plaque. Tapez-la comme sur la plaque, par exemple AB-123-CD ou 1-ABC-234.",
    },
    "invalid_date": {
        "nl": "Die datum begrijp ik niet. Typ bijvoorbeeld 12/03/2026, 3 maart of gisteren.",
        "fr": "Je ne comprends pas cette date. Tapez par exemple 12/03/2026, le 3 mars ou hier.",
    },
    "future_date": {
        "nl": "Die datum ligt in de toekomst. Op welke dag heb je besteld?",
        "fr": "Cette date est dans le futur. Quel jour avez-vous commandé ?",
    },
    # lookup
    "order_found": {
        "nl": "Ik heb je bestelling {number} van {date} gevonden.\nStatus: {status}\nVervoerder: {carrier}\nTrack & trace: {tracking}\nVerwachte levering: {expected}\n{next}",
        "fr": "J'ai trouvé votre commande {number} du {date}.\nStatut : {status}\nTransporteur : {carrier}\nNuméro de suivi : {tracking}\nLivraison prévue : {expected}\n{next}",
    },
    "unknown": {"nl": "nog niet bekend", "fr": "pas encore connu"},
    "not_found": {
        "nl": "Ik vind geen bestelling die bij deze gegevens past. Kijk ze even na en stuur me enkel wat niet klopt: het juiste bestelnummer (of nummerplaat en besteldatum) of e-mailadres.",
        "fr": "Je ne trouve aucune commande correspondant à ces informations. Vérifiez-les et envoyez-moi seulement ce qui est faux : le bon numéro de commande (ou la plaque et la date de commande) ou l'adresse e-mail.",
    },
    "used_number": {
        "nl": "Ik zocht met e-mail {email} en bestelnummer {number}.",
        "fr": "J'ai cherché avec l'e-mail {email} et le numéro de commande {number}.",
    },
    "used_plate": {
        "nl": "Ik zocht met e-mail {email}, nummerplaat {plate} en besteldatum {date}.",
        "fr": "J'ai cherché avec l'e-mail {email}, la plaque {plate} et la date de commande {date}.",
    },
    "lookup_blocked": {
        "nl": "Ik kon je bestelling niet terugvinden en kan om veiligheidsredenen niet verder zoeken. Ik geef je door aan een medewerker die je verder helpt.",
        "fr": "Je n'ai pas pu retrouver votre commande et, pour des raisons de sécurité, je ne peux plus chercher. Je vous transfère à un conseiller qui va vous aider.",
    },
    # FAQ
    "faq_clarify": {
        "nl": "Ik ben niet zeker wat je bedoelt. Gaat het over een van deze vragen?",
        "fr": "Je ne suis pas sûr de bien comprendre. S'agit-il d'une de ces questions ?",
    },
    "faq_clarify_numbered": {
        "nl": "Ik ben niet zeker wat je bedoelt. Gaat het over een van deze vragen? Antwoord met het nummer.",
        "fr": "Je ne suis pas sûr de bien comprendre. S'agit-il d'une de ces questions ? Répondez par le numéro.",
    },
    "faq_others": {
        "nl": "Andere antwoorden die je misschien helpen:",
        "fr": "D'autres réponses qui peuvent vous aider :",
    },
    "faq_none": {
        "nl": "Sorry, daar heb ik geen antwoord op. Kun je je vraag anders stellen? Typ 'medewerker' als je liever met iemand van ons team praat.",
        "fr": "Désolé, je n'ai pas de réponse à cela. Pouvez-vous reformuler votre question ? Tapez « conseiller » si vous préférez parler à quelqu'un de notre équipe.",
    },
    "faq_unavailable": {
        "nl": "Sorry, ik kan de veelgestelde vragen nu niet doorzoeken. Probeer het zo opnieuw of typ 'medewerker'.",
        "fr": "Désolé, je ne peux pas consulter la FAQ pour le moment. Réessayez dans un instant ou tapez « conseiller ».",
    },
    # handoff
    "handoff_asked": {
        "nl": "Ik geef je door aan een medewerker. Even geduld, iemand van ons team neemt het gesprek over.",
        "fr": "Je vous transfère à un conseiller. Un instant, quelqu'un de notre équipe va reprendre la conversation.",
    },
    "handoff_misses": {
        "nl": "Ik vind hier geen goed antwoord op. Ik geef je door aan een medewerker die je verder helpt.",
        "fr": "Je ne trouve pas de bonne réponse. Je vous transfère à un conseiller qui va vous aider.",
    },
}

STATUS_WORDS: dict[str, dict[str, str]] = {
    "received": {"nl": "ontvangen (wacht op betaling)", "fr": "reçue (en attente de paiement)"},
    "paid": {"nl": "betaald", "fr": "payée"},
    "processing": {"nl": "in voorbereiding", "fr": "en préparation"},
    "shipped": {"nl": "verzonden", "fr": "expédiée"},
    "delivered": {"nl": "geleverd", "fr": "livrée"},
    "cancelled": {"nl": "geannuleerd", "fr": "annulée"},
    "refunded": {"nl": "terugbetaald", "fr": "remboursée"},
}

NEXT_STEPS: dict[str, dict[str, str]] = {
    "received": {
        "nl": "We wachten nog op je betaling. Heb je al betaald? Dan volgt de bevestiging binnen 1 werkdag.",
        "fr": "Nous attendons encore votre paiement. Déjà payé ? La confirmation suit sous 1 jour ouvrable.",
    },
    "paid": {
        "nl": "Je betaling is binnen; we maken je bestelling nu klaar. Je krijgt een e-mail zodra ze vertrekt.",
        "fr": "Votre paiement est bien reçu ; nous préparons votre commande. Vous recevrez un e-mail à l'expédition.",
    },
    "processing": {
        "nl": "We maken je pakket klaar. Je krijgt een e-mail met de track & trace zodra het vertrekt.",
        "fr": "Nous préparons votre colis. Vous recevrez un e-mail avec le suivi dès son départ.",
    },
    "shipped": {
        "nl": "Je pakket is onderweg: volg het met de track & trace-code op de website van de vervoerder.",
        "fr": "Votre colis est en route : suivez-le avec le numéro de suivi sur le site du transporteur.",
    },
    "delivered": {
        "nl": "Je pakket is geleverd. Niets ontvangen? Kijk bij de buren of in je afhaalpunt, of vraag naar een medewerker.",
        "fr": "Votre colis a été livré. Rien reçu ? Vérifiez chez vos voisins ou au point relais, ou demandez un conseiller.",
    },
    "cancelled": {
        "nl": "Deze bestelling is geannuleerd. Had je al betaald? Dan storten we het bedrag binnen 14 dagen terug.",
        "fr": "Cette commande est annulée. Si vous aviez payé, nous vous remboursons sous 14 jours.",
    },
    "refunded": {
        "nl": "We hebben het bedrag terugbetaald; het staat binnen 5 werkdagen op je rekening.",
        "fr": "Nous avons remboursé le montant ; il sera sur votre compte sous 5 jours ouvrables.",
    },
}

MONTH_NAMES = {
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"],
}


def lang_or_default(lang: str | None) -> str:
    return lang if lang in LANGS else "nl"


def text(key: str, lang: str | None, **values: str) -> str:
    return TEXTS[key][lang_or_default(lang)].format(**values)


def format_date(date: dt.date | None, lang: str | None) -> str:
    """12 maart 2026 / 12 mars 2026 (1er mars in French)."""
    lang = lang_or_default(lang)
    if date is None:
        return TEXTS["unknown"][lang]
    day = "1er" if lang == "fr" and date.day == 1 else str(date.day)
    return f"{day} {MONTH_NAMES[lang][date.month - 1]} {date.year}"
