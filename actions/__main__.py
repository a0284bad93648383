"""`python -m actions`: read settings from the environment and serve the Rasa actions."""

from __future__ import annotations

import logging

from rasa_sdk.endpoint import run

from actions.config import settings


def main() -> None:
    config = settings()  # fails fast on invalid settings, before the server starts
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run("actions", port=config.port, cors_origins=[])


if __name__ == "__main__":
    main()
