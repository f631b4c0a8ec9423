"""`helpdesk faq build|check|search|eval`: thin wrappers; the work happens in the faq modules."""
from __future__ import annotations

import json
import sys
import time

import click

from faq.loader import FaqError, load_dir


def _fail_on_problems(exc: FaqError) -> None:
    for problem in exc.problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(exc.problems)} problem(s) in the FAQ files; nothing was indexed.", err=True)
    sys.exit(1)


@click.group()
def faq() -> None:
    """FAQ knowledge base: build, check, search, eval."""


@faq.command()
def check() -> None:
    """Validate every FAQ file; each problem is printed as FILE:LINE: message."""
    from faq.service import faq_dir

    base = faq_dir()
    result = load_dir(base)
    for problem in result.problems:
        click.echo(str(problem), err=True)
    counts = {lang: sum(1 for e in result.entries if e.lang == lang) for lang in ("nl", "fr")}
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s) in {base}", err=True)
        sys.exit(1)
    click.echo(f"OK: {counts['nl']} NL and {counts['fr']} FR entries in {base}")


@faq.command()
def build() -> None:
    """Embed the FAQ and save the FAISS index (reused when nothing changed)."""
    from faq.service import faq_dir, index_dir, open_searcher

    started = time.perf_counter()
    try:
        s = open_searcher(progress=True)
    except FaqError as exc:
        _fail_on_problems(exc)
    where = index_dir(faq_dir(), s.embedder.name)
    state = "reused (unchanged)" if s.reused else f"built in {s.build_seconds:.1f} s"
    click.echo(f"{len(s.ids)} entries, {len(s.rows)} texts, model {s.embedder.name}: index {state} "
               f"-> {where} (total {time.perf_counter() - started:.1f} s)")


def _shop_collections(s, shop: str | None) -> list[str] | None:
    """The collections of --shop, or a clear error (exit 2) for a shop nobody configured."""
    from faq.scope import UnknownShop, collections_for

    if shop is None:
        return None
    try:
        collections = collections_for(shop, set(s.collections))
        s.scope(collections)
    except (UnknownShop, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="--shop") from exc
    return collections


def _print_human(result: dict) -> None:
    click.echo(f"[{result['decision']}] ({result['lang']}) {result['query']}")
    for i, r in enumerate(result["results"], 1):
        click.echo(f"  {i}. {r['score']:.3f} {r['id']}: {r['question']}")
        if i == 1 and result["decision"] == "answer":
            click.echo("     " + r["answer"].strip().replace("\n", "\n     "))


@faq.command()
@click.option("--k", "k", type=click.IntRange(min=1), default=3, show_default=True, help="Results to return.")
@click.option("--lang", type=click.Choice(["nl", "fr"]), default=None, help="Answer language (default: detected).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question per line.")
@click.option("--shop", default=None, help="Search only this shop's FAQ collections (default: all).")
@click.argument("question", required=False)
def search(k: int, lang: str | None, as_json: bool, shop: str | None, question: str | None) -> None:
    """Search the FAQ. Without QUESTION, reads one question per line from stdin (model loaded once)."""
    from faq.service import searcher

    try:
        s = searcher()
    except FaqError as exc:
        _fail_on_problems(exc)
    collections = _shop_collections(s, shop)
    if question is None and hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")  # one bad byte must not end a batch
    questions = [question] if question is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for q in questions:
        if question is None and not q.strip():
            continue
        result = s.search(q, k=k, lang=lang, shop=shop, collections=collections)
        if as_json:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            _print_human(result)


@faq.command(name="eval")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option("--shop", default=None, help="Ask every question to this shop (its FAQ collections only).")
@click.option("--each-shop", is_flag=True,
              help="Ask each question to its own shop: the row's `shop`, else its expected entry's collection.")
def eval_(files: tuple[str, ...], as_json: bool, shop: str | None, each_shop: bool) -> None:
    """Top-1, MRR and recall@3 per language and for cross-lingual questions, next to BM25 and
    char-TF-IDF baselines measured in the same run. FILES: .jsonl/.json/.csv files or folders."""
    from faq.evaluate import EvalError, format_report, load_questions, run_eval
    from faq.service import searcher

    try:
        questions = load_questions(files)
    except EvalError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        s = searcher()
    except FaqError as exc:
        _fail_on_problems(exc)
    if shop is not None and each_shop:
        raise click.UsageError("use --shop or --each-shop, not both")
    _shop_collections(s, shop)
    report = run_eval(s, questions, shop=shop, each_shop=each_shop)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report))
