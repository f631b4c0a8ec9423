"""Email: an IMAP poller in, SMTP replies out; a thin adapter around the conversation flow.

Inbound: every IMAP_POLL_SECONDS the poller fetches UNSEEN mail (without marking it), parses it,
hands it to `flow.receive` with the thread's root Message-ID as thread key, and only then marks it
seen: a crash in between means the mail is read again and deduplicated on its Message-ID.
Outbound: the outbox calls `send`, which answers the thread's latest customer mail with
"Re: <subject>", In-Reply-To and References, in UTF-8, through smtplib in a thread.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from aiohttp import web

from connectors import flow, media, outbox, shops, store
from connectors.channel import Channel, in_thread
from connectors.channels.email.imap import ImapSettings, fetch_unseen, mark_seen
from connectors.channels.email.parse import ParsedMail, parse_mail
from connectors.channels.email.smtp import (
    SmtpSendError,
    SmtpSettings,
    build_reply,
    conversation_of,
    new_message_id,
    send as smtp_send,
)
from helpdesk import wording

log = logging.getLogger(__name__)

NAME = "email"
POLLER_LEASE = "imap-poller"  # store lease: with several gateways on one store, one polls
EVENT_IN = "email_in"  # per inbound mail: the headers a reply needs (subject, ids, auto flag)
REQUIRED = ("IMAP_HOST", "IMAP_USER", "IMAP_PASSWORD", "SMTP_HOST", "SMTP_FROM")



def setup(app: web.Application) -> None:
    """Build the IMAP/SMTP settings and start the poller with the app (only when configured)."""
    settings = app["settings"]
    app["email"] = {
        "imap": ImapSettings(
            host=settings.IMAP_HOST,
            port=settings.IMAP_PORT,
            user=settings.IMAP_USER,
            password=settings.IMAP_PASSWORD,
            folder=settings.IMAP_FOLDER,
            use_ssl=settings.IMAP_SSL,
        ),
        "smtp": SmtpSettings(
            host=settings.SMTP_HOST,
            port=settings.SMTP_PORT,
            from_addr=settings.SMTP_FROM,
            user=settings.SMTP_USER,
            password=settings.SMTP_PASSWORD,
            starttls=settings.SMTP_STARTTLS,
            ssl=settings.SMTP_SSL,
        ),
        "poll_seconds": max(0.2, settings.IMAP_POLL_SECONDS),
        "stats": {"last_poll_at": None, "last_poll_error": None, "poller": None},
        "poller_owner": uuid.uuid4().hex,
    }
    app.on_startup.append(_start_poller)
    app.on_cleanup.append(_stop_poller)
    cfg = app["email"]["imap"]
    log.info("channel email on: IMAP %s:%s/%s every %ss, SMTP %s:%s", cfg.host, cfg.port,
             cfg.folder, app["email"]["poll_seconds"], app["email"]["smtp"].host, app["email"]["smtp"].port)


def health(app: web.Application) -> dict[str, Any]:
    """What only this adapter knows (the poller); the shared counters come from connectors.channel."""
    return dict(app["email"]["stats"])


# ---------------------------------------------------------------- inbound


async def _start_poller(app: web.Application) -> None:
    app["email_poller"] = asyncio.create_task(_poll_forever(app), name="email-poller")


async def _stop_poller(app: web.Application) -> None:
    task = app.get("email_poller")
    if task is not None:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        try:
            store.release_lease(app["db"], POLLER_LEASE, app["email"]["poller_owner"])
        except Exception:  # the store is going away too: the lease simply expires
            log.warning("could not release the IMAP poller lease")


def lease_seconds(poll_seconds: float) -> float:
    """How long the poller's lease lasts: a few polls (at least 30 s, longer than a slow poll
    takes), so a dead holder is replaced soon and a live one keeps it."""
    return max(30.0, 4 * poll_seconds)


async def _poll_forever(app: web.Application) -> None:
    """Poll while this gateway holds the poller lease (several gateways share a store: one polls)."""
    state = app["email"]
    failures = 0
    while True:
        try:
            if not store.hold_lease(app["db"], POLLER_LEASE, state["poller_owner"],
                                    lease_seconds(state["poll_seconds"])):
                state["stats"]["poller"] = "standby"
                await asyncio.sleep(state["poll_seconds"])
                continue
            state["stats"]["poller"] = "active"
            await poll_once(app)
            failures = 0
            wait = state["poll_seconds"]
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # IMAP down, DB busy: report, back off, keep polling
            failures += 1
            state["stats"]["last_poll_error"] = f"{type(exc).__name__}: {exc}"
            log.warning("email poll failed (%d in a row): %s", failures, exc)
            wait = min(300.0, state["poll_seconds"] * 2 ** min(failures, 6))
        await asyncio.sleep(wait)


def _own_addresses(app: web.Application) -> set[str]:
    """SMTP_FROM and every shop inbox: mail from them is ours (a loop), never a customer's."""
    from email.utils import parseaddr

    own = {parseaddr(app["email"]["smtp"].from_addr)[1].lower()}
    for shop in shops.all_shops(app).shops.values():
        own.update(shop.email)
    return own


def thread_key_for(app: web.Application, mail: ParsedMail) -> str:
    """The conversation's thread key: the root Message-ID of the thread this mail belongs to.

    A reply to one of our own mails finds its conversation through our Message-ID (even when the
    client trimmed References); a known id anywhere in the ancestry finds its thread; otherwise
    the root of References (or In-Reply-To, or the mail's own id) starts a new thread.
    """
    db = app["db"]
    ancestry = mail.thread_ids
    for ref in reversed(ancestry):
        conv_id = conversation_of(ref)
        if conv_id:
            conv = store.get_conversation(db, conv_id)
            if conv is not None and conv["channel"] == NAME and conv["thread_key"]:
                return conv["thread_key"]
    for ref in ancestry:
        if store.conversation_by_thread(db, NAME, ref) is not None:
            return ref
    return ancestry[0] if ancestry else mail.message_id


def keep_attachments(app: web.Application, mail: ParsedMail) -> list[dict]:
    """Write the mail's attachments under MEDIA_DIR; the media entries the message stores.

    One that can't be kept (too large, empty) is still listed, with the reason, so the agent knows
    the customer sent it."""
    kept = []
    for att in mail.attachments:
        data = att.get("data") or b""
        try:
            kept.append(media.save(app["settings"], data, content_type=att.get("content_type"),
                                   filename=att.get("filename")))
        except media.MediaError as exc:
            kept.append({"kind": "attachment", "file": None, "filename": att.get("filename"),
                         "content_type": att.get("content_type"), "size": len(data), "error": str(exc)})
    return kept


def continued_chat(app: web.Application, mail: ParsedMail) -> dict | None:
    """The open chat this mail answers, when one of our "reply by email" mails is in its thread
    and it comes from the address the customer left; else None."""
    db = app["db"]
    for ref in reversed(mail.thread_ids):
        conv_id = conversation_of(ref)
        conv = store.get_conversation(db, conv_id) if conv_id else None
        if (conv is not None and conv["channel"] != NAME and conv["state"] != "closed"
                and (conv.get("reply_email") or "").lower() == mail.from_addr):
            return conv
    return None


async def _receive_one(app: web.Application, mail: ParsedMail) -> bool:
    """Store one parsed mail through the flow. True when it is safe to mark it seen."""
    if conversation_of(mail.message_id) or (mail.from_addr and mail.from_addr in _own_addresses(app)):
        log.info("email %s is our own mail; skipped", mail.message_id)
        return True
    identity = mail.from_addr if "@" in mail.from_addr else f"unknown:{mail.message_id}"
    text = mail.text
    if not text and not mail.attachments:
        # Some customers write the whole question in the subject line.
        text = mail.subject or "(empty email)"
    media = keep_attachments(app, mail) or None
    chat = continued_chat(app, mail)
    # The inbox address the customer wrote to picks the shop (shops.yml `email`), else the default.
    shop = shops.for_email(app, *mail.recipients)
    shop_address = next((r for r in mail.recipients if r in shop.email), None)
    meta = {"subject": mail.subject, "no_reply": mail.auto_generated, "shop": shop.id, "shop_address": shop_address}
    result = await flow.receive(
        app, channel=NAME, identity=identity, text=text, channel_message_id=mail.message_id,
        media=media, thread_key=None if chat else thread_key_for(app, mail), name=mail.from_name, meta=meta,
        into_conversation=chat["id"] if chat else None,
    )
    if result["duplicate"]:
        return True
    store.add_event(app["db"], result["conversation_id"], EVENT_IN, "customer", {
        "message_id": mail.message_id,
        "subject": mail.subject,
        "references": mail.references,
        "in_reply_to": mail.in_reply_to,
        "from": mail.from_addr,
        "auto_generated": mail.auto_generated,
        "problems": mail.problems or None,
        "sender_auth": mail.sender_auth or None,
        "stored_message_id": result["message_id"],
    })
    if mail.problems:
        log.info("email %s stored with problems: %s", mail.message_id, "; ".join(mail.problems))
    return True


async def poll_once(app: web.Application) -> int:
    """Fetch, store and mark seen every UNSEEN mail once. Returns how many were stored or skipped."""
    state = app["email"]
    cfg = state["imap"]
    mails = await in_thread(NAME, fetch_unseen, cfg)
    done: list[str] = []
    try:
        for raw in mails:
            if not raw.raw:
                log.warning("IMAP returned no content for UID %s; left unseen", raw.uid)
                continue
            # Parsing is inside the per-mail guard too: one crafted mail must never stop the
            # poll (it used to raise RecursionError here, stay UNSEEN and block every later mail).
            try:
                mail = await asyncio.to_thread(parse_mail, raw.raw, raw.truncated,
                                               app["settings"].EMAIL_AUTHSERV_ID)
                if await _receive_one(app, mail):
                    done.append(raw.uid)
            except Exception:
                # Not marked seen: the next poll tries again (dedupe makes that safe).
                log.exception("storing email UID %s failed; will retry", raw.uid)
    finally:
        if done:
            await in_thread(NAME, mark_seen, cfg, done)
    state["stats"]["last_poll_at"] = store.now()
    state["stats"]["last_poll_error"] = None
    return len(done)


# ---------------------------------------------------------------- outbound


def _last_inbound(app: web.Application, conversation_id: str) -> dict | None:
    events = [e for e in store.list_events(app["db"], conversation_id) if e["type"] == EVENT_IN]
    return events[-1]["data"] if events else None


def _body(app: web.Application, language: str | None, message: dict, shop_name: str) -> str:
    text = (message.get("text") or "").strip()
    buttons = message.get("buttons") or []
    if buttons:
        text += "\n\n" + "\n".join(f"- {b.get('title', '')}" for b in buttons)
    for item in message.get("media") or []:
        url = item.get("url") if isinstance(item, dict) else item
        if url:
            text += f"\n{url}"
    if language in wording.LANGS:
        text += "\n\n" + wording.text("email_closing", language, shop=shop_name)
    return text.strip() + "\n"


def _our_earlier_mails(app: web.Application, conversation_id: str) -> list[str]:
    """Message-IDs we already mailed in this conversation, oldest first (threads a chat's mails)."""
    return [m["channel_message_id"] for m in store.list_messages(app["db"], conversation_id)
            if m["direction"] == "out" and conversation_of(m.get("channel_message_id") or "") == conversation_id]


async def _send_to_reply_email(app: web.Application, conversation: dict, message: dict) -> str:
    """A web chat continued by email ("reply by email to X"): a new thread of our own mails."""
    state = app["email"]
    language = conversation.get("language")
    earlier = _our_earlier_mails(app, conversation["id"])
    last = _last_inbound(app, conversation["id"]) or {}  # the customer answered one of our mails
    refs = earlier + [r for r in [last.get("message_id")] if r]
    message_id = new_message_id(conversation["id"], state["smtp"].from_addr, message.get("id"))
    shop = shops.of(app, conversation)
    msg = build_reply(
        from_addr=_from_for(state["smtp"].from_addr, shop.name, None), to_addr=conversation["reply_email"],
        subject=last.get("subject") or wording.text("email_chat_subject", language),
        text=_body(app, language, message, shop.name), message_id=message_id,
        in_reply_to=refs[-1] if refs else None, references=refs, language=language,
    )
    try:
        await in_thread(NAME, smtp_send, state["smtp"], msg)
    except SmtpSendError as exc:
        raise outbox.SendError(str(exc), retryable=exc.retryable) from exc
    return message_id


def _from_for(smtp_from: str, shop_name: str, shop_address: str | None) -> str:
    """Answer from the shop inbox the customer wrote to, under the shop's name; SMTP_FROM when the
    mail reached no shop inbox (a catch-all mailbox)."""
    from email.utils import formataddr

    return formataddr((shop_name, shop_address)) if shop_address else smtp_from


async def send(app: web.Application, conversation: dict, message: dict) -> str | None:
    """The outbox's sender: one threaded reply by SMTP. Returns our Message-ID."""
    state = app["email"]
    if conversation["channel"] != NAME:
        if not conversation.get("reply_email"):
            raise outbox.SendError("conversation has no email address to answer", retryable=False)
        return await _send_to_reply_email(app, conversation, message)
    contact = store.get_contact(app["db"], conversation["contact_id"])
    if contact is None or "@" not in contact["identity"]:
        raise outbox.SendError("conversation has no email address to answer", retryable=False)
    last = _last_inbound(app, conversation["id"]) or {}
    if last.get("auto_generated") and message.get("author") in ("bot", "system"):
        # Answering an out-of-office, a bounce or a list with a robot (or a notice) makes a mail loop.
        raise outbox.SendError("last mail was auto-generated: no automatic answer", retryable=False)
    refs = list(last.get("references") or [])
    if conversation.get("thread_key") and conversation["thread_key"] not in refs:
        refs.insert(0, conversation["thread_key"])
    message_id = new_message_id(conversation["id"], state["smtp"].from_addr, message.get("id"))
    shop = shops.of(app, conversation)
    msg = build_reply(
        from_addr=_from_for(state["smtp"].from_addr, shop.name, conversation.get("shop_address")),
        to_addr=contact["identity"],
        subject=last.get("subject") or "",
        text=_body(app, conversation.get("language"), message, shop.name),
        message_id=message_id,
        in_reply_to=last.get("message_id") or conversation.get("thread_key"),
        references=refs,
        language=conversation.get("language"),
    )
    try:
        await in_thread(NAME, smtp_send, state["smtp"], msg)
    except SmtpSendError as exc:
        raise outbox.SendError(str(exc), retryable=exc.retryable) from exc
    return message_id


CHANNEL = Channel(name=NAME, send=send, required=REQUIRED, setup=setup, health=health,
                  one_message_per_turn=True)
