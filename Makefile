# Kestrel support assistant. `make run` and `make test` set up whatever is missing, then run.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     ?= .venv
SVC_PY   := $(VENV)/svc/bin/python
RASA_PY  := $(VENV)/rasa/bin/python
SVC_OK   := $(VENV)/svc/.installed
RASA_OK  := $(VENV)/rasa/.installed
PYTEST_ARGS ?=

.PHONY: help setup run test test-fast lint format eval calibrate bench clean

help:
	@echo "make run        set up, then start every service (Ctrl-C stops them)"
	@echo "make test       set up, then run the whole test suite"
	@echo "make lint       ruff (lint + format check) and mypy"
	@echo "make eval       answer quality on labelled data"
	@echo "make bench      speed and memory benchmarks"

setup: $(SVC_OK) $(RASA_OK)

# A stamp per environment: rebuilt only when its requirement files change.
$(SVC_OK): requirements/svc.txt requirements/dev.txt scripts/make-venv.sh
	scripts/make-venv.sh 3.11 $(VENV)/svc requirements/svc.txt requirements/dev.txt
	@touch $@

$(RASA_OK): requirements/rasa.txt scripts/make-venv.sh
	scripts/make-venv.sh 3.10 $(VENV)/rasa requirements/rasa.txt
	@touch $@

run: setup
	@scripts/run.sh

test: setup
	$(SVC_PY) -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(SVC_PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(SVC_OK)
	$(VENV)/svc/bin/ruff check .
	$(VENV)/svc/bin/ruff format --check .
	$(VENV)/svc/bin/mypy

format: $(SVC_OK)
	$(VENV)/svc/bin/ruff format .
	$(VENV)/svc/bin/ruff check --fix .

eval: setup
	$(SVC_PY) -m eval.kb_search

calibrate: $(SVC_OK)
	$(SVC_PY) -m eval.calibrate

bench: $(SVC_OK)
	$(SVC_PY) -m bench.kb_latency

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
