"""Agent console (/agent): login, queue, conversation view, replies. Owned by the agent-console work."""
from aiohttp import web


def setup(app: web.Application) -> None:
    """Register the console's routes on the gateway app (no-op until the console exists)."""
