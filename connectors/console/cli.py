"""`helpdesk agents add|list|demo|disable|enable|remove`: manage console accounts.

Passwords never come from argv (they would end up in shell history and `ps`): `add` prompts with
hidden input and confirmation on a terminal, and reads one line from stdin otherwise so scripts and
tests can pipe it in.
"""
from __future__ import annotations

import secrets
import sys

import click
from sqlite_utils import Database

from connectors.console import accounts, auth
from helpdesk import settings

DEMO_EMAIL = "demo@helpdesk.local"


def _db() -> Database:
    """The gateway's database, opened the gateway's way (DATABASE_URL or HELPDESK_DB, migrated)."""
    from connectors import store

    return store.open_configured(settings.current())


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("no password on stdin")
    return line.rstrip("\r\n")


@click.group()
def agents() -> None:
    """Agent accounts for the console (/agent)."""


@agents.command("add")
@click.argument("email")
@click.option("--name", required=True, help="Name shown to colleagues in the console.")
@click.option("--role", type=click.Choice(accounts.ROLES), default="agent", show_default=True,
              help="admin may act on any agent's conversation.")
@click.option("--reset", is_flag=True, help="Replace the password (and name/role) of an existing agent.")
@click.option("--shops", "shop_list", default=None, metavar="ID,ID",
              help="Limit the agent to these shops (shops.yml ids, comma-separated); default every shop. "
                   "Admins always see every shop.")
def add(email: str, name: str, role: str, reset: bool, shop_list: str | None) -> None:
    """Add an agent; asks for the password (or reads it from stdin when piped)."""
    db = _db()
    try:
        accounts.validate(email, name, role, "x" * accounts.MIN_PASSWORD)  # fail before prompting
        shop_ids = _shop_ids(shop_list)
        if accounts.get_by_email(db, email) and not reset:
            raise ValueError(f"an agent with email {email.strip().lower()} already exists (use --reset)")
        agent = accounts.add(db, email, name, _read_password(), role, replace=reset, shops=shop_ids)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    ended = auth.end_agent_sessions(db, agent["id"]) if reset else 0  # a new password logs everyone out
    limit = accounts.shops_of(db, agent)
    where = "every shop" if limit is None else "shops " + ", ".join(limit)
    click.echo(f"agent {agent['email']} ({agent['role']}) saved, id {agent['id']}, {where}"
               + (f"; {ended} session(s) ended" if ended else ""))


def _shop_ids(value: str | None) -> list[str] | None:
    """`--shops a,b` checked against shops.yml, so a typo can't lock an agent out of everything."""
    if value is None:
        return None
    from helpdesk.shops import ShopsError, load

    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not ids:
        raise ValueError("--shops needs at least one shop id")
    try:
        known = load().shops
    except ShopsError as exc:
        raise ValueError(f"shops file is broken:\n{exc}") from None
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValueError(f"unknown shop(s) {', '.join(unknown)} (known: {', '.join(known)})")
    return ids


def _leave(agent: dict, what: str) -> None:
    db = _db()
    ended = auth.end_agent_sessions(db, agent["id"])
    released = auth.release_agent_conversations(db, agent["id"])
    click.echo(f"agent {agent['email']} {what}; {ended} session(s) ended, "
               f"{released} conversation(s) back in the queue")


@agents.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Disable an agent: no more logins; sessions and open console sockets end now."""
    try:
        agent = accounts.disable(_db(), email)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _leave(agent, "disabled")


@agents.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Let a disabled agent log in again."""
    try:
        agent = accounts.enable(_db(), email)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"agent {agent['email']} enabled")


@agents.command("remove")
@click.argument("email")
def remove(email: str) -> None:
    """Delete an agent's account; sessions and open console sockets end now."""
    try:
        agent = accounts.remove(_db(), email)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _leave(agent, "removed")


@agents.command("list")
def list_agents() -> None:
    """List agents (never their hashes)."""
    rows = accounts.list_all(_db())
    if not rows:
        click.echo("no agents yet: helpdesk agents add EMAIL --name NAME")
    for row in rows:
        flag = "  (disabled)" if row.get("disabled_at") else ""
        shops = "all shops" if row["shops"] is None else ",".join(row["shops"])
        click.echo(f"{row['id']:>4}  {row['role']:<6} {row['email']:<32} {row['name']:<20} {shops}{flag}")


@agents.command("demo")
def demo() -> None:
    """Create (or reset) the demo admin and print its credentials.

    The password comes from DEMO_AGENT_PASSWORD, or is generated at random for this run; nothing
    is hard-coded.
    """
    password = settings.current().DEMO_AGENT_PASSWORD or secrets.token_urlsafe(12)
    try:
        accounts.add(_db(), DEMO_EMAIL, "Demo Agent", password, "admin", replace=True)
    except ValueError as exc:
        raise click.ClickException(f"DEMO_AGENT_PASSWORD: {exc}") from None
    base = settings.current().PUBLIC_URL.rstrip("/")
    click.echo(f"agent console: {base}/agent\n  email:    {DEMO_EMAIL}\n  password: {password}")
