# Reproducible ML paper notebooks. On a fresh machine:
#   make figures   # installs everything, runs every notebook (profile cpu), regenerates figures/
#   make test      # installs everything, runs unit, notebook smoke and nbval tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH_VERSION := 2.13.0
PROFILE ?= cpu
DEVICE ?= auto
NB ?= *
NOTEBOOKS := $(sort $(wildcard notebooks/$(NB).ipynb))
PAPERMILL := $(PY) -m papermill --kernel python3 --cwd notebooks --log-level WARNING
export TQDM_MININTERVAL ?= 5
# One thread per process by default: on a shared 2-core machine, OpenMP/BLAS
# workers spin-wait on a busy core and small operations slow down 30-100x.
# Override on a machine with cores to spare, e.g. `make figures SUPPORT_THREADS=8 OMP_NUM_THREADS=8`.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export SUPPORT_THREADS ?= 1
export PYTHONHASHSEED := 0

.DEFAULT_GOAL := help
.PHONY: help setup figures notebooks record smoke test test-unit test-notebooks test-nbval report bench lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'
	@echo "  variables: PROFILE=$(PROFILE) DEVICE=$(DEVICE) NB=<glob, e.g. 02_*>"

setup: $(VENV)/.installed ## create .venv: torch pinned first, then pip install -e .[dev,cluster], python3 kernel

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION)
	$(PY) -m pip install --quiet -e '.[dev,cluster]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3"
	touch $@

figures: setup ## run every notebook headlessly (PROFILE, DEVICE) and regenerate figures/
	@mkdir -p build/executed
	@for nb in $(NOTEBOOKS); do \
	  echo "== $$nb (PROFILE=$(PROFILE) DEVICE=$(DEVICE))"; \
	  $(PAPERMILL) -p PROFILE $(PROFILE) -p DEVICE $(DEVICE) $$nb build/executed/$$(basename $$nb) || exit 1; \
	done
	$(MAKE) --no-print-directory report

# Committed = fresh: the committed notebooks are executed from an empty cache.
notebooks: setup ## re-execute the committed notebooks in place (profile cpu, clean cache)
	@for nb in $(NOTEBOOKS); do \
	  cache=build/notebooks-cache/$$(basename $$nb .ipynb); echo "== $$nb"; rm -rf $$cache; \
	  SUPPORT_CACHE_DIR=$$cache $(PAPERMILL) $$nb $$nb || exit 1; \
	done
	$(MAKE) --no-print-directory report

# A record: notebook 04 at its powered cpu_long profile (about an hour on 2 cores), from an empty cache,
# into notebooks/records/ with its figures and claims under figures/dataset_distillation/cpu_long/.
record: setup ## re-execute notebook 04's powered cpu_long record (about an hour)
	@mkdir -p notebooks/records
	rm -rf build/records-cache
	SUPPORT_CACHE_DIR=build/records-cache $(PAPERMILL) -p PROFILE cpu_long \
	  -p OUTPUT_DIR figures/dataset_distillation/cpu_long \
	  notebooks/04_dataset_distillation.ipynb notebooks/records/04_dataset_distillation.cpu_long.ipynb

smoke: setup ## run the notebooks (NB) at the smoke profile into build/smoke
	SUPPORT_NOTEBOOKS='$(NB)' $(PY) -m pytest -q tests/notebooks/test_smoke.py

test: setup test-unit test-notebooks test-nbval ## all three test layers

test-unit: setup
	$(PY) -m pytest -q tests/unit

test-notebooks: setup
	SUPPORT_NOTEBOOKS='$(NB)' $(PY) -m pytest -q tests/notebooks tests/test_environment.py tests/test_readme.py

# nbval re-executes the committed notebooks from an empty cache; their figures
# go to build/ so a test run never rewrites figures/. Then every re-run value
# is compared with the committed claims.json within its declared tolerance.
test-nbval: setup
	rm -rf build/nbval-figures build/nbval-cache
	SUPPORT_FIGURES_ROOT=build/nbval-figures SUPPORT_CACHE_DIR=build/nbval-cache \
	  $(PY) -m pytest -q -p no:cacheprovider \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout 600 \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg $(NOTEBOOKS)
	$(PY) -m pytest -q -p no:cacheprovider tests/test_reproducible.py

report: setup ## gather figures/*/claims.json into figures/CLAIMS.md
	$(PY) -m support.core.report

bench: setup ## time our implementations against peers (bench/*.py)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: setup ## ruff over support, tests, bench and notebooks
	$(PY) -m ruff check support tests bench notebooks
	$(PY) -m ruff format --check support tests bench notebooks

clean: ## remove build outputs, caches and the venv
	rm -rf build .cache .pytest_cache .ruff_cache $(VENV) *.egg-info
