"""`python -m kb_service [serve]`: read settings from the environment and serve.
`python -m kb_service import [--dir DIR]` and `export [--dir DIR] [--force]`: move articles
between a folder of Markdown files (default KB_KNOWLEDGE_DIR) and the article store, by the
rule in kb_service/folder.py. Replicas on PostgreSQL (`KB_DATABASE_URL`) apply an import at once;
a service on SQLite sees it at its next start (while it runs, use `POST /admin/import`)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import uvicorn

from kb_service.app import create_app, store_target
from kb_service.changes import IMPORT, Notice, announce, new_origin
from kb_service.config import Settings
from kb_service.folder import export_folder, import_folder
from kb_service.store import SqlArticleStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb_service", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the HTTP API (the default)")
    for name, what in (("import", "import a folder's articles"), ("export", "export to a folder")):
        command = commands.add_parser(name, help=what)
        command.add_argument("--dir", type=Path, help="the folder (default KB_KNOWLEDGE_DIR)")
        if name == "export":
            command.add_argument(
                "--force", action="store_true", help="also overwrite files changed since the last import"
            )
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command in (None, "serve"):
        uvicorn.run(
            create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level.lower()
        )
        return 0
    directory = args.dir or settings.knowledge_dir
    store = SqlArticleStore(store_target(settings))
    try:
        if args.command == "import":
            with store.database.transaction():
                imported = import_folder(store, directory)
                if imported.touched:
                    announce(store.database, Notice(IMPORT, new_origin()))
            _print(imported.lines())
            return 1 if imported.conflicts or imported.pending or imported.problems else 0
        exported = export_folder(store, directory, force=args.force)
        _print(exported.lines())
        return 1 if exported.skipped else 0
    finally:
        store.close()


def _print(lines: list[str]) -> None:
    sys.stdout.write("".join(f"{line}\n" for line in lines))


if __name__ == "__main__":
    sys.exit(main())
