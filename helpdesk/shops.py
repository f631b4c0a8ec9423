"""The shops one install serves (`shops.yml`, path from setting `SHOPS_FILE`).

Why a file of its own: a conversation belongs to one shop from its first message (web chat
`?shop=ID`, the WhatsApp number or inbox address the customer wrote to), and the shop decides
the FAQ collections the bot answers from, the name replies carry and the business hours of the
notices. The file is validated with line numbers (`helpdesk shops check` prints FILE:LINE: message)
by composing the YAML node tree, like faq/loader.py.

`load()` is process-wide and cached; it re-reads the file when its mtime/size changed (checked at
most once a second). A broken edit never replaces a good file already loaded: the previous shops
keep serving and the problem is logged; the first load raises `ShopsError` instead.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Iterable

import yaml

from helpdesk import hours
from helpdesk import settings
from helpdesk.problems import Problem

log = logging.getLogger(__name__)
CHECK_INTERVAL = 1.0
LANGS = ("nl", "fr")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PHONE_RE = re.compile(r"^\+[1-9][0-9]{5,14}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOP_KEYS = ("default_shop", "shops")
SHOP_KEYS = ("id", "name", "languages", "default_language", "faq", "business_hours", "timezone",
             "whatsapp_from", "email", "widget_origins")


class ShopsError(Exception):
    """The shops file has problems; the message lists all of them, one FILE:LINE: ... per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Shop:
    """One shop. Optional fields were already given their defaults by the loader."""

    id: str
    name: str
    languages: tuple[str, ...]
    default_language: str
    faq: tuple[str, ...]
    business_hours: str | None = None  # None: BUSINESS_HOURS
    timezone: str | None = None  # None: BUSINESS_TZ
    whatsapp_from: str | None = None
    email: tuple[str, ...] = ()
    widget_origins: tuple[str, ...] = ("*",)
    line: int = 0

    @property
    def has_own_hours(self) -> bool:
        return self.business_hours is not None or self.timezone is not None

    def schedule(self, fallback: hours.Schedule | None = None) -> hours.Schedule:
        """This shop's business hours (validated when the file was loaded). A shop that names
        neither hours nor timezone gets `fallback` (the gateway's BUSINESS_HOURS schedule)."""
        if not self.has_own_hours and fallback is not None:
            return fallback
        current = settings.current()
        return hours.parse(self.business_hours or current.BUSINESS_HOURS, self.timezone or current.BUSINESS_TZ)

    def allows_origin(self, origin: str | None) -> bool:
        """Whether a page at `origin` may open this shop's chat socket (no Origin = not a browser)."""
        return origin is None or "*" in self.widget_origins or origin.rstrip("/") in self.widget_origins


@dataclass(frozen=True)
class Shops:
    """The whole file: shops by id (file order) and the default shop."""

    shops: dict[str, Shop]
    default_shop: str
    file: str = ""
    _by_number: dict[str, str] = field(default_factory=dict, repr=False)
    _by_address: dict[str, str] = field(default_factory=dict, repr=False)

    def get(self, shop_id: str | None) -> Shop | None:
        return self.shops.get(shop_id) if shop_id else None

    def default(self) -> Shop:
        return self.shops[self.default_shop]

    def by_whatsapp_number(self, to: str | None) -> Shop | None:
        shop_id = self._by_number.get(normalize_number(to or ""))
        return self.shops[shop_id] if shop_id else None

    def by_email_address(self, addr: str | None) -> Shop | None:
        for key in _address_keys(addr or ""):
            if key in self._by_address:
                return self.shops[self._by_address[key]]
        return None


def normalize_number(number: str) -> str:
    """'whatsapp:+32 2 555-01-00' -> '+3225550100' (Twilio sends `To` as `whatsapp:+E164`)."""
    text = number.strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:"):]
    return re.sub(r"[\s().-]", "", text)


def _address_keys(addr: str) -> list[str]:
    """Lower-cased bare address, then the same without a '+tag' (support+nl@shop -> support@shop)."""
    bare = parseaddr(addr)[1].strip().lower()
    if "@" not in bare:
        return []
    local, domain = bare.rsplit("@", 1)
    keys = [bare]
    if "+" in local:
        keys.append(f"{local.split('+', 1)[0]}@{domain}")
    return keys


# ---------------------------------------------------------------- parsing with line numbers

def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: yaml.Node, key: str, path: str, problems: list[Problem]) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        problems.append(Problem(path, _line(node), f"'{key}' is empty"))
        return None
    if not isinstance(node, yaml.ScalarNode):
        problems.append(Problem(path, _line(node), f"'{key}' must be text"))
        return None
    value = str(node.value).strip()
    if not value:
        problems.append(Problem(path, _line(node), f"'{key}' is empty"))
        return None
    return value


def _strings(node: yaml.Node, key: str, path: str, problems: list[Problem]) -> list[str] | None:
    """A list of text, or one text meaning a list of one."""
    if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
        value = _scalar(node, key, path, problems)
        return None if value is None else [value]
    if not isinstance(node, yaml.SequenceNode):
        problems.append(Problem(path, _line(node), f"'{key}' must be a list"))
        return None
    out = []
    for item in node.value:
        value = _scalar(item, key, path, problems)
        if value is not None:
            out.append(value)
    return out


def _shop(node: yaml.Node, path: str, problems: list[Problem], defaults: dict[str, str]) -> Shop | None:
    """One shop mapping; problems appended; the shop is returned only when it is fully valid."""
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(path, _line(node), "each shop must be a mapping with id, name, ..."))
        return None
    before = len(problems)
    nodes: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in nodes:
            problems.append(Problem(path, _line(key_node), f"key '{key}' appears twice in this shop"))
        elif key not in SHOP_KEYS:
            problems.append(Problem(path, _line(key_node),
                                    f"unknown key '{key}' (allowed: {', '.join(SHOP_KEYS)})"))
        else:
            nodes[key] = value_node
    where = _line(node)
    for key in ("id", "name"):
        if key not in nodes:
            problems.append(Problem(path, where, f"shop without '{key}'"))
    shop_id = _scalar(nodes["id"], "id", path, problems) if "id" in nodes else None
    if shop_id is not None and not ID_RE.match(shop_id):
        problems.append(Problem(path, _line(nodes["id"]),
                                f"bad id {shop_id!r} (lower case letters, digits and dashes)"))
    name = _scalar(nodes["name"], "name", path, problems) if "name" in nodes else None

    languages = list(LANGS)
    if "languages" in nodes:
        languages = _strings(nodes["languages"], "languages", path, problems) or []
        bad = [lang for lang in languages if lang not in LANGS]
        if bad:
            problems.append(Problem(path, _line(nodes["languages"]),
                                    f"unknown language(s) {', '.join(bad)} (use {', '.join(LANGS)})"))
        if not languages:
            problems.append(Problem(path, _line(nodes["languages"]), "'languages' is empty"))
    default_language = languages[0] if languages else "nl"
    if "default_language" in nodes:
        value = _scalar(nodes["default_language"], "default_language", path, problems)
        if value is not None and value not in languages:
            problems.append(Problem(path, _line(nodes["default_language"]),
                                    f"default_language {value!r} is not one of languages {languages}"))
        default_language = value or default_language

    faq = [shop_id] if shop_id else []
    if "faq" in nodes:
        faq = _strings(nodes["faq"], "faq", path, problems) or []
        if not faq:
            problems.append(Problem(path, _line(nodes["faq"]), "'faq' needs at least one collection"))

    spec = tz = None  # None: BUSINESS_HOURS / BUSINESS_TZ
    if "business_hours" in nodes:
        spec = _scalar(nodes["business_hours"], "business_hours", path, problems)
    if "timezone" in nodes:
        tz = _scalar(nodes["timezone"], "timezone", path, problems)
    try:
        hours.parse(spec or defaults["business_hours"], "UTC")
    except ValueError as exc:
        line = _line(nodes["business_hours"]) if "business_hours" in nodes else where
        problems.append(Problem(path, line, f"bad business_hours: {str(exc).replace('BUSINESS_HOURS: ', '')}"))
    try:
        hours.parse(None, tz or defaults["timezone"])
    except ValueError:
        line = _line(nodes["timezone"]) if "timezone" in nodes else where
        problems.append(Problem(path, line, f"unknown timezone {tz!r} (use an IANA name like Europe/Brussels)"))

    number = None
    if "whatsapp_from" in nodes:
        raw = _scalar(nodes["whatsapp_from"], "whatsapp_from", path, problems)
        if raw is not None:
            number = normalize_number(raw)
            if not PHONE_RE.match(number):
                problems.append(Problem(path, _line(nodes["whatsapp_from"]),
                                        f"whatsapp_from {raw!r} is not an E.164 number like +3225550100"))
    emails: list[str] = []
    if "email" in nodes:
        for addr in _strings(nodes["email"], "email", path, problems) or []:
            if not EMAIL_RE.match(addr):
                problems.append(Problem(path, _line(nodes["email"]), f"bad email address {addr!r}"))
            emails.append(addr.lower())
    origins = [o.strip() for o in defaults["widget_origins"].split(",") if o.strip()] or ["*"]
    if "widget_origins" in nodes:
        origins = [o.rstrip("/") for o in _strings(nodes["widget_origins"], "widget_origins", path, problems) or []]
        for origin in origins:
            if origin != "*" and not re.match(r"^https?://[^/\s]+$", origin):
                problems.append(Problem(path, _line(nodes["widget_origins"]),
                                        f"bad widget origin {origin!r} (scheme://host[:port], or *)"))
    if len(problems) > before or shop_id is None or name is None:
        return None
    return Shop(id=shop_id, name=name, languages=tuple(languages), default_language=default_language,
                faq=tuple(faq), business_hours=spec, timezone=tz, whatsapp_from=number,
                email=tuple(emails), widget_origins=tuple(origins), line=where)


def _raw_id(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == "id" and isinstance(value_node, yaml.ScalarNode):
                return str(value_node.value).strip()
    return None


def parse(path: Path, known_collections: Iterable[str] | None = None) -> tuple[Shops | None, list[Problem]]:
    """Read and validate a shops file. `known_collections`: check `faq` against them (the check
    command passes the FAQ folder's collections; the running gateway does not need to)."""
    spath = str(path)
    problems: list[Problem] = []
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None, [Problem(spath, 0, "file not found (setting SHOPS_FILE)")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(spath, 0, f"cannot read: {exc}")]
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        context = getattr(exc, "context_mark", None)
        where = f" ({exc.context} at line {context.line + 1})" if context is not None and exc.context else ""
        return None, [Problem(spath, line, f"invalid YAML: {getattr(exc, 'problem', None) or exc}{where}")]
    if not isinstance(root, yaml.MappingNode):
        return None, [Problem(spath, _line(root) if root else 0, "expected a mapping with default_shop and shops")]
    top: dict[str, yaml.Node] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        if key not in TOP_KEYS:
            problems.append(Problem(spath, _line(key_node), f"unknown key '{key}' (allowed: {', '.join(TOP_KEYS)})"))
        elif key in top:
            problems.append(Problem(spath, _line(key_node), f"key '{key}' appears twice"))
        else:
            top[key] = value_node
    current = settings.current()
    defaults = {"business_hours": current.BUSINESS_HOURS, "timezone": current.BUSINESS_TZ,
                "widget_origins": current.WEBCHAT_ALLOWED_ORIGINS}
    shops: dict[str, Shop] = {}
    seen_ids: set[str | None] = set()  # ids of invalid shops too: no cascade "unknown default_shop"
    by_number: dict[str, str] = {}
    by_address: dict[str, str] = {}
    if "shops" not in top:
        problems.append(Problem(spath, 0, "no 'shops' list"))
    elif not isinstance(top["shops"], yaml.SequenceNode) or not top["shops"].value:
        problems.append(Problem(spath, _line(top["shops"]), "'shops' must be a non-empty list"))
    else:
        known = set(known_collections) if known_collections is not None else None
        for item in top["shops"].value:
            seen_ids.add(_raw_id(item))
            shop = _shop(item, spath, problems, defaults)
            if shop is None:
                continue
            if shop.id in shops:
                problems.append(Problem(spath, shop.line, f"duplicate shop id '{shop.id}' "
                                                          f"(first at line {shops[shop.id].line})"))
                continue
            if known is not None:
                for collection in shop.faq:
                    if collection not in known:
                        problems.append(Problem(spath, shop.line, f"shop '{shop.id}': unknown FAQ collection "
                                                                  f"'{collection}' (known: {', '.join(sorted(known))})"))
            if shop.whatsapp_from:
                if shop.whatsapp_from in by_number:
                    problems.append(Problem(spath, shop.line, f"whatsapp_from {shop.whatsapp_from} is also "
                                                              f"shop '{by_number[shop.whatsapp_from]}'"))
                by_number.setdefault(shop.whatsapp_from, shop.id)
            for addr in shop.email:
                if addr in by_address:
                    problems.append(Problem(spath, shop.line, f"email {addr} is also shop '{by_address[addr]}'"))
                by_address.setdefault(addr, shop.id)
            shops[shop.id] = shop
    default_shop = None
    if "default_shop" not in top:
        problems.append(Problem(spath, 0, "no 'default_shop'"))
    else:
        default_shop = _scalar(top["default_shop"], "default_shop", spath, problems)
        if default_shop is not None and default_shop not in shops and default_shop not in seen_ids:
            problems.append(Problem(spath, _line(top["default_shop"]), f"unknown default_shop '{default_shop}'"))
    if problems or default_shop is None:
        return None, problems
    return Shops(shops, default_shop, spath, by_number, by_address), []


def faq_collections() -> set[str]:
    """Collections present in the FAQ folder (file stems of faq/<lang>/*.yml)."""
    from faq.loader import faq_files

    return {p.stem for p in faq_files(Path(settings.current().FAQ_DIR))}


# ---------------------------------------------------------------- process-wide cache

def shops_file() -> Path:
    """SHOPS_FILE setting, default `shops.yml` at the repo root."""
    return Path(settings.current().SHOPS_FILE).expanduser().resolve()


class _Cache:
    """One loaded file per path (the gateway may be given its own SHOPS_FILE)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, tuple[Shops, tuple, float]] = {}  # path -> (shops, stat key, checked)

    def get(self, path: Path) -> Shops:
        with self.lock:
            spath = str(path)
            now = time.monotonic()
            known = self.files.get(spath)
            if known is not None and now - known[2] < CHECK_INTERVAL:
                return known[0]
            try:
                st = path.stat()
                key = (st.st_mtime_ns, st.st_size)
            except OSError:
                key = (None, None)
            if known is not None and key == known[1]:
                self.files[spath] = (known[0], key, now)
                return known[0]
            loaded, problems = parse(path)
            if loaded is None:
                if known is None:
                    raise ShopsError(problems)
                log.error("shops file %s is broken, keeping the previous version: %d problem(s), first: %s",
                          path, len(problems), problems[0])
                self.files[spath] = (known[0], key, now)
                return known[0]
            self.files[spath] = (loaded, key, now)
            return loaded


_cache = _Cache()


def load(path: str | Path | None = None) -> Shops:
    """The shops of `path` (default: the SHOPS_FILE setting); cached, follows edits of the file."""
    return _cache.get(Path(path).expanduser().resolve() if path else shops_file())


def get(shop_id: str | None) -> Shop | None:
    """The shop with this id, or None."""
    return load().get(shop_id)


def default() -> Shop:
    """The default shop (WhatsApp numbers and inbox addresses not listed end up here)."""
    return load().default()


def by_whatsapp_number(to: str | None) -> Shop:
    """The shop whose `whatsapp_from` is the webhook's `To`, else the default shop."""
    shops = load()
    return shops.by_whatsapp_number(to) or shops.default()


def by_email_address(*addrs: str | None) -> Shop:
    """The shop of the first address (To, Delivered-To, ...) that is a shop inbox, else the default."""
    shops = load()
    for _name, one in getaddresses([a for a in addrs if a]):
        shop = shops.by_email_address(one)
        if shop is not None:
            return shop
    return shops.default()


def collections_for(shop_id: str | None) -> list[str] | None:
    """FAQ collections of a shop; None (= the whole base) for no or an unknown shop."""
    shop = get(shop_id)
    return list(shop.faq) if shop else None


def name_of(shop_id: str | None) -> str:
    """The shop's display name; the SHOP_NAME setting for a conversation without a (known) shop."""
    shop = get(shop_id)
    return shop.name if shop else settings.current().SHOP_NAME
