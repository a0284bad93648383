"""The suite runs in two environments: tests/actions needs rasa-sdk (Python 3.10, `.venv/rasa`),
everything else the services' Python 3.11 (`.venv/svc`). `make test` runs both."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("rasa_sdk") else ["actions"]
