"""The action server: rasa-sdk's server with one addition, a token check on its webhook.

    python -m actions.server --actions actions -p 5055     (same arguments as `python -m rasa_sdk`)

Why: rasa-sdk takes any caller, and its actions look orders up. Rasa sends the token that
endpoints.yml gives the action endpoint (`token:` becomes `?token=` on every call); we refuse
calls without ACTIONS_TOKEN (helpdesk.tokens) with 401. `/health` stays open for probes.
"""
from __future__ import annotations

import hmac
import logging
import os
from functools import partial

from sanic import Sanic, response

from rasa_sdk import endpoint, utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.executor import ActionExecutor

from helpdesk.tokens import install_token

OPEN_PATHS = ("/health",)


def token_ok(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def require_token(app: Sanic, expected: str) -> None:
    """A request middleware: every path but /health needs `?token=` or `Authorization: Bearer`."""

    async def check(request):
        if request.path in OPEN_PATHS:
            return None
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else request.args.get("token")
        if not token_ok(given, expected):
            return response.json({"error": "unauthorized: action server token missing or wrong"}, status=401)
        return None

    app.register_middleware(check, "request")


def create_app_for_serve(action_executor: ActionExecutor, **kwargs) -> Sanic:
    """rasa-sdk's app factory plus the token check (module level: Sanic's loader pickles it)."""
    app = endpoint.create_app_for_serve(action_executor, **kwargs)
    require_token(app, install_token("ACTIONS_TOKEN"))
    return app


def main() -> None:
    args = endpoint.create_argument_parser().parse_args()
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    install_token("ACTIONS_TOKEN")  # made before the worker starts, so both read one file
    loader = endpoint.AppLoader(factory=partial(
        create_app_for_serve, executor, cors_origins=args.cors, auto_reload=args.auto_reload,
        endpoints=args.endpoints,
    ))
    app = loader.load()
    ssl_config = endpoint.create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    app.prepare(host=os.environ.get("SANIC_HOST", "127.0.0.1"), port=args.port, ssl=ssl_config,
                workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
