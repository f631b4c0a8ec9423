"""Email parsing: quoted history and signatures (NL/FR/EN), HTML-only mail, odd encodings, bad input."""
from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from connectors.channels.email.parse import MAX_TEXT, decode_bytes, html_to_text, parse_mail
from connectors.channels.email.strip import strip_reply


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("ascii")


@pytest.mark.parametrize("body, expected", [
    # Dutch Gmail reply, attribution wrapped over two lines, plus a mobile signature
    ("Hoi,\n\nMijn pakket is nog niet aangekomen.\n\nVerzonden vanaf mijn iPhone\n\n"
     "Op ma 3 jan. 2024 om 10:02 schreef Support Shop <\nsupport@shop.nl>:\n\n> Beste klant,\n> ...\n",
     "Hoi,\n\nMijn pakket is nog niet aangekomen."),
    # Dutch closing + name + phone, then Outlook's header block
    ("Kan ik mijn bestelling annuleren?\n\nMet vriendelijke groeten,\nJan Peeters\n0470 12 34 56\n\n"
     "Van: Shop <support@shop.be>\nVerzonden: maandag 3 januari 2024 10:00\nAan: Jan\nOnderwerp: Bestelling\n\noud",
     "Kan ik mijn bestelling annuleren?"),
    # French Gmail reply with "Cordialement"
    ("Bonjour,\nJe n'ai toujours pas reçu ma facture.\nCordialement,\nMarie Dubois\n\n"
     "Le lun. 3 janv. 2024 à 10:00, Support <support@shop.fr> a écrit :\n> Bonjour Marie\n",
     "Bonjour,\nJe n'ai toujours pas reçu ma facture."),
    # French Outlook block with the underscore separator, and an iPhone signature
    ("Où est mon colis ?\n\nEnvoyé de mon iPhone\n________________________________\n"
     "De : Support <support@shop.fr>\nEnvoyé : lundi 3 janvier 2024 10:00\nÀ : Marie\nObjet : Commande\n",
     "Où est mon colis ?"),
    # English with "-- " signature and a classic Original Message separator
    ("Where is my refund?\n-- \nJohn Smith\nACME Ltd\n\n-----Original Message-----\nFrom: Shop\nSent: Monday\n",
     "Where is my refund?"),
    ("Any news?\n\nOn Mon, Jan 3, 2024 at 10:00 AM Shop <support@shop.com> wrote:\n> Hello\n> Old text\n",
     "Any news?"),
    # inline "> " quotes are dropped, the customer's own lines kept
    ("> Wat is uw ordernummer?\n12345\n> En uw postcode?\n9000", "12345\n9000"),
])
def test_strip_quotes_and_signatures(body, expected):
    assert strip_reply(body) == expected


def test_strip_keeps_prose_that_merely_looks_like_a_quote_header():
    text = "Le livreur a écrit : « colis déposé » mais je n'ai rien reçu.\nMerci de vérifier."
    assert strip_reply(text) == text


def test_strip_returns_empty_when_everything_is_quoted_and_parser_falls_back():
    raw = crlf("From: a@b.be\nSubject: fwd\nMessage-ID: <q@b.be>\n\n"
               "---------- Forwarded message ---------\nVan: Shop\nDatum: 3 jan\n\nFactuur 2024-001\n")
    assert strip_reply(raw.decode().split("\r\n\r\n", 1)[1].replace("\r\n", "\n")) == ""
    mail = parse_mail(raw)
    assert "Factuur 2024-001" in mail.text  # nothing lost: the full text is kept


def test_iso_8859_1_quoted_printable_and_encoded_word_subject():
    raw = crlf(
        "From: =?iso-8859-1?Q?Ren=E9_Dupr=E9?= <Rene@Example.FR>\n"
        "Subject: =?iso-8859-1?Q?O=F9_est_ma_commande_=3F?=\n"
        "Message-ID: <abc@example.fr>\nIn-Reply-To: <hd.x@shop>\nReferences: <root@shop.test> <hd.x@shop>\n"
        "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Je n'ai pas re=E7u ma commande. J'ai pay=E9 =80 50.\n\nCordialement,\nRen=E9\n")
    mail = parse_mail(raw)
    assert mail.from_addr == "rene@example.fr" and mail.from_name == "René Dupré"
    assert mail.subject == "Où est ma commande ?"
    # 0x80 is the euro sign in windows-1252, which is what "iso-8859-1" mail really carries
    assert mail.text == "Je n'ai pas reçu ma commande. J'ai payé € 50."
    assert mail.thread_ids == ["<root@shop.test>", "<hd.x@shop>"] and mail.in_reply_to == "<hd.x@shop>"
    assert mail.problems == []


def test_base64_utf8_multipart_prefers_plain_and_lists_attachments():
    msg = EmailMessage()
    msg["From"] = "Jan <jan@example.be>"
    msg["Subject"] = "Factuur — bestelling 123"
    msg["Message-ID"] = "<m2@example.be>"
    msg.set_content("Ik zie mijn factuur niet. Groetjes uit Gent 😀", charset="utf-8", cte="base64")
    msg.add_alternative("<p>HTML <b>version</b></p>", subtype="html")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="bon.pdf")
    mail = parse_mail(msg.as_bytes())
    assert mail.subject == "Factuur — bestelling 123"
    assert mail.text == "Ik zie mijn factuur niet. Groetjes uit Gent 😀"
    assert mail.attachments == [{"filename": "bon.pdf", "content_type": "application/pdf", "size": 13,
                                 "data": b"%PDF-1.4 fake"}]


def test_html_only_mail_drops_markup_styles_and_quoted_blocks():
    html = ("<html><head><style>p{color:red}</style></head><body><div>Bonjour,</div>"
            "<div>Ma commande <b>n°&nbsp;4711</b> est en retard&hellip;</div><br>"
            "<div class=\"gmail_quote\"><div class=\"gmail_attr\">Le lun. 3 janv. 2024, Support a écrit :</div>"
            "<blockquote>Ancien message</blockquote></div></body></html>")
    raw = ("From: m@example.fr\nSubject: retard\nMessage-ID: <h@example.fr>\n"
           "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + html).encode("utf-8")
    mail = parse_mail(raw)
    assert mail.text == "Bonjour,\nMa commande n° 4711 est en retard…"
    assert "Ancien" not in mail.text and "color" not in mail.text


def test_html_to_text_survives_broken_markup():
    assert html_to_text("<div><p>Hallo<br>wereld</div></span><script>alert(1)</script>") == "Hallo\nwereld"


def test_broken_and_unknown_charsets_never_raise():
    raw = crlf("From: x@example.be\nSubject: test\nMessage-ID: <c@example.be>\n"
               "Content-Type: text/plain; charset=x-made-up\n\nhallo\n") + b"caf\xe9 \xff\n"
    mail = parse_mail(raw)
    assert mail.text.startswith("hallo\ncaf")
    assert any("charset" in p for p in mail.problems)
    # declared utf-8 but really windows-1252 bytes
    assert decode_bytes(b"r\xe9sum\xe9", "utf-8") == "résumé"


def test_raw_8bit_header_and_missing_message_id():
    raw = b"From: =?broken?Q?x?= <p@example.be>\r\nSubject: Caf\xe9 cr\xe8me\r\n\r\nBody\r\n"
    first, second = parse_mail(raw), parse_mail(raw)
    assert first.subject == "Café crème"
    assert first.message_id == second.message_id and first.message_id.endswith("@helpdesk.invalid>")
    assert any("Message-ID" in p for p in first.problems)
    assert first.text == "Body"


def test_garbage_input_is_stored_with_what_could_be_read():
    mail = parse_mail(b"\x00\xff\xfe not a mail at all \x80\x81")
    assert mail.message_id.startswith("<") and isinstance(mail.text, str)
    assert "no usable From address" in mail.problems


def test_huge_body_is_cut_and_noted():
    raw = crlf("From: big@example.be\nSubject: big\nMessage-ID: <big@example.be>\n\n") + b"a " * 200_000
    mail = parse_mail(raw)
    assert len(mail.full_text) <= MAX_TEXT
    assert any("cut" in p for p in mail.problems)


def test_auto_replies_and_bounces_are_flagged():
    ooo = crlf("From: jan@example.be\nAuto-Submitted: auto-replied\nSubject: Afwezig\nMessage-ID: <o@e>\n\nIk ben afwezig\n")
    bounce = crlf("From: MAILER-DAEMON@mx.example.be\nSubject: Undelivered\nMessage-ID: <b@e>\n\nfailed\n")
    normal = crlf("From: jan@example.be\nSubject: vraag\nMessage-ID: <n@e>\n\nVraag\n")
    assert parse_mail(ooo).auto_generated and parse_mail(bounce).auto_generated
    assert not parse_mail(normal).auto_generated


def test_message_id_without_brackets_and_base64_subject():
    subject = "=?utf-8?B?" + base64.b64encode("Où est ma facture ?".encode()).decode() + "?="
    raw = crlf(f"From: a@b.fr\nSubject: {subject}\nMessage-ID: naked-id@b.fr\nIn-Reply-To: <p@b.fr>\n\nx\n")
    mail = parse_mail(raw)
    assert mail.message_id == "<naked-id@b.fr>" and mail.subject == "Où est ma facture ?"
