# Kestrel support assistant. `make run` and `make test` set up whatever is missing, then run.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     ?= .venv
SVC_PY   := $(VENV)/svc/bin/python
RASA_PY  := $(VENV)/rasa/bin/python
SVC_OK   := $(VENV)/svc/.installed
RASA_OK  := $(VENV)/rasa/.installed
PYTEST_ARGS ?=
# Independent setup steps (the two environments, tuning and Rasa training, system packages)
# run side by side; the second core is otherwise idle while pip downloads or Rasa trains.
SETUP_JOBS ?= 4
STEP := scripts/step.sh
# The embedding model tuned on this help centre's own questions (kb_service/tuning.py). Every
# service, test, eval and bench run started from here uses it.
TUNED_MODEL := var/model/kestrel-minilm
export KB_MODEL_PATH ?= $(abspath $(TUNED_MODEL))

.PHONY: help setup prepare-run prepare-test system stores model tune bot-model run run-scaled test test-fast lint format eval \
	privacy-check \
	calibrate bench bench-scale bench-setup soak soak-scaled simulate simulate-backfill clean

help:
	@echo "make run        set up, then start every service (Ctrl-C stops them)"
	@echo "make run-scaled  two replicas of every service behind HAProxy, on PostgreSQL and Redis"
	@echo "make test       set up, then run the whole test suite"
	@echo "make lint       ruff (lint + format check) and mypy"
	@echo "make privacy-check  card numbers, emails and phones typed everywhere; then every file searched"
	@echo "make eval       answer quality on labelled data (search, then the whole assistant)"
	@echo "make bench      speed and memory benchmarks"
	@echo "make bench-scale  replies/s and p95 with one and with two replicas of each service (about 12 min)"
	@echo "make soak       200 conversations for 5 minutes while each service is killed and restarted"
	@echo "make soak-scaled  the same on two replicas of each service, one replica of each killed in turn"
	@echo "make simulate   play realistic conversations through the running system (make run first)"
	@echo "make simulate-backfill  four past weeks of simulated traffic for the manager's pages"
	@echo "make bench-setup  time every setup step in a fresh clone (var/bench/setup.json)"
	@echo "make tune       re-tune the embedding model after articles changed"

setup: $(SVC_OK) $(RASA_OK)

# A stamp per environment: rebuilt only when its requirement files change.
$(SVC_OK): requirements/svc.txt requirements/dev.txt scripts/make-venv.sh
	@$(STEP) venv-svc "Python 3.11 environment for the knowledge service and desk (about 1-4 minutes)" \
		scripts/make-venv.sh 3.11 $(VENV)/svc requirements/svc.txt requirements/dev.txt
	@touch $@

$(RASA_OK): requirements/rasa.txt scripts/make-venv.sh
	@$(STEP) venv-rasa "Python 3.10 environment for Rasa and the action server (about 1-3 minutes)" \
		scripts/make-venv.sh 3.10 $(VENV)/rasa requirements/rasa.txt
	@touch $@

# What `make run` and `make test` need, with independent steps side by side.
prepare-run:
	@$(MAKE) --no-print-directory -j$(SETUP_JOBS) model bot-model

# System packages first, on a quiet terminal (apt may ask for a sudo password).
prepare-test: system stores
	@$(MAKE) --no-print-directory -j$(SETUP_JOBS) model bot-model

# PostgreSQL, Redis and HAProxy: the stores' contract tests run on PostgreSQL as well as SQLite,
# and the replica tests start a scaled stack (installed, started and given databases when missing).
stores:
	@$(STEP) stores "PostgreSQL, Redis and HAProxy for the replica tests, when missing" \
		scripts/ensure-scale-services.sh

# System packages the tests need (Debian chromium + chromium-driver, docker-compose).
system:
	@$(STEP) system "system packages for the tests (chromium, chromium-driver, docker-compose), when missing" \
		scripts/ensure-system-packages.sh

# First set-up tunes the model once (a few minutes on 2 cores); later runs reuse it even after
# article edits, which are searchable at once anyway. `make tune` refreshes it.
model: $(SVC_OK)
	@$(STEP) model "embedding model tuned on the help centre (once; about 2-5 minutes on 2 cores)" \
		$(SVC_PY) -m kb_service.tuning --out $(TUNED_MODEL) --when missing

tune: $(SVC_OK)
	@$(STEP) tune "re-tune the embedding model if the articles changed" \
		$(SVC_PY) -m kb_service.tuning --out $(TUNED_MODEL) --when stale

# The Rasa model, retrained only when bot/ changed (content hash).
bot-model: $(RASA_OK)
	@$(STEP) bot-model "Rasa model, trained when bot/ changed (under a minute on 2 cores)" scripts/train-bot.sh

run: prepare-run
	@scripts/run.sh

# Several replicas of every service behind HAProxy, on PostgreSQL and Redis (installed, started
# and given their databases when missing): docs/contracts/scale-out.md has the ports.
SCALED_REPLICAS ?= 2
run-scaled: prepare-run
	@scripts/ensure-scale-services.sh
	@$(SVC_PY) -m tools.scaled run --replicas $(SCALED_REPLICAS)

test: prepare-test
	$(SVC_PY) -m pytest $(PYTEST_ARGS)
	$(RASA_PY) -m pytest tests/actions $(PYTEST_ARGS)

# The personal-data check alone (it also runs in `make test`): card numbers, emails and phone
# numbers typed everywhere, then every database, log and outbox searched.
privacy-check: prepare-test
	$(SVC_PY) -m pytest tests/e2e/test_personal_data.py $(PYTEST_ARGS)

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

# Every evaluation always runs; the target fails if any misses a target. kb_history is the
# history mode: past questions imported as examples, 5-fold over BANKING77 train.
eval: $(SVC_OK)
	@$(MAKE) --no-print-directory -j$(SETUP_JOBS) tune bot-model
	@status=0; \
	$(SVC_PY) -m eval.kb_search || status=1; \
	$(SVC_PY) -m eval.kb_history || status=1; \
	$(SVC_PY) -m eval.assistant || status=1; \
	exit $$status

calibrate: tune
	$(SVC_PY) -m eval.calibrate

# The soak-and-fault test, long form (the short one runs in `make test`): 200 widget conversations
# for 5 minutes through every service while each is SIGKILLed and restarted in turn, twice;
# fails if a message or handoff is lost or duplicated. Report: var/soak/report.json.
soak: prepare-run
	$(SVC_PY) -m tools.soak --conversations 200 --seconds 300 --rounds 2 --agents 4 --rate 4

# The scaled fault test, long form (the short one runs in `make test`: tests/e2e/test_soak_scaled.py):
# 100 widget conversations for 5 minutes through two replicas of each service behind HAProxy, on
# PostgreSQL and Redis, while one replica of each service in turn is SIGKILLed and restarted (rasa-1,
# actions-1, kb-1, desk-1, then the second replicas); fails if a message or handoff is lost or
# duplicated or a conversation's order is broken. Report: var/soak-scaled/report.json.
soak-scaled: prepare-run
	@scripts/ensure-scale-services.sh
	$(SVC_PY) -m tools.soak --replicas 2 --conversations 100 --seconds 300 --rounds 2 --agents 4 --rate 3 \
		--workdir var/soak-scaled

# The traffic simulator, against the system `make run` started (another terminal): customers on
# the widget and agents on the console, then a JSON summary of what was played. SIMULATE_ARGS
# adds options (--conversations N --agents K --seed S --pace P --desk URL; see --help).
SIMULATE_ARGS ?=
simulate: $(SVC_OK)
	$(SVC_PY) -m desk.simulate --conversations 30 $(SIMULATE_ARGS)

# Four weeks of history with past timestamps through the same running services (development
# only: desk/simulated_time.py), so that the manager's charts show trends on a first run.
simulate-backfill: $(SVC_OK)
	$(SVC_PY) -m desk.simulate --backfill-weeks 4 --conversations 280 --agents 3 $(SIMULATE_ARGS)

bench: model
	$(SVC_PY) -m bench.encoders
	$(SVC_PY) -m bench.kb_latency
	$(SVC_PY) -m bench.desk_latency
	$(SVC_PY) -m bench.turns

# Replies per second and latency with one and with two replicas of every service on this machine
# (scaled deployments on PostgreSQL and Redis, as `make run-scaled`; about 12 minutes on 2 cores), and
# what PostgreSQL and Redis carry; the README's scale-out tables and capacity model come from
# var/bench/scale.json. BENCH_SCALE_ARGS adds options (--levels 4,8 --seconds 20 --replicas 1,2;
# --conversations and --messages-per-minute for the capacity model; see --help).
BENCH_SCALE_ARGS ?=
bench-scale: prepare-run
	@scripts/ensure-scale-services.sh
	$(SVC_PY) -m bench.scale $(BENCH_SCALE_ARGS)

# Times every setup step, the test suite and `make run` in fresh clones of HEAD with empty
# caches (about 30 minutes); the README's timing table comes from var/bench/setup.json.
bench-setup: $(SVC_OK)
	$(SVC_PY) -m bench.setup

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
