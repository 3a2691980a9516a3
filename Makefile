# Front door: `make run` and `make test` (see README). Everything they need is built here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON311 ?= python3.11
VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA := $(abspath $(RASA_VENV))/bin/rasa
RASA_DIR := rasa_project
MODEL := $(RASA_DIR)/models/shop.tar.gz
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
RASA_ENV := cd $(RASA_DIR) && PYTHONPATH=. 

.PHONY: help run run-scale test lint typecheck unit integration rasa-validate rasa-test train seed \
        prepare-training env rasa-env browser-deps eval bench clean

help:
	@echo "make run    - build everything needed, seed the demo shop, train, start all services"
	@echo "make run-scale - two of every process on PostgreSQL, Redis and RabbitMQ (README)"
	@echo "make test   - build everything needed and run every check"
	@echo "make train  - (re)train the Rasa model if training data or catalog changed"
	@echo "make migrate - bring the database to the head schema revision (seed and run do it too)"
	@echo "make eval   - NLU cross-validation and held-out report into reports/"
	@echo "make eval-recsys DATA=<file> [OUT=<json>] [BUDGET=<s>] - recommender vs popularity, item-kNN, ALS"
	@echo "make eval-sentiment - sentiment accuracy vs SnowNLP and VADER (reports/sentiment.md)"
	@echo "make eval-segments [DATA=<csv>] [OUT=<json>] - K-Means vs Ward vs DBSCAN segments"
	@echo "make eval-delay [DATA=<olist csv>] [OUT=<json>] - delay risk vs slack rule and prior"
	@echo "make eval-complaint-risk - 14-day complaint risk vs recency/frequency (demo shop)"
	@echo "make segments / train-delay / train-complaint-risk - the shop's insight models"
	@echo "make bench / bench-recsys - latency reports into reports/"
	@echo "make eval-stories / eval-complaints - test stories and complaint classifier reports"
	@echo "make eval-entities - entity extraction precision/recall per type (reports/entities.md)"
	@echo "make eval-llm - large-model assist: fact retrieval and the answer guard (reports/llm-assist.md)"
	@echo "make eval-clinc DATA=<data_full.json> - the NLU pipeline trained and scored on CLINC150"
	@echo "make reports DATA_DIR=<dir> - regenerate every report (hours), then the README numbers"
	@echo "make reports-check - README numbers match reports/, every report present and stamped"
	@echo "make lock   - regenerate requirements.lock and requirements-rasa.lock (deploy/)"
	@echo "make k8s-config - rewrite deploy/k8s/configmap.yaml from config.yml"

# --- environments: rebuilt only when their requirements change ---------------------------
$(VENV)/.installed: pyproject.toml requirements-nodeps.txt
	@command -v $(PYTHON311) >/dev/null || { echo "Python 3.11 is required (python3.11 not found)"; exit 1; }
	$(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	touch $@

$(RASA_VENV)/.installed: requirements-rasa.txt requirements-nodeps.txt
	@PY310=$$(scripts/find-python310.sh) || exit 1; \
	  $$PY310 -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --upgrade pip wheel 'setuptools<70'
	$(RASA_VENV)/bin/pip install -q -r requirements-rasa.txt
	$(RASA_VENV)/bin/pip install -q --no-deps -r requirements-nodeps.txt
	touch $@

env: $(VENV)/.installed
rasa-env: $(RASA_VENV)/.installed

# Lock files for the container images (deploy/, README "Deploying"): every package of each
# environment at the version installed there. `make env` / `make rasa-env` do not read them.
.PHONY: lock
lock: env rasa-env
	$(PY) scripts/lock.py --pyproject pyproject.toml --out requirements.lock
	$(RASA_VENV)/bin/python scripts/lock.py --requirements requirements-rasa.txt \
	  --out requirements-rasa.lock

# The Kubernetes ConfigMap is config.yml with web.demo_picker off: rewrite it after editing
# config.yml (tests/deploy fails until then).
.PHONY: k8s-config
k8s-config: env
	$(PY) scripts/k8s_configmap.py

browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "Installing Debian's chromium and chromium-driver for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# --- data and model ------------------------------------------------------------------------
# Bring the database (database.url / SHOP_DATABASE_URL) to the head revision; seed does it too.
.PHONY: migrate
migrate: env
	$(PY) -m bot migrate

seed: env
	$(PY) -m bot seed

prepare-training: seed
	$(PY) -m bot prepare-training

train: prepare-training rasa-env train-sentiment train-recsys
	$(PY) -m bot studio render-faq
	@echo "==> Training Rasa (NLU and dialogue; about 3 minutes on 2 cores, nothing to do when the data did not change)"
	$(RASA_ENV) $(RASA) train --domain domain --data data --config config.yml --fixed-model-name shop --out models --num-threads 2

# --- sentiment model: retrained only when its code or data changed (about a minute) ---------
.PHONY: train-sentiment eval-sentiment
SENTIMENT_MODEL := var/models/sentiment.pt
SENTIMENT_INPUTS := $(wildcard bot/sentiment/*.py) \
  $(wildcard $(RASA_DIR)/data/nlu/*.yml) \
  data/uci-sentiment/amazon_cells_labelled.txt data/sentiment-en/written.tsv \
  data/clinc150/data_full.json \
  requirements-nodeps.txt

$(SENTIMENT_MODEL): $(VENV)/.installed $(SENTIMENT_INPUTS)
	$(PY) -m bot.sentiment.train --out $@

train-sentiment: $(SENTIMENT_MODEL)

eval-sentiment: env
	$(PY) -m bot.sentiment.evaluate --out reports/sentiment.md

# --- recommender: the shop model (seconds; the action server reloads it without a restart) --
.PHONY: train-recsys eval-recsys bench-recsys
train-recsys: seed
	$(PY) -m bot.recsys.shop

# Offline evaluation: model vs popularity, item-kNN and implicit ALS, on a public data set given
# as DATA=<file> (one user per line, items in time order; e.g. the Amazon Beauty 5-core file).
# BUDGET=<s> sets every method's search budget (default 960 CPU seconds each).
eval-recsys: OUT ?= reports/recsys-eval.json
eval-recsys: env
	@test -n "$(DATA)" || { echo "usage: make eval-recsys DATA=<file> [OUT=<json>] [BUDGET=<s>]"; exit 2; }
	$(PY) -m bot.recsys.evaluate --data $(DATA) --out $(OUT) $(if $(BUDGET),--budget $(BUDGET))
	$(PY) -m bot.report_stamp add $(basename $(OUT))-details.json --md $(basename $(OUT)).md

# Request latency of action_recommend_products and the bandit simulation, into reports/.
bench-recsys: env
	$(PY) -m bot.bench_recsys --out reports
	$(PY) -m bot.recsys.simulate --out reports
	$(PY) -m bot.report_stamp add reports/recsys-bandit.json --md reports/recsys-bandit.md

# --- insight models (issue 15): segments, delivery-delay risk, complaint risk ------------------
.PHONY: segments train-delay train-complaint-risk eval-segments eval-delay eval-complaint-risk \
        insight-exports
EXPORTS := var/exports

# The demo shop's order lines and orders (Olist schema), and a generated Olist-schema file.
insight-exports: seed
	$(PY) -m bot insight export-transactions --out $(EXPORTS)/transactions.csv
	$(PY) -m bot insight export-olist --out $(EXPORTS)/olist-orders.csv
	$(PY) -m bot insight synth-olist --out $(EXPORTS)/olist-synthetic.csv

segments: seed
	$(PY) -m bot segments

train-delay: seed
	$(PY) -m bot insight train-delay

train-complaint-risk: seed
	$(PY) -m bot insight train-complaint-risk

# DATA=<csv: customer_id, order_id, order_date, amount[, category]>; default: the demo shop's
# order lines. Writes OUT, OUT's .md and a PCA plot OUT's .png beside it.
eval-segments: OUT ?= reports/segments.json
eval-segments: env $(if $(DATA),,insight-exports)
	$(PY) -m bot.insight.commands eval-segments --data $(or $(DATA),$(EXPORTS)/transactions.csv) \
	  --out $(OUT) --command-line "make eval-segments$(if $(DATA), DATA=$(DATA))"

# DATA=<orders csv in the Olist schema>; default: the demo shop's orders, and a generated
# Olist-like file reported beside them (under "also").
eval-delay: OUT ?= reports/delay.json
eval-delay: env $(if $(DATA),,insight-exports)
	$(PY) -m bot.insight.delay --out $(OUT) \
	  $(if $(DATA),--data $(DATA) --name "$(notdir $(DATA))",--data $(EXPORTS)/olist-orders.csv \
	  --name "demo shop export (promise: the order's promised date, set at purchase)" \
	  --also "synthetic Olist-like (bot.insight.synth, 20000 orders)=$(EXPORTS)/olist-synthetic.csv") \
	  --command "make eval-delay$(if $(DATA), DATA=$(DATA))"

eval-complaint-risk: OUT ?= reports/complaint-risk.json
eval-complaint-risk: seed
	$(PY) -m bot.insight.commands eval-complaint-risk --out $(OUT) \
	  --command-line "make eval-complaint-risk"

# --- the two front-door commands -------------------------------------------------------
run: env rasa-env train
	exec $(PY) -m bot.launcher --dotenv .env

# The scale profile (README "Scale profile (make run-scale)"): the database is created and the
# demo shop seeded into it when it is empty; every SCALE_* variable may be set.
SCALE_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/shopbot_scale
run-scale: export SCALE_DATABASE_URL := $(SCALE_DATABASE_URL)
run-scale: env rasa-env train
	$(PY) -m bot.launcher --profile scale --prepare-only
	SHOP_DATABASE_URL=$(SCALE_DATABASE_URL) $(PY) -m bot seed
	exec $(PY) -m bot.launcher --profile scale --dotenv .env

test: env rasa-env browser-deps lint typecheck train rasa-validate unit integration rasa-test
	@echo "All checks passed."

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: env
	$(VENV)/bin/mypy

# PostgreSQL runs on the development and CI machines; set it empty to skip those tests.
SHOP_TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
export SHOP_TEST_POSTGRES_URL
# RabbitMQ for the analytics consumer's test (the scale profile); empty skips it.
SHOP_TEST_RABBITMQ_URL ?= amqp://guest:guest@127.0.0.1:5672/
export SHOP_TEST_RABBITMQ_URL

unit: env
	$(PY) -m pytest -q --durations=20 -m "not integration" tests

# The scale test's load in `make test` (40 concurrent conversations when run on its own).
SHOP_SCALE_CONVERSATIONS ?= 12
export SHOP_SCALE_CONVERSATIONS

integration: env train browser-deps
	$(PY) -m pytest -q --durations=10 -m integration tests

rasa-validate: prepare-training rasa-env
	$(RASA_ENV) $(RASA) data validate --domain domain --data data --config config.yml --fail-on-warnings

rasa-test: train
	$(RASA_ENV) $(RASA) test core --model models/shop.tar.gz --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out results

eval: train
	$(PY) -m bot.eval_nlu --out reports

clean:
	rm -rf $(VENV) $(RASA_VENV) var $(RASA_DIR)/models $(RASA_DIR)/results

bench: train
	$(PY) -m bot.bench --out reports
	PYTHONPATH=. $(PY) scripts/message_cost.py --out reports
	PYTHONPATH=. $(PY) scripts/message_cost.py --out reports --postgres $(SHOP_TEST_POSTGRES_URL)

# --- every report, stamped, and the README's numbers (README "Reports and numbers") ---------
.PHONY: reports reports-check eval-stories eval-complaints eval-entities eval-llm
# The test stories through `rasa test core` (without failing on a wrong prediction, unlike
# `make rasa-test`): reports/stories.json and .md.
eval-stories: train
	rm -rf $(RASA_DIR)/results/stories
	$(RASA_ENV) $(RASA) test core --model models/shop.tar.gz --stories tests/test_stories.yml \
	  --out results/stories
	$(PY) -m bot.reports stories --results $(RASA_DIR)/results/stories \
	  --stories $(RASA_DIR)/tests/test_stories.yml --out reports/stories.json

# The large-model assist without a live model: fact retrieval recall@3, the shop-related
# threshold and the guard's catch rate (reports/llm-assist.md and .json).
eval-llm: env
	$(PY) -m bot.llm.evaluate --out reports/llm-assist.md

# The NLU pipeline at scale: trained on CLINC150 (DATA=<its data_full.json>, not in the
# repository), timed, in-scope accuracy and out-of-scope recall: reports/clinc.json and .md.
.PHONY: eval-clinc
eval-clinc: env rasa-env
	@test -n "$(DATA)" || { echo "usage: make eval-clinc DATA=<CLINC150 data_full.json>"; exit 2; }
	$(PY) -m bot.eval_clinc --data $(DATA) --out reports/clinc.json

# The complaint type classifier against the keyword baseline: reports/complaints.json and .md.
eval-complaints: env
	$(PY) -m bot.services.complaints --report --out reports/complaints.md

# The entity extractor on the labelled messages in tests/data/entities: reports/entities.json
# and .md (precision, recall and F1 per type and language, spans and values).
eval-entities: env
	$(PY) -m bot.eval_entities --out reports/entities.json

# DATA_DIR holds the public data sets that are not in the repository (README "Reports and
# numbers"): amazon-beauty/Beauty.txt for the recommender evaluation, clinc150/data_full.json
# for the NLU pipeline at scale.
RECSYS_DATA = $(DATA_DIR)/amazon-beauty/Beauty.txt
CLINC_DATA = $(DATA_DIR)/clinc150/data_full.json
reports:
	@test -n "$(DATA_DIR)" || { echo "usage: make reports DATA_DIR=<dir with amazon-beauty/Beauty.txt>"; exit 2; }
	@test -d "$(DATA_DIR)" || { echo "make reports: DATA_DIR=$(DATA_DIR) is not a directory"; exit 2; }
	@test -f "$(RECSYS_DATA)" || { echo "make reports: $(RECSYS_DATA) is missing (DATA_DIR=$(DATA_DIR))"; exit 2; }
	@test -f "$(CLINC_DATA)" || { echo "make reports: $(CLINC_DATA) is missing (DATA_DIR=$(DATA_DIR))"; exit 2; }
	$(MAKE) eval-complaints eval-sentiment eval-segments eval-delay eval-complaint-risk
	$(MAKE) eval-entities
	$(MAKE) eval-llm
	$(MAKE) eval eval-stories
	$(MAKE) eval-clinc DATA=$(CLINC_DATA)
	$(MAKE) eval-recsys DATA=$(RECSYS_DATA)
	$(MAKE) bench-recsys
	$(MAKE) bench
	scripts/fresh-clone.sh
	$(PY) -m bot.reports readme
	$(PY) -m bot.reports check

reports-check: env
	$(PY) -m bot.reports check
