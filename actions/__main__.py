"""`python -m actions`: read settings from the environment and serve the Rasa actions on
`ACTIONS_HOST` (127.0.0.1 unless set), with the handoff outbox drained from start-up on."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk.endpoint import create_app
from sanic import response

from actions.config import settings
from actions.outbox import Outbox
from actions.services import default_services

log = logging.getLogger(__name__)


async def start_outbox(app: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Handoffs left pending by a previous run (or written just before a crash) go out now,
    not when the next customer happens to be handed over."""
    services = default_services()
    services.worker.ensure_running()
    pending = services.outbox.count()
    if pending:
        log.info("the outbox holds %d pending handoff(s); delivering", pending)


def metrics_text(outbox: Outbox) -> str:
    """Prometheus text for GET /metrics: handoffs waiting to be delivered, and handoffs the desk
    refused (each also logged as an ERROR), which an operator must look at."""
    return (
        "# HELP kestrel_actions_outbox_pending Handoffs written but not yet delivered to the desk.\n"
        "# TYPE kestrel_actions_outbox_pending gauge\n"
        f"kestrel_actions_outbox_pending {outbox.count('pending')}\n"
        "# HELP kestrel_actions_outbox_refused Handoffs the desk refused (kept for an operator).\n"
        "# TYPE kestrel_actions_outbox_refused gauge\n"
        f"kestrel_actions_outbox_refused {outbox.count('rejected')}\n"
    )


async def metrics(request: Any) -> Any:
    return response.text(metrics_text(default_services().outbox))


def main() -> None:
    config = settings()  # fails fast on invalid settings, before the server starts
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app("actions", cors_origins=[])
    app.register_listener(start_outbox, "after_server_start")
    app.add_route(metrics, "/metrics", methods=["GET"])
    log.info("action server on http://%s:%d", config.host, config.port)
    app.run(config.host, config.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
