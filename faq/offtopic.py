"""Background examples of what customers of a car-parts / vignette / electronics shop may type that is
NOT a shop question: small talk and everyday topics, in Dutch and French.

Why: multilingual USE gives everyday sentences cosines of 0.5-0.7 to *some* FAQ text, the same range as
real but badly phrased shop questions, so an absolute threshold alone cannot tell them apart. A
question closer to one of these anchors than to any FAQ text is treated as off-topic ("none").
Keep the list generic (topics, not test sentences); it is not meant to list every possible query.
"""
from __future__ import annotations

ANCHORS: tuple[str, ...] = (
    # weather, time, date
    "wat voor weer wordt het", "gaat het regenen vandaag", "hoe laat is het nu", "welke dag is het vandaag",
    "il va pleuvoir cet après-midi ?", "quelle heure est-il", "on est quel jour aujourd'hui", "il fait chaud dehors",
    # food and restaurants
    "ik heb zin in frietjes", "waar kan ik lekker eten", "een tafel reserveren in een restaurant",
    "je voudrais commander à manger", "une recette de cuisine facile", "j'ai faim", "un bon restaurant près d'ici",
    # sport, culture, entertainment
    "wie speelt er vanavond voetbal", "welke serie moet ik kijken", "een goed boek om te lezen",
    "le score du match de foot", "un film à voir au cinéma", "quelle musique tu écoutes", "les résultats du tour de France",
    # news, politics, general knowledge, maths
    "wie heeft de verkiezingen gewonnen", "wat is de hoofdstad van Spanje", "hoeveel is tien keer tien",
    "qui est le premier ministre", "quelle est la plus haute montagne du monde", "combien font trois fois sept",
    # health, family, pets, personal life
    "ik ben ziek en heb koorts", "mijn hond eet niet meer", "ik zoek een huisarts", "ik ben verliefd",
    "j'ai mal à la tête", "mon chat est malade", "je cherche un médecin", "je m'ennuie",
    # jobs, housing, travel, public transport
    "ik zoek werk", "een huis huren in de stad", "hoe laat vertrekt de trein", "vakantie boeken naar Spanje",
    "je cherche un emploi", "louer un appartement", "les horaires de bus", "réserver un hôtel pour les vacances",
    # chit-chat with the bot
    "ken jij een grappig verhaal", "ben jij een robot", "hoe gaat het met jou", "schrijf een gedicht voor mij",
    "raconte-moi une histoire", "tu es un humain ?", "comment tu vas", "chante une chanson",
    # shopping for things these shops do not sell
    "ik wil kleren kopen", "waar koop ik een nieuwe gsm", "bloemen laten bezorgen",
    "je veux acheter des chaussures", "où acheter un frigo", "commander des fleurs",
)
