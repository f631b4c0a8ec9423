"""Read and validate FAQ files `<faq_dir>/<lang>/<collection>.yml`.

Every problem is reported as `file:line: message`, found by composing the YAML node tree (which
keeps line numbers) instead of plain `yaml.safe_load`. Nothing is dropped quietly: `load_entries`
raises `FaqError` listing every problem, so a broken file can never make entries vanish from search.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from helpdesk.problems import Problem  # noqa: F401  (re-exported: faq.loader.Problem)

LANGS = ("nl", "fr")
MAX_ANSWER_CHARS = 1000
ID_RE = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+$")
REQUIRED = ("id", "question", "alternatives", "answer", "tags", "source")
KNOWN_KEYS = set(REQUIRED)


@dataclass(frozen=True)
class Entry:
    """One FAQ entry in one language."""

    id: str
    lang: str
    question: str
    alternatives: tuple[str, ...]
    answer: str
    tags: tuple[str, ...]
    source: str
    file: str
    line: int

    @property
    def collection(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass
class LoadResult:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class FaqError(Exception):
    """The FAQ base has problems; the message lists all of them, one `file:line: ...` per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def faq_files(faq_dir: Path) -> list[Path]:
    """All FAQ files, in a stable order: `<faq_dir>/{nl,fr}/*.yml|*.yaml`."""
    files: list[Path] = []
    for lang in LANGS:
        d = Path(faq_dir) / lang
        if d.is_dir():
            files += sorted(p for p in d.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    return files


def _decode(path: Path, raw: bytes, problems: list[Problem]) -> str | None:
    """UTF-8 (with or without BOM); UTF-16 with a BOM is accepted too. Anything else is an error."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), 0, f"invalid UTF-16: {exc.reason}"))
            return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(
            str(path), line,
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
        ))
        return None


def _str_field(node: yaml.Node, key: str, path: str, problems: list[Problem]) -> str | None:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        problems.append(Problem(path, line, f"'{key}' is empty"))
        return None
    text_tags = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    if not isinstance(node, yaml.ScalarNode) or node.tag not in text_tags:
        problems.append(Problem(path, line, f"'{key}' must be text"))
        return None
    value = str(node.value).strip()
    if not value:
        problems.append(Problem(path, line, f"'{key}' is empty"))
        return None
    return value


def _list_field(node: yaml.Node, key: str, path: str, problems: list[Problem]) -> tuple[str, ...] | None:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.SequenceNode):
        problems.append(Problem(path, line, f"'{key}' must be a list"))
        return None
    out = []
    for item in node.value:
        text = _str_field(item, key, path, problems)
        if text is not None:
            out.append(text)
    return tuple(out)


def _entry(node: yaml.Node, lang: str, path: Path, problems: list[Problem]) -> Entry | None:
    """Validate one list item; append problems, return the entry only when it is fully valid."""
    spath = str(path)
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(spath, line, "each entry must be a mapping with id, question, ..."))
        return None
    before = len(problems)
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        kline = key_node.start_mark.line + 1
        if key in fields:
            problems.append(Problem(spath, kline, f"key '{key}' appears twice in this entry"))
        elif key not in KNOWN_KEYS:
            problems.append(Problem(spath, kline, f"unknown key '{key}' (allowed: {', '.join(REQUIRED)})"))
        fields[key] = value_node
    for key in REQUIRED:
        if key not in fields:
            problems.append(Problem(spath, line, f"entry is missing '{key}'"))
    values: dict[str, object] = {}
    for key in ("id", "question", "answer", "source"):
        if key in fields:
            values[key] = _str_field(fields[key], key, spath, problems)
    for key in ("alternatives", "tags"):
        if key in fields:
            values[key] = _list_field(fields[key], key, spath, problems)
    entry_id = values.get("id")
    if isinstance(entry_id, str):
        id_line = fields["id"].start_mark.line + 1
        if not ID_RE.match(entry_id):
            problems.append(Problem(spath, id_line, f"id '{entry_id}' must look like <collection>.<slug> "
                                                   "(lower-case letters, digits, dashes)"))
        elif entry_id.split(".", 1)[0] != path.stem:
            problems.append(Problem(spath, id_line, f"id '{entry_id}' must start with the file's "
                                                   f"collection '{path.stem}.'"))
    answer = values.get("answer")
    if isinstance(answer, str) and len(answer) > MAX_ANSWER_CHARS:
        problems.append(Problem(spath, fields["answer"].start_mark.line + 1,
                                f"answer is {len(answer)} characters (max {MAX_ANSWER_CHARS})"))
    alts = values.get("alternatives")
    if isinstance(alts, tuple) and not alts and "alternatives" in fields:
        problems.append(Problem(spath, fields["alternatives"].start_mark.line + 1,
                                "'alternatives' needs at least one other phrasing"))
    if len(problems) > before:
        return None
    return Entry(
        id=entry_id, lang=lang, question=values["question"], alternatives=values["alternatives"],
        answer=values["answer"], tags=values["tags"], source=values["source"], file=spath, line=line,
    )


def load_file(path: Path, lang: str) -> LoadResult:
    """Parse one file; problems carry the file name and line."""
    result = LoadResult()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        result.problems.append(Problem(str(path), 0, f"cannot read: {exc.strerror}"))
        return result
    text = _decode(path, raw, result.problems)
    if text is None:
        return result
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 0
        detail = getattr(exc, "problem", None) or str(exc)
        context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and cmark is not None and cmark.line + 1 != line:
            detail += f" ({context} at line {cmark.line + 1})"
        result.problems.append(Problem(str(path), line, f"invalid YAML: {detail}"))
        return result
    if root is None:
        result.problems.append(Problem(str(path), 0, "file is empty (expected a list of entries)"))
        return result
    if not isinstance(root, yaml.SequenceNode):
        result.problems.append(Problem(str(path), root.start_mark.line + 1,
                                       "the file must be a YAML list of entries ('- id: ...')"))
        return result
    for item in root.value:
        entry = _entry(item, lang, path, result.problems)
        if entry is not None:
            result.entries.append(entry)
    return result


def load_dir(faq_dir: Path) -> LoadResult:
    """Load every file and run the cross-file checks (duplicate ids, missing translations)."""
    result = LoadResult()
    faq_dir = Path(faq_dir)
    files = faq_files(faq_dir)
    if not files:
        result.problems.append(Problem(str(faq_dir), 0, "no FAQ files found under nl/ or fr/"))
        return result
    for path in files:
        lang = path.parent.name
        one = load_file(path, lang)
        result.entries += one.entries
        result.problems += one.problems

    seen: dict[tuple[str, str], Entry] = {}
    for e in result.entries:
        first = seen.get((e.lang, e.id))
        if first is not None:
            result.problems.append(Problem(e.file, e.line, f"duplicate id '{e.id}' "
                                                           f"(first at {first.file}:{first.line})"))
        else:
            seen[(e.lang, e.id)] = e
    ids = {lang: {i for (l, i) in seen if l == lang} for lang in LANGS}
    # Ids whose own file had problems may be missing for that reason only; those are reported already.
    broken_files = {p.file for p in result.problems}
    for lang in LANGS:
        other = "fr" if lang == "nl" else "nl"
        for entry_id in sorted(ids[lang] - ids[other]):
            e = seen[(lang, entry_id)]
            expected = faq_dir / other / Path(e.file).name
            if str(expected) in broken_files:
                continue
            result.problems.append(Problem(e.file, e.line, f"'{entry_id}' has no {other.upper()} "
                                                           f"translation in {expected}"))
    result.problems.sort(key=lambda p: (p.file, p.line))
    return result


def load_entries(faq_dir: Path) -> list[Entry]:
    """All entries of a valid base; raises FaqError (with every problem) otherwise."""
    result = load_dir(faq_dir)
    if result.problems:
        raise FaqError(result.problems)
    return result.entries
