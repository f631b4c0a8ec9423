"""Did the sender's domain vouch for this mail? Read from `Authentication-Results` (RFC 8601).

Why: anyone can write `From: ceo@shop.be`. Our receiving mail server checks SPF, DKIM and DMARC
and writes what it found into an Authentication-Results header; agents see the verdict next to
the sender so a spoofed From is visible before they trust the mail.

Only our own server's header counts: the one whose authserv-id is `EMAIL_AUTHSERV_ID`, or without
that setting the topmost one (the last hop, our server, prepends it; headers further down were
written by whoever sent the mail and prove nothing).

Verdict: `pass` when DMARC passed, or DKIM passed for the From domain, or SPF passed for it
(relaxed alignment: same domain or a subdomain); `fail` when DMARC failed or a check failed with
nothing aligned passing; `none` when no usable header says anything.
"""
from __future__ import annotations

import re
from email.message import Message

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z0-9_-]+)(.*)$", re.IGNORECASE | re.DOTALL)
_PROP = re.compile(r"([a-z0-9_-]+\.[a-z0-9_-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.IGNORECASE)
FAILING = {"fail", "softfail", "permerror", "temperror"}


def _uncomment(value: str) -> str:
    previous = None
    while previous != value:  # nested comments: peel from the inside
        previous, value = value, _COMMENT.sub(" ", value)
    return value


def parse_header(value: str) -> tuple[str, dict[str, dict]]:
    """(authserv-id, {method: {"result": ..., "props": {"header.d": ...}}}) of one header."""
    parts = [p.strip() for p in _uncomment(str(value)).split(";")]
    authserv = parts[0].split()[0].lower() if parts and parts[0].split() else ""
    methods: dict[str, dict] = {}
    for part in parts[1:]:
        m = _RESULT.match(part)
        if not m:
            continue
        method, result, rest = m.group(1).lower(), m.group(2).lower(), m.group(3)
        props = {k.lower(): v.strip('"').lower() for k, v in _PROP.findall(rest)}
        methods.setdefault(method, {"result": result, "props": props})  # first result per method
    return authserv, methods


def _domain_of(value: str | None) -> str:
    value = (value or "").strip().lower()
    return value.rsplit("@", 1)[-1].strip(">").strip()


def _aligned(domain: str, from_domain: str) -> bool:
    if not domain or not from_domain:
        return False
    return domain == from_domain or domain.endswith("." + from_domain) or from_domain.endswith("." + domain)


def sender_auth(msg: Message, from_addr: str, authserv_id: str | None = None) -> dict:
    """The verdict for the From domain, plus the raw results agents may want to see."""
    from_domain = _domain_of(from_addr)
    headers = [str(h) for h in (msg.get_all("Authentication-Results") or [])]
    chosen = None
    for header in headers:
        authserv, methods = parse_header(header)
        if authserv_id is None or authserv == authserv_id.strip().lower():
            chosen = (authserv, methods)
            break
    report = {"verdict": "none", "domain": from_domain or None, "spf": None, "dkim": None, "dmarc": None,
              "authserv_id": chosen[0] if chosen else None}
    if chosen is None:
        return report
    methods = chosen[1]
    for name in ("spf", "dkim", "dmarc"):
        if name in methods:
            report[name] = methods[name]["result"]
    dkim, spf, dmarc = methods.get("dkim"), methods.get("spf"), methods.get("dmarc")
    dkim_ok = bool(dkim and dkim["result"] == "pass" and _aligned(dkim["props"].get("header.d", ""), from_domain))
    spf_domain = _domain_of((spf or {}).get("props", {}).get("smtp.mailfrom")
                            or (spf or {}).get("props", {}).get("smtp.helo"))
    spf_ok = bool(spf and spf["result"] == "pass" and _aligned(spf_domain, from_domain))
    if (dmarc and dmarc["result"] == "pass") or dkim_ok or spf_ok:
        report["verdict"] = "pass"
    elif (dmarc and dmarc["result"] in FAILING) or any(m and m["result"] in FAILING for m in (dkim, spf)) \
            or (dkim and dkim["result"] == "pass") or (spf and spf["result"] == "pass"):
        report["verdict"] = "fail"  # failed, or passed only for someone else's domain
    return report
