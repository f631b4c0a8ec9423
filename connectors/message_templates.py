"""The shop's approved WhatsApp message templates (Twilio Content API), from TWILIO_TEMPLATES.

In the gateway core (not in the WhatsApp adapter) because two sides read it: the adapter sends a
template, the console offers them; channels and console never import each other.

Why: outside WhatsApp's 24-hour window only an approved template may be sent. Twilio identifies a
template by its Content SID (`HX` + 32 hex) and fills its placeholders `{{1}}`, `{{2}}`... from a
`ContentVariables` JSON object. TWILIO_TEMPLATES is a JSON list:

    [{"name": "follow_up", "language": "nl", "content_sid": "HX...",
      "variables": ["customer name", "order number"]}]

`variables` names the placeholders in order (`{{1}}` is the first); an object `{"1": "customer
name"}` works too. The older TWILIO_TEMPLATE_SID stays a single default template without
variables. A broken TWILIO_TEMPLATES is reported (log, /healthz) and offers no templates; it never
takes the gateway down.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
MAX_VARIABLE = 1024  # characters per filled-in value (WhatsApp's own limit is similar)


class TemplateError(ValueError):
    """Bad TWILIO_TEMPLATES, or bad values for a template: the message says which and why."""


@dataclass(frozen=True)
class Template:
    name: str
    language: str | None
    content_sid: str
    variables: tuple[str, ...] = field(default_factory=tuple)  # labels of {{1}}, {{2}}, ...

    def public(self) -> dict:
        data = asdict(self)
        data["variables"] = list(self.variables)
        return data

    def fill(self, values: object) -> dict[str, str]:
        """The ContentVariables object for these values (a list in order, or {"1": ...})."""
        if values is None:
            values = []
        if isinstance(values, list):
            values = {str(i): v for i, v in enumerate(values, start=1)}
        if not isinstance(values, dict):
            raise TemplateError("variables must be a list or an object")
        expected = {str(i) for i in range(1, len(self.variables) + 1)}
        if set(values) != expected:
            raise TemplateError(f"template {self.name!r} needs {len(self.variables)} value(s): "
                                + (", ".join(self.variables) or "none"))
        filled = {}
        for key in sorted(expected, key=int):
            value = values[key]
            if not isinstance(value, str) or not value.strip():
                raise TemplateError(f"value {key} ({self.variables[int(key) - 1]}) is empty")
            if len(value) > MAX_VARIABLE:
                raise TemplateError(f"value {key} is longer than {MAX_VARIABLE} characters")
            filled[key] = value.strip()
        return filled


def _variables(raw: object, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, list) and all(isinstance(v, str) for v in raw):
        return tuple(raw)
    if isinstance(raw, dict):
        keys = sorted(raw, key=lambda k: int(k) if str(k).isdigit() else -1)
        if keys != [str(i) for i in range(1, len(keys) + 1)]:
            raise TemplateError(f"{where}: variables keys must be 1..n")
        return tuple(str(raw[k]) for k in keys)
    raise TemplateError(f"{where}: variables must be a list of labels or an object {{\"1\": label}}")


def parse(raw: str | None, default_sid: str | None = None) -> list[Template]:
    """TWILIO_TEMPLATES (+ TWILIO_TEMPLATE_SID as `default`) -> templates; TemplateError says why not."""
    found: list[Template] = []
    if raw:
        try:
            items = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise TemplateError(f"TWILIO_TEMPLATES is not valid JSON: {exc.msg} at character {exc.pos}") from None
        if not isinstance(items, list):
            raise TemplateError("TWILIO_TEMPLATES must be a JSON list of templates")
        for i, item in enumerate(items):
            where = f"TWILIO_TEMPLATES[{i}]"
            if not isinstance(item, dict):
                raise TemplateError(f"{where} must be an object")
            name, sid, lang = item.get("name"), item.get("content_sid"), item.get("language")
            if not isinstance(name, str) or not name.strip():
                raise TemplateError(f"{where}: name is missing")
            if not isinstance(sid, str) or not CONTENT_SID.match(sid):
                raise TemplateError(f"{where} ({name}): content_sid must be a Twilio Content SID (HX + 32 hex)")
            if lang is not None and not isinstance(lang, str):
                raise TemplateError(f"{where} ({name}): language must be a string like \"nl\"")
            found.append(Template(name.strip(), lang, sid, _variables(item.get("variables"), where)))
    names = [(t.name, t.language) for t in found]
    if len(set(names)) != len(names):
        raise TemplateError("TWILIO_TEMPLATES has the same name and language twice")
    if default_sid:
        if not CONTENT_SID.match(default_sid):
            raise TemplateError("TWILIO_TEMPLATE_SID must be a Twilio Content SID (HX + 32 hex)")
        if all(t.content_sid != default_sid for t in found):
            found.append(Template("default", None, default_sid))
    return found


def for_language(templates: list[Template], language: str | None) -> list[Template]:
    """The conversation's language first, then templates without a language, then the rest."""
    def rank(t: Template) -> int:
        return 0 if t.language == language else 1 if t.language is None else 2
    return sorted(templates, key=rank)


def find(templates: list[Template], name: object, language: object = None) -> Template | None:
    matches = [t for t in templates if t.name == name]
    if language is not None:
        matches = [t for t in matches if t.language == language] or matches
    return matches[0] if matches else None


def preview(template: Template, filled: dict[str, str]) -> str:
    """What agents see in the transcript (the real text lives at Twilio)."""
    values = ", ".join(f"{label}: {filled[str(i)]}" for i, label in enumerate(template.variables, start=1))
    return f"[template {template.name}{' ' + template.language if template.language else ''}]" + \
        (f" {values}" if values else "")


def of_app(app) -> list[Template]:
    """The running gateway's templates (none while WhatsApp is off or TWILIO_TEMPLATES is broken)."""
    state = app.get("whatsapp")
    return list(state.get("templates") or []) if state else []
