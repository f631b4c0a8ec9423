"""The console's JSON API under /agent/api: login/logout, queue, conversation, actions.

Every handler first resolves the session (401 without one); state-changing handlers also demand
the session's CSRF token (403). Authorisation is per conversation: an agent acts on pending
conversations and on their own; an admin on any (`_can_act`). Bad input gets a JSON error and
changes nothing.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging

from aiohttp import web

from connectors import client_address, handoff, media, outbox, shops, store
from connectors import message_templates as wa_templates
from connectors.console import accounts, auth, canned

log = logging.getLogger(__name__)

MAX_TEXT = 4000
COLLECTED_SLOTS = ("email", "order_number", "plate", "order_date", "found_order")


# ---------------------------------------------------------------- helpers


async def _json_body(request: web.Request) -> dict:
    if request.content_type != "application/json":
        raise auth.json_error(400, "bad_request", "Send JSON (Content-Type: application/json).")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise auth.json_error(400, "bad_request", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise auth.json_error(400, "bad_request", "Send a JSON object.")
    return body


def _text(body: dict) -> str:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise auth.json_error(400, "empty", "Write something first.")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise auth.json_error(400, "too_long", f"Keep it under {MAX_TEXT} characters.")
    return text


def _mutating(request: web.Request) -> tuple[dict, dict]:
    session, agent = auth.current(request)
    auth.require_csrf(request, session)
    return session, agent


def _conversation(request: web.Request, agent: dict) -> dict:
    """The conversation of the URL, if this agent works for its shop (else 404: an agent limited to
    some shops does not learn what other shops' conversations exist)."""
    conv = store.get_conversation(request.app["db"], request.match_info["conversation_id"])
    if conv is None or not _in_scope(request.app, conv, agent):
        raise auth.json_error(404, "not_found", "No such conversation.")
    return conv


def _in_scope(app: web.Application, conv: dict, agent: dict) -> bool:
    limit = accounts.shops_of(app["db"], agent)
    return limit is None or shops.of(app, conv).id in limit


def _shop_fields(app: web.Application, conv: dict) -> dict:
    shop = shops.of(app, conv)
    return {"shop": shop.id, "shop_name": shop.name}


def _owned_by_other(conv: dict, agent: dict) -> bool:
    return conv["state"] == "agent" and conv["assigned_agent_id"] not in (None, agent["id"])


def _can_act(conv: dict, agent: dict) -> bool:
    """May this agent act on the conversation? Not on someone else's, unless admin."""
    return agent["role"] == "admin" or not _owned_by_other(conv, agent)


def _require_act(conv: dict, agent: dict) -> None:
    if not _can_act(conv, agent):
        raise auth.json_error(403, "forbidden", "This conversation belongs to another agent.")


def _agent_names(db) -> dict[int, str]:
    return {a["id"]: a["name"] for a in accounts.list_all(db)}


def _last_customer_message(db, conversation_id: str) -> dict | None:
    msgs = [m for m in store.list_messages(db, conversation_id, limit=50) if m["author"] == "customer"]
    return msgs[-1] if msgs else None


def _summary(db, conv: dict, names: dict[int, str], position: int | None = None,
             shop: dict | None = None) -> dict:
    """One row of the queue / my-conversations list."""
    contact = store.get_contact(db, conv["contact_id"]) or {}
    last = _last_customer_message(db, conv["id"])  # what the customer said, not our notices
    if last is None:
        msgs = store.list_messages(db, conv["id"], limit=1)
        last = msgs[-1] if msgs else None
    return {
        "id": conv["id"], "channel": conv["channel"], "language": conv["language"],
        "shop_id": canned.shop_of(conv),
        "state": conv["state"], "handoff_reason": conv["handoff_reason"],
        "pending_since": conv["pending_since"], "updated_at": conv["updated_at"],
        "position": position,
        "contact_name": contact.get("name"), "contact_identity": _display_identity(conv, contact),
        "assigned_agent_id": conv["assigned_agent_id"],
        "assigned_agent_name": names.get(conv["assigned_agent_id"]),
        "last_message": (last["text"] or "[media]")[:200] if last else None,
        "last_message_author": last["author"] if last else None,
        **(shop or {}),
    }


def _display_identity(conv: dict, contact: dict) -> str | None:
    """Phone numbers and emails help the agent; a web-chat identity is an opaque hash: hide it."""
    if conv["channel"] == "web":
        return "Web visitor"
    identity = contact.get("identity") or ""
    return identity.removeprefix("whatsapp:")


# ---------------------------------------------------------------- auth endpoints


async def login(request: web.Request) -> web.Response:
    """Email + password -> session cookie. Limited per email and per client address."""
    app = request.app
    if request.headers.get("Origin") and not auth.allowed_origin(request, app["settings"].PUBLIC_URL):
        raise auth.json_error(403, "origin", "Login from another site refused.")
    body = await _json_body(request)
    email = str(body.get("email") or "").strip().lower()
    password = body.get("password")
    if not email or not isinstance(password, str) or not password:
        raise auth.json_error(400, "bad_request", "Enter your email and password.")
    limiter: auth.LoginLimiter = app["agent_login_limiter"]
    wait, reservation = limiter.reserve(email, client_address.limit_key(client_address.of(request)))
    if reservation is None:
        raise auth.json_error(429, "rate_limited", f"Too many failed logins. Try again in {wait // 60 + 1} min.",
                              **{"Retry-After": str(wait)})
    agent = accounts.get_by_email(app["db"], email)
    ok = await asyncio.get_running_loop().run_in_executor(
        None, accounts.check_password, agent["password_hash"] if agent else None, password)
    if not ok or agent is None or not accounts.active(agent):
        limiter.failed(reservation)
        raise auth.json_error(401, "bad_credentials", "Wrong email or password.")
    limiter.succeeded(reservation)
    token, csrf = auth.create_session(app["db"], agent["id"])
    resp = web.json_response({"agent": accounts.public(agent) | {"shops": accounts.shops_of(app["db"], agent)},
                              "csrf": csrf})
    resp.set_cookie(auth.COOKIE, token, path="/agent", httponly=True, samesite="Strict",
                    secure=auth.secure_cookies(app["settings"].PUBLIC_URL),
                    max_age=auth.SESSION_HOURS * 3600)
    store.add_event(app["db"], None, "agent_login", f"agent:{agent['id']}")
    return resp


async def logout(request: web.Request) -> web.Response:
    session, agent = _mutating(request)
    token = request.cookies.get(auth.COOKIE)
    auth.end_session(request.app["db"], token)
    from connectors.console import live

    await live.close_session_sockets(request.app, session["token_hash"])
    resp = web.json_response({"ok": True})
    resp.del_cookie(auth.COOKIE, path="/agent")
    return resp


async def me(request: web.Request) -> web.Response:
    session, agent = auth.current(request)
    return web.json_response({"agent": accounts.public(agent) | {"shops": accounts.shops_of(request.app["db"], agent)},
                              "csrf": session["csrf_token"]})


# ---------------------------------------------------------------- reading


async def queue(request: web.Request) -> web.Response:
    """Pending conversations in queue order, plus the agent's own (an admin sees all taken ones).

    Only the shops the agent works for (all for admins and unlimited agents); `?shop=ID` narrows it
    to one of them. Each row names its shop; `shops` lists the ones the agent may filter on."""
    _session, agent = auth.current(request)
    app, db = request.app, request.app["db"]
    names = _agent_names(db)
    known = shops.all_shops(app)
    limit = accounts.shops_of(db, agent)
    visible = [s for s in known.shops.values() if limit is None or s.id in limit]
    wanted = request.query.get("shop")
    if wanted:
        if wanted not in {s.id for s in visible}:
            raise auth.json_error(400, "unknown_shop", f"No shop {wanted[:64]!r} among yours.")
        scope: list[str] | None = [wanted]
    else:
        scope = None if limit is None else [s.id for s in visible]
    fields = {s.id: {"shop": s.id, "shop_name": s.name} for s in known.shops.values()}
    default = known.default().id

    def shop_of(conv: dict) -> dict:
        return fields.get(conv.get("shop") or default) or fields[default]

    waiting = [_summary(db, c, names, i, shop_of(c))
               for i, c in enumerate(handoff.pending(db, scope, default), start=1)]
    taken = [c for c in store.list_conversations(db, "agent", limit=500, shops=scope, default_shop=default)
             if agent["role"] == "admin" or c["assigned_agent_id"] == agent["id"]]
    return web.json_response({
        "pending": waiting, "mine": [_summary(db, c, names, shop=shop_of(c)) for c in taken],
        "shops": [{"id": s.id, "name": s.name} for s in visible], "shop": wanted or None,
    })


async def _collected(app: web.Application, conversation_id: str) -> tuple[dict, str | None]:
    """Slots the bot filled (from Rasa's tracker); an unreachable Rasa is reported, not fatal."""
    from connectors import rasa_client

    empty = {k: None for k in COLLECTED_SLOTS}
    try:
        tracker = await rasa_client.tracker(app["http"], app["settings"].RASA_URL, conversation_id)
    except Exception as exc:  # noqa: BLE001 - any failure: show the transcript anyway
        log.warning("tracker for %s unavailable: %s", conversation_id, exc)
        return empty, "The bot's memory is unavailable right now."
    slots = tracker.get("slots") or {}
    return {k: slots.get(k) for k in COLLECTED_SLOTS}, None


def _order(order_number: str | None) -> dict | None:
    """The order the bot showed the customer, read from the shop's orders store."""
    if not order_number:
        return None
    try:
        from actions.orders_store import open_store

        order = open_store().get(str(order_number))
    except Exception as exc:  # noqa: BLE001 - orders store missing/broken: the console still works
        log.warning("orders store lookup of %s failed: %s", order_number, exc)
        return None
    if order is None:
        return None
    data = dataclasses.asdict(order) if dataclasses.is_dataclass(order) else dict(order)
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in data.items()}


def _permissions(conv: dict, agent: dict, window_open: bool, templates: bool = False) -> dict:
    can = _can_act(conv, agent)
    state = conv["state"]
    return {
        "take": state in ("pending", "bot"),
        "reply": state == "agent" and can and window_open,
        "template": conv["channel"] == "whatsapp" and state == "agent" and can and templates,
        "note": can,
        "handback": state in ("pending", "agent") and can,
        "close": state != "closed" and can,
    }


def _notice(conv: dict, agent: dict, names: dict[int, str], window_open: bool, templates: bool) -> str | None:
    if conv["channel"] == "whatsapp" and not window_open and conv["state"] != "closed":
        text = ("WhatsApp 24-hour rule: the customer's last message is more than 24 hours old, so free text "
                "can't be sent. ")
        return text + ("Send one of the shop's approved message templates instead." if templates
                       else "No message template is configured (TWILIO_TEMPLATES or TWILIO_TEMPLATE_SID).")
    if _owned_by_other(conv, agent):
        who = names.get(conv["assigned_agent_id"], "another agent")
        return (f"{who} handles this conversation." +
                (" As admin you can still reply, hand it back or close it." if agent["role"] == "admin" else ""))
    if conv["state"] == "bot":
        return "The bot is handling this conversation. Take over to reply yourself."
    if conv["state"] == "pending":
        return "The customer is waiting for a person. Take over to reply."
    return None


async def conversation(request: web.Request) -> web.Response:
    """Everything the conversation view shows."""
    _session, agent = auth.current(request)
    app, db = request.app, request.app["db"]
    conv = _conversation(request, agent)
    names = _agent_names(db)
    contact = store.get_contact(db, conv["contact_id"]) or {}
    messages = store.list_messages(db, conv["id"], include_internal=True)
    events = store.list_events(db, conv["id"])
    collected, collected_error = await _collected(app, conv["id"])
    order = await asyncio.get_running_loop().run_in_executor(None, _order, collected.get("found_order"))
    window_open = conv["channel"] != "whatsapp" or handoff.whatsapp_window_open(conv)
    template_list = wa_templates.for_language(wa_templates.of_app(app), conv["language"])
    templates = bool(template_list)
    last_in = [m for m in messages if m["author"] == "customer"]

    def actor_name(actor: str) -> str:
        if actor.startswith("agent:"):
            try:
                return names.get(int(actor.split(":", 1)[1]), actor)
            except ValueError:
                return actor
        return actor

    mails = [e["data"] for e in events if e["type"] == "email_in" and isinstance(e["data"], dict)]
    summary = _summary(db, conv, names, handoff.shop_position(app, conv), _shop_fields(app, conv))
    summary.update({"created_at": conv["created_at"], "last_customer_message_at": conv["last_customer_message_at"],
                    "contact_name": contact.get("name"), "reply_email": conv.get("reply_email")})
    return web.json_response({
        "conversation": summary,
        "messages": [{
            "id": m["id"], "author": m["author"], "direction": m["direction"], "text": m["text"],
            "buttons": m["buttons"], "media": m["media"], "internal": m["internal"], "status": m["status"],
            "error": m["error"] if m["status"] == "failed" else None, "template": m.get("template"),
            "created_at": m["created_at"], "agent_name": names.get(m["agent_id"]),
        } for m in messages],
        "events": [{"type": e["type"], "actor": e["actor"], "actor_name": actor_name(e["actor"]),
                    "created_at": e["created_at"], "data": e["data"]} for e in events],
        "collected": collected, "collected_error": collected_error, "order": order,
        "whatsapp": {"window_open": window_open, "templates": templates,
                     "template_list": [t.public() for t in template_list]}
        if conv["channel"] == "whatsapp" else None,
        "permissions": _permissions(conv, agent, window_open, templates),
        "notice": _notice(conv, agent, names, window_open, templates),
        "last_customer_message_id": last_in[-1]["id"] if last_in else None,
        # Did the sender's domain pass SPF/DKIM/DMARC for the latest mail? A spoofed From shows here.
        "sender_auth": _sender_auth(mails[-1]) if mails else None,
    })


def _sender_auth(mail: dict) -> dict:
    auth_ = mail.get("sender_auth") or {}
    return {"verdict": auth_.get("verdict") or "none", "domain": auth_.get("domain"),
            "spf": auth_.get("spf"), "dkim": auth_.get("dkim"), "dmarc": auth_.get("dmarc"),
            "automatic": bool(mail.get("auto_generated"))}


async def suggestions(request: web.Request) -> web.Response:
    """The 3 best FAQ answers for the customer's last message, in the conversation's language,
    from the conversation's shop's FAQ collections."""
    _session, agent = auth.current(request)
    conv = _conversation(request, agent)
    last = _last_customer_message(request.app["db"], conv["id"])
    shop = shops.of(request.app, conv)
    if last is None or not last["text"]:
        return web.json_response({"query": None, "lang": conv["language"], "results": [], "shop": shop.id})
    lang = conv["language"] if conv["language"] in ("nl", "fr") else None

    def search() -> dict:
        return shop_search(last["text"], lang, shop)

    try:
        found = await asyncio.get_running_loop().run_in_executor(None, search)
    except Exception as exc:  # noqa: BLE001 - the FAQ engine is optional for the console
        log.warning("FAQ suggestions failed: %s", exc)
        raise auth.json_error(503, "faq_unavailable", "Suggestions are unavailable right now.") from None
    results = [{"id": r["id"], "question": r["question"], "answer": r["answer"], "score": r["score"]}
               for r in found.get("results", [])[:3]]
    return web.json_response({"query": last["text"], "lang": found.get("lang", lang), "results": results,
                              "shop": shop.id})


def shop_search(text: str, lang: str | None, shop) -> dict:
    """FAQ search limited to the shop's collections. Uses the FAQ service's own `shop` filter when
    it has one; otherwise ranks the whole base and keeps the shop's best entries (ids are
    `<collection>.<slug>`), so an agent still gets suggestions from the right shop."""
    import inspect

    from faq import service
    from faq.language import detect

    params = inspect.signature(service.search).parameters
    if "shop" in params:
        return service.search(text, k=3, lang=lang, shop=shop.id)
    if "collections" in params:
        return service.search(text, k=3, lang=lang, collections=list(shop.faq))
    searcher = service.searcher()
    out_lang = lang or detect(text)[0]
    results = []
    for hit in searcher.rank(text):
        if hit.id.split(".", 1)[0] not in shop.faq:
            continue
        entry = searcher.by_key.get((hit.id, out_lang)) or next(
            (searcher.by_key[(hit.id, other)] for other in ("nl", "fr") if (hit.id, other) in searcher.by_key), None)
        if entry is not None:
            results.append({"id": entry.id, "lang": entry.lang, "question": entry.question,
                            "answer": entry.answer, "score": round(hit.score, 4)})
        if len(results) == 3:
            break
    return {"query": text, "lang": out_lang, "results": results}


# ---------------------------------------------------------------- actions


def _conflict(exc: Exception) -> web.HTTPException:
    return auth.json_error(409, "conflict", str(exc))


async def take(request: web.Request) -> web.Response:
    _session, agent = _mutating(request)
    conv = _conversation(request, agent)
    try:
        conv = handoff.take(request.app, conv["id"], agent)
    except handoff.HandoffError as exc:
        raise _conflict(exc) from None
    return web.json_response({"conversation": {"id": conv["id"], "state": conv["state"]}})


async def reply(request: web.Request) -> web.Response:
    """Send the agent's text to the customer through the outbox (their channel, their thread)."""
    _session, agent = _mutating(request)
    conv = _conversation(request, agent)
    text = _text(await _json_body(request))
    _require_act(conv, agent)
    if conv["state"] != "agent":
        raise auth.json_error(409, "not_taken", "Take over the conversation before replying.")
    if conv["channel"] == "whatsapp" and not handoff.whatsapp_window_open(conv):
        raise auth.json_error(409, "whatsapp_24h", "The customer's last WhatsApp message is older than "
                              "24 hours: free text can't be sent (message templates only).")
    msg = outbox.enqueue(request.app, conv["id"], text, author="agent", agent_id=agent["id"])
    return web.json_response({"message": {"id": msg["id"], "status": msg["status"]}}, status=201)


async def send_template(request: web.Request) -> web.Response:
    """Send an approved WhatsApp template (the way to reach a customer after the 24-hour window).

    Body: `{"name", "language"?, "variables": ["Jan", ...] or {"1": "Jan"}}`."""
    _session, agent = _mutating(request)
    conv = _conversation(request, agent)
    body = await _json_body(request)
    _require_act(conv, agent)
    if conv["channel"] != "whatsapp":
        raise auth.json_error(400, "not_whatsapp", "Message templates are for WhatsApp conversations.")
    if conv["state"] != "agent":
        raise auth.json_error(409, "not_taken", "Take over the conversation before sending a template.")
    template = wa_templates.find(wa_templates.of_app(request.app), body.get("name"), body.get("language"))
    if template is None:
        raise auth.json_error(404, "no_template", "No such approved template.")
    try:
        filled = template.fill(body.get("variables"))
    except wa_templates.TemplateError as exc:
        raise auth.json_error(400, "bad_variables", str(exc)) from None
    msg = outbox.enqueue(request.app, conv["id"], wa_templates.preview(template, filled), author="agent",
                         agent_id=agent["id"], template={"name": template.name, "language": template.language,
                                                         "content_sid": template.content_sid, "variables": filled})
    return web.json_response({"message": {"id": msg["id"], "status": msg["status"]}}, status=201)


async def note(request: web.Request) -> web.Response:
    """An internal note: stored with the conversation, shown to agents, never sent."""
    _session, agent = _mutating(request)
    conv = _conversation(request, agent)
    text = _text(await _json_body(request))
    _require_act(conv, agent)
    msg = outbox.enqueue(request.app, conv["id"], text, author="agent", agent_id=agent["id"], internal=True)
    return web.json_response({"message": {"id": msg["id"]}}, status=201)


async def handback(request: web.Request) -> web.Response:
    _session, agent = _mutating(request)
    conv = _conversation(request, agent)
    _require_act(conv, agent)
    try:
        conv = await handoff.hand_back(request.app, conv["id"], f"agent:{agent['id']}", agent=agent)
    except handoff.NotAllowed as exc:
        raise auth.json_error(403, "forbidden", str(exc)) from None
    except handoff.HandoffError as exc:
        raise _conflict(exc) from None
    return web.json_response({"conversation": {"id": conv["id"], "state": conv["state"]}})


async def close(request: web.Request) -> web.Response:
    _session, agent = _mutating(request)
    conv = _conversation(request, agent)
    _require_act(conv, agent)
    try:
        conv = handoff.close(request.app, conv["id"], f"agent:{agent['id']}", agent=agent)
    except handoff.NotAllowed as exc:
        raise auth.json_error(403, "forbidden", str(exc)) from None
    except handoff.HandoffError as exc:
        raise _conflict(exc) from None
    return web.json_response({"conversation": {"id": conv["id"], "state": conv["state"]}})


async def media_file(request: web.Request) -> web.StreamResponse:
    """A customer's attachment, for logged-in agents only (401 otherwise, never cached).

    Images and PDFs are shown inline; anything else downloads. `sandbox` keeps a hostile file
    (an SVG, an HTML page renamed .png) from running script in the console's origin."""
    auth.current(request)
    path = media.path_of(request.app["settings"], request.match_info["name"])
    if path is None:
        raise auth.json_error(404, "not_found", "No such file.")
    content_type = media.type_of(path.name)
    inline = content_type in media.INLINE_TYPES
    content_type = content_type if inline else "application/octet-stream"
    return web.FileResponse(path, headers={
        "Content-Type": content_type,
        "Content-Disposition": "inline" if inline else "attachment",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })


# ---------------------------------------------------------------- canned responses


def _require_admin(agent: dict) -> None:
    if agent["role"] != "admin":
        raise auth.json_error(403, "admin_only", "Only admins manage canned responses.")


def _canned_id(request: web.Request) -> int:
    try:
        return int(request.match_info["canned_id"])
    except ValueError:
        raise auth.json_error(404, "not_found", "No such canned response.") from None


async def canned_list(request: web.Request) -> web.Response:
    """`?shop=&language=`: the responses agents pick from ("/" in the composer); admins see all."""
    auth.current(request)
    shop = request.query.get("shop") or None
    language = request.query.get("language") or None
    return web.json_response({"canned": canned.list_for(request.app["db"], shop, language)})


async def canned_create(request: web.Request) -> web.Response:
    _session, agent = _mutating(request)
    _require_admin(agent)
    try:
        row = canned.create(request.app["db"], await _json_body(request), agent["id"])
    except canned.CannedError as exc:
        raise auth.json_error(400, "bad_canned", str(exc)) from None
    return web.json_response({"canned": row}, status=201)


async def canned_update(request: web.Request) -> web.Response:
    _session, agent = _mutating(request)
    _require_admin(agent)
    try:
        row = canned.update(request.app["db"], _canned_id(request), await _json_body(request))
    except canned.CannedError as exc:
        raise auth.json_error(400, "bad_canned", str(exc)) from None
    if row is None:
        raise auth.json_error(404, "not_found", "No such canned response.")
    return web.json_response({"canned": row})


async def canned_delete(request: web.Request) -> web.Response:
    _session, agent = _mutating(request)
    _require_admin(agent)
    if not canned.delete(request.app["db"], _canned_id(request)):
        raise auth.json_error(404, "not_found", "No such canned response.")
    return web.json_response({"ok": True})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/agent/media/{name}", media_file)
    r.add_post("/agent/api/login", login)
    r.add_post("/agent/api/logout", logout)
    r.add_get("/agent/api/me", me)
    r.add_get("/agent/api/queue", queue)
    r.add_get("/agent/api/conversations/{conversation_id}", conversation)
    r.add_get("/agent/api/conversations/{conversation_id}/suggestions", suggestions)
    r.add_post("/agent/api/conversations/{conversation_id}/take", take)
    r.add_post("/agent/api/conversations/{conversation_id}/reply", reply)
    r.add_post("/agent/api/conversations/{conversation_id}/note", note)
    r.add_post("/agent/api/conversations/{conversation_id}/template", send_template)
    r.add_get("/agent/api/canned", canned_list)
    r.add_post("/agent/api/canned", canned_create)
    r.add_put("/agent/api/canned/{canned_id}", canned_update)
    r.add_delete("/agent/api/canned/{canned_id}", canned_delete)
    r.add_post("/agent/api/conversations/{conversation_id}/handback", handback)
    r.add_post("/agent/api/conversations/{conversation_id}/close", close)
