"""Every sentence a customer reads, in Dutch and French: bot actions and gateway notices alike.

One table, so a missing translation fails a test (tests/test_wording.py) instead of reaching a
customer in the wrong language, and the bot and the gateway never phrase one thing two ways.
Domain responses (bot/domain/responses.yml) are Rasa's own format; the same test checks them.
A leaf module: it imports nothing of ours, so every layer may use it.
"""
from __future__ import annotations

import datetime as dt

LANGS = ("nl", "fr")
DEFAULT_LANG = "nl"

TEXTS: dict[str, dict[str, str]] = {
    # ---- gateway: customer satisfaction (connectors/csat.py)
    "csat_question_web": {
        "nl": 'Hoe tevreden ben je over deze hulp? Geef een score van 1 (slecht) tot 5 (uitstekend).',
        "fr": 'Êtes-vous satisfait de cette aide ? Donnez une note de 1 (mauvais) à 5 (excellent).',
    },
    "csat_question_whatsapp": {
        "nl": 'Hoe tevreden ben je over deze hulp? Antwoord met een cijfer van 1 (slecht) tot 5 (uitstekend).',
        "fr": 'Êtes-vous satisfait de cette aide ? Répondez par un chiffre de 1 (mauvais) à 5 (excellent).',
    },
    "csat_question_email": {
        "nl": 'Hoe tevreden bent u over onze hulp? Antwoord op deze e-mail met een cijfer van 1 (slecht) tot 5 (uitstekend).',
        "fr": 'Êtes-vous satisfait de notre aide ? Répondez à cet e-mail par un chiffre de 1 (mauvais) à 5 (excellent).',
    },
    "csat_thanks": {
        "nl": 'Bedankt voor je score!',
        "fr": 'Merci pour votre note !',
    },
    # ---- bot: order form validation
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
    # ---- bot: order lookup
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
    # ---- bot: order status words and what happens next
    "status.received": {"nl": "ontvangen (wacht op betaling)", "fr": "reçue (en attente de paiement)"},
    "status.paid": {"nl": "betaald", "fr": "payée"},
    "status.processing": {"nl": "in voorbereiding", "fr": "en préparation"},
    "status.shipped": {"nl": "verzonden", "fr": "expédiée"},
    "status.delivered": {"nl": "geleverd", "fr": "livrée"},
    "status.cancelled": {"nl": "geannuleerd", "fr": "annulée"},
    "status.refunded": {"nl": "terugbetaald", "fr": "remboursée"},
    "next_step.received": {
        "nl": "We wachten nog op je betaling. Heb je al betaald? Dan volgt de bevestiging binnen 1 werkdag.",
        "fr": "Nous attendons encore votre paiement. Déjà payé ? La confirmation suit sous 1 jour ouvrable.",
    },
    "next_step.paid": {
        "nl": "Je betaling is binnen; we maken je bestelling nu klaar. Je krijgt een e-mail zodra ze vertrekt.",
        "fr": "Votre paiement est bien reçu ; nous préparons votre commande. Vous recevrez un e-mail à l'expédition.",
    },
    "next_step.processing": {
        "nl": "We maken je pakket klaar. Je krijgt een e-mail met de track & trace zodra het vertrekt.",
        "fr": "Nous préparons votre colis. Vous recevrez un e-mail avec le suivi dès son départ.",
    },
    "next_step.shipped": {
        "nl": "Je pakket is onderweg: volg het met de track & trace-code op de website van de vervoerder.",
        "fr": "Votre colis est en route : suivez-le avec le numéro de suivi sur le site du transporteur.",
    },
    "next_step.delivered": {
        "nl": "Je pakket is geleverd. Niets ontvangen? Kijk bij de buren of in je afhaalpunt, of vraag naar een medewerker.",
        "fr": "Votre colis a été livré. Rien reçu ? Vérifiez chez vos voisins ou au point relais, ou demandez un conseiller.",
    },
    "next_step.cancelled": {
        "nl": "Deze bestelling is geannuleerd. Had je al betaald? Dan storten we het bedrag binnen 14 dagen terug.",
        "fr": "Cette commande est annulée. Si vous aviez payé, nous vous remboursons sous 14 jours.",
    },
    "next_step.refunded": {
        "nl": "We hebben het bedrag terugbetaald; het staat binnen 5 werkdagen op je rekening.",
        "fr": "Nous avons remboursé le montant ; il sera sur votre compte sous 5 jours ouvrables.",
    },
    # ---- bot: FAQ
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
    # ---- bot: handoff
    "handoff_asked": {
        "nl": "Ik geef je door aan een medewerker. Even geduld, iemand van ons team neemt het gesprek over.",
        "fr": "Je vous transfère à un conseiller. Un instant, quelqu'un de notre équipe va reprendre la conversation.",
    },
    "handoff_misses": {
        "nl": "Ik vind hier geen goed antwoord op. Ik geef je door aan een medewerker die je verder helpt.",
        "fr": "Je ne trouve pas de bonne réponse. Je vous transfère à un conseiller qui va vous aider.",
    },
    # ---- gateway: flow (connectors/flow.py)
    "text_only": {
        "nl": "Sorry, ik kan alleen tekstberichten lezen. Kun je je vraag in een bericht typen?",
        "fr": "Désolé, je ne peux lire que des messages texte. Pouvez-vous écrire votre question ?",
    },
    "bot_down": {
        "nl": "Sorry, er ging iets mis aan onze kant. Probeer het zo meteen opnieuw.",
        "fr": "Désolé, un problème technique est survenu de notre côté. Réessayez dans un instant.",
    },
    # ---- gateway: handoff notices (connectors/handoff.py)
    "queue_place": {
        "nl": "Je bent nummer {position} in de wachtrij.",
        "fr": "Vous êtes numéro {position} dans la file d'attente.",
    },
    "queue_open": {
        "nl": "Een medewerker neemt het gesprek zo snel mogelijk over. {place}",
        "fr": "Un conseiller va reprendre la conversation dès que possible. {place}",
    },
    "queue_closed": {
        "nl": "Onze medewerkers zijn op dit moment niet beschikbaar. Iemand antwoordt je {when}, {where}; je hoeft niets opnieuw te sturen. {place}",
        "fr": "Nos conseillers ne sont pas disponibles pour le moment. Quelqu'un vous répondra {when}, {where} : inutile de renvoyer votre message. {place}",
    },
    "queue_when_unknown": {"nl": "zo snel mogelijk", "fr": "dès que possible"},
    # the same notices naming the conversation's shop (issue 10); {of_shop} is "of_shop" below
    "queue_open_shop": {
        "nl": "Een medewerker {of_shop} neemt het gesprek zo snel mogelijk over. {place}",
        "fr": "Un conseiller {of_shop} va reprendre la conversation dès que possible. {place}",
    },
    "queue_closed_shop": {
        "nl": "De medewerkers {of_shop} zijn op dit moment niet beschikbaar. Iemand antwoordt je {when}, {where}; je hoeft niets opnieuw te sturen. {place}",
        "fr": "Les conseillers {of_shop} ne sont pas disponibles pour le moment. Quelqu'un vous répondra {when}, {where} : inutile de renvoyer votre message. {place}",
    },
    "of_shop": {"nl": "van {shop}", "fr": "de {shop}"},
    "of_shop_elided": {"nl": "van {shop}", "fr": "d'{shop}"},  # before a vowel: "d'Oscaro"
    "where.web": {"nl": "hier in deze chat", "fr": "ici dans ce chat"},
    "where.whatsapp": {"nl": "hier via WhatsApp", "fr": "ici sur WhatsApp"},
    "where.email": {"nl": "in deze e-mailconversatie", "fr": "dans cet échange d'e-mails"},
    "taken": {"nl": "{name} neemt het gesprek over.", "fr": "{name} prend le relais."},
    "queue_full_for_client": {  # connectors/handoff.py: too many queued chats from one address
        "nl": "Er wachten al gesprekken van jouw verbinding op een medewerker. Zodra een van die gesprekken "
              "beantwoord is, kun je hier opnieuw om een medewerker vragen.",
        "fr": "Des conversations de votre connexion attendent déjà un conseiller. Dès que l'une d'elles aura "
              "reçu une réponse, vous pourrez redemander un conseiller ici.",
    },
    "handed_back": {
        "nl": "Je praat weer met onze digitale assistent.",
        "fr": "Vous êtes à nouveau en contact avec notre assistant virtuel.",
    },
    "closed": {
        "nl": "Dit gesprek is afgesloten. Stuur gerust een nieuw bericht als je nog een vraag hebt.",
        "fr": "Cette conversation est terminée. N'hésitez pas à nous écrire si vous avez une autre question.",
    },
    # ---- gateway: opening times (connectors/hours.describe): "morgen om 09:00", "lundi à 9h00"
    "opening_at": {"nl": "{day} om {clock}", "fr": "{day} à {clock}"},
    "clock": {"nl": "{hour:02d}:{minute:02d}", "fr": "{hour}h{minute:02d}"},
    "today": {"nl": "vandaag", "fr": "aujourd'hui"},
    "tomorrow": {"nl": "morgen", "fr": "demain"},
    # ---- gateway: email replies (connectors/channels/email/)
    "email_chat_subject": {"nl": "Uw vraag in de chat", "fr": "Votre question sur le chat"},
    "email_closing": {"nl": "Met vriendelijke groet,\n{shop}", "fr": "Cordialement,\n{shop}"},
    "email_subject": {"nl": "Uw vraag", "fr": "Votre question"},
}

# Word lists (not sentences): the same length in both languages.
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "months": {
        "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
               "oktober", "november", "december"),
        "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
               "octobre", "novembre", "décembre"),
    },
    "weekdays": {
        "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    },
}
MONTH_NAMES = NAMES["months"]
WEEKDAYS = NAMES["weekdays"]


def lang_or_default(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def text(key: str, lang: str | None, **values: object) -> str:
    """The sentence `key` in `lang` (Dutch when unknown), with its {placeholders} filled in."""
    return TEXTS[key][lang_or_default(lang)].format(**values)


def either(key: str) -> str:
    """Both languages at once, for when the customer's language is not known yet."""
    return " / ".join(TEXTS[key][lang] for lang in LANGS)


def format_date(date: dt.date | None, lang: str | None) -> str:
    """12 maart 2026 / 12 mars 2026 (1er mars in French); 'nog niet bekend' without a date."""
    lang = lang_or_default(lang)
    if date is None:
        return TEXTS["unknown"][lang]
    day = "1er" if lang == "fr" and date.day == 1 else str(date.day)
    return f"{day} {MONTH_NAMES[lang][date.month - 1]} {date.year}"
