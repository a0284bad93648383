# Kestrel support assistant. `make run` and `make test` set up whatever is missing, then run.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     ?= .venv
SVC_PY   := $(VENV)/svc/bin/python
RASA_PY  := $(VENV)/rasa/bin/python
SVC_OK   := $(VENV)/svc/.installed
RASA_OK  := $(VENV)/rasa/.installed
PYTEST_ARGS ?=
# The embedding model tuned on this help centre's own questions (kb_service/tuning.py). Every
# service, test, eval and bench run started from here uses it.
TUNED_MODEL := var/model/kestrel-minilm
export KB_MODEL_PATH ?= $(abspath $(TUNED_MODEL))

.PHONY: help setup system model tune bot-model run test test-fast lint format eval calibrate bench clean

help:
	@echo "make run        set up, then start every service (Ctrl-C stops them)"
	@echo "make test       set up, then run the whole test suite"
	@echo "make lint       ruff (lint + format check) and mypy"
	@echo "make eval       answer quality on labelled data (search, then the whole assistant)"
	@echo "make bench      speed and memory benchmarks"
	@echo "make tune       re-tune the embedding model after articles changed"

setup: $(SVC_OK) $(RASA_OK)

# A stamp per environment: rebuilt only when its requirement files change.
$(SVC_OK): requirements/svc.txt requirements/dev.txt scripts/make-venv.sh
	scripts/make-venv.sh 3.11 $(VENV)/svc requirements/svc.txt requirements/dev.txt
	@touch $@

$(RASA_OK): requirements/rasa.txt scripts/make-venv.sh
	scripts/make-venv.sh 3.10 $(VENV)/rasa requirements/rasa.txt
	@touch $@

# System packages the tests need (Debian chromium + chromium-driver, docker-compose).
system:
	@scripts/ensure-system-packages.sh

# First set-up tunes the model once (a few minutes on 2 cores); later runs reuse it even after
# article edits, which are searchable at once anyway. `make tune` refreshes it.
model: setup
	$(SVC_PY) -m kb_service.tuning --out $(TUNED_MODEL) --when missing

tune: setup
	$(SVC_PY) -m kb_service.tuning --out $(TUNED_MODEL) --when stale

# The Rasa model, retrained only when bot/ changed (content hash).
bot-model: setup
	scripts/train-bot.sh

run: model bot-model
	@scripts/run.sh

test: model bot-model system
	$(SVC_PY) -m pytest $(PYTEST_ARGS)
	$(RASA_PY) -m pytest tests/actions $(PYTEST_ARGS)

test-fast: setup
	$(SVC_PY) -m pytest -m "not slow" $(PYTEST_ARGS)
	$(RASA_PY) -m pytest tests/actions $(PYTEST_ARGS)

lint: $(SVC_OK)
	$(VENV)/svc/bin/ruff check .
	$(VENV)/svc/bin/ruff format --check .
	$(VENV)/svc/bin/mypy
	$(VENV)/svc/bin/mypy --python-executable $(RASA_PY) --python-version 3.10 --strict --ignore-missing-imports actions

format: $(SVC_OK)
	$(VENV)/svc/bin/ruff format .
	$(VENV)/svc/bin/ruff check --fix .

# Both evaluations always run; the target fails if either misses a target.
eval: tune bot-model
	@status=0; \
	$(SVC_PY) -m eval.kb_search || status=1; \
	$(SVC_PY) -m eval.assistant || status=1; \
	exit $$status

calibrate: tune
	$(SVC_PY) -m eval.calibrate

bench: model
	$(SVC_PY) -m bench.kb_latency
	$(SVC_PY) -m bench.desk_latency

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
