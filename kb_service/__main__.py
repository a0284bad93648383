"""`python -m kb_service`: read settings from the environment and serve."""

from __future__ import annotations

import logging

import uvicorn

from kb_service.app import create_app
from kb_service.config import Settings


def main() -> None:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level.lower()
    )


if __name__ == "__main__":
    main()
