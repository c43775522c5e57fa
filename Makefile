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
SEED ?= 0
DATA_DIR ?=
OUTPUT_DIR ?=
NB ?= *
# NB=02 means 02_*; an NB that matches no notebook is an error naming the notebooks there are.
NB_GLOB := $(if $(findstring *,$(NB)),$(NB),$(if $(wildcard notebooks/$(NB).ipynb),$(NB),$(NB)*))
NOTEBOOKS := $(sort $(wildcard notebooks/$(NB_GLOB).ipynb))
ALL_NOTEBOOKS := $(notdir $(wildcard notebooks/[0-9][0-9]_*.ipynb))
CHECK_NB = $(if $(NOTEBOOKS),,$(error NB=$(NB) matches no notebook; the notebooks are: $(ALL_NOTEBOOKS)))
# Every notebook parameter the Makefile documents reaches the notebook; DATA_DIR and OUTPUT_DIR are
# made absolute, since papermill runs the kernel in notebooks/.
abspath_or_empty = $(if $(1),$(abspath $(1)),)
NB_PARAMS = -p PROFILE $(PROFILE) -p DEVICE $(DEVICE) -p SEED $(SEED) \
  -p DATA_DIR '$(call abspath_or_empty,$(DATA_DIR))' -p OUTPUT_DIR '$(call abspath_or_empty,$(OUTPUT_DIR))'
PAPERMILL := $(PY) -m papermill --kernel python3 --cwd notebooks --log-level WARNING
# A headless run stores no progress bars in the notebook; a person running it sees them.
HEADLESS := TQDM_DISABLE=1
# The code paths an AVX2 machine (e.g. an AMD EPYC) takes, forced on this one (notes/ALT_BLAS.md).
ALT_BLAS := OPENBLAS_CORETYPE=Haswell MKL_CBWR=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2
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
.PHONY: help setup figures notebooks record smoke test test-unit test-notebooks test-nbval test-altblas report bench gpu-check lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'
	@echo "  variables: PROFILE=$(PROFILE) DEVICE=$(DEVICE) SEED=$(SEED) DATA_DIR=<folder> OUTPUT_DIR=<folder> NB=<02, or a glob such as 0[12]_*>"

setup: $(VENV)/.installed ## create .venv: torch pinned first, then pip install -e .[dev,cluster], python3 kernel

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION)
	$(PY) -m pip install --quiet -e '.[dev,cluster]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3"
	touch $@

figures: setup ## run the notebooks headlessly (PROFILE, DEVICE, SEED, DATA_DIR, OUTPUT_DIR) and regenerate figures/
	$(CHECK_NB)
	@mkdir -p build/executed
	@for nb in $(NOTEBOOKS); do \
	  echo "== $$nb (PROFILE=$(PROFILE) DEVICE=$(DEVICE) SEED=$(SEED) DATA_DIR=$(DATA_DIR) OUTPUT_DIR=$(OUTPUT_DIR))"; \
	  $(HEADLESS) $(PAPERMILL) $(NB_PARAMS) $$nb build/executed/$$(basename $$nb) || exit 1; \
	done
	$(MAKE) --no-print-directory report

# Committed = fresh: the committed notebooks are executed from an empty cache.
notebooks: setup ## re-execute the committed notebooks in place (profile cpu, clean cache)
	$(CHECK_NB)
	@for nb in $(NOTEBOOKS); do \
	  cache=build/notebooks-cache/$$(basename $$nb .ipynb); echo "== $$nb"; rm -rf $$cache; \
	  $(HEADLESS) SUPPORT_CACHE_DIR=$$cache $(PAPERMILL) $$nb $$nb || exit 1; \
	done
	$(MAKE) --no-print-directory report

# A record: a notebook at its powered cpu_long profile (the cpu recipe with the sample its claims ask
# for), from an empty cache, into notebooks/records/ with its figures and claims under
# figures/<paper>/cpu_long/. NB selects among the notebooks that have one (03, 04); both by default.
RECORD_NOTEBOOKS := $(filter notebooks/03_% notebooks/04_%,$(NOTEBOOKS))
record: setup ## re-execute the powered cpu_long records (03 about 30 min, 04 about an hour on 2 cores)
	$(if $(RECORD_NOTEBOOKS),,$(error NB=$(NB) selects no notebook with a cpu_long record (03, 04)))
	@mkdir -p notebooks/records
	@for nb in $(RECORD_NOTEBOOKS); do \
	  name=$$(basename $$nb .ipynb); paper=$${name#*_}; cache=build/records-cache/$$name; \
	  echo "== $$nb (cpu_long)"; rm -rf $$cache; \
	  $(HEADLESS) SUPPORT_CACHE_DIR=$$cache $(PAPERMILL) -p PROFILE cpu_long \
	    -p OUTPUT_DIR figures/$$paper/cpu_long $$nb notebooks/records/$$name.cpu_long.ipynb || exit 1; \
	done
	$(MAKE) --no-print-directory report

smoke: setup ## run the notebooks (NB) at the smoke profile into build/smoke
	$(CHECK_NB)
	SUPPORT_NOTEBOOKS='$(NB_GLOB)' $(PY) -m pytest -q tests/notebooks/test_smoke.py

test-altblas: setup ## unit tests and smoke notebooks on the AVX2 code paths; verdicts must match the default path
	$(ALT_BLAS) $(PY) -m pytest -q tests/unit
	$(ALT_BLAS) SUPPORT_SMOKE_DIR=build/smoke-altblas SUPPORT_NOTEBOOKS='$(NB_GLOB)' $(PY) -m pytest -q tests/notebooks/test_smoke.py
	SUPPORT_SMOKE_DIR=build/smoke SUPPORT_NOTEBOOKS='$(NB_GLOB)' $(PY) -m pytest -q tests/notebooks/test_smoke.py
	$(PY) -m support.core.claims build/smoke build/smoke-altblas

test: setup test-unit test-notebooks test-nbval ## all three test layers

test-unit: setup
	$(PY) -m pytest -q tests/unit

test-notebooks: setup
	$(CHECK_NB)
	SUPPORT_NOTEBOOKS='$(NB_GLOB)' $(PY) -m pytest -q tests/notebooks tests/test_environment.py tests/test_readme.py tests/test_registry_agreement.py tests/test_gpu_check.py

# nbval re-executes the committed notebooks from an empty cache; their figures
# go to build/ so a test run never rewrites figures/. Then every re-run value
# is compared with the committed claims.json within its declared tolerance.
# Two streams of notebooks at a time (01, 03 | 02, 04), each notebook on one core, so the
# layer takes about half its serial time on 2 cores; each stream's log is printed when both end.
NBVAL_STREAM_1 := $(strip $(foreach i,1 3 5 7 9 11,$(word $(i),$(NOTEBOOKS))))
NBVAL_STREAM_2 := $(strip $(foreach i,2 4 6 8 10 12,$(word $(i),$(NOTEBOOKS))))
NBVAL := SUPPORT_FIGURES_ROOT=build/nbval-figures SUPPORT_CACHE_DIR=build/nbval-cache \
  $(PY) -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env --nbval-cell-timeout 600 \
  --nbval-sanitize-with tests/nbval_sanitize.cfg

test-nbval: setup
	$(CHECK_NB)
	rm -rf build/nbval-figures build/nbval-cache build/nbval-stream-*.log
	@mkdir -p build; status=0; \
	$(NBVAL) $(NBVAL_STREAM_1) > build/nbval-stream-1.log 2>&1 & first=$$!; \
	if [ -n "$(NBVAL_STREAM_2)" ]; then $(NBVAL) $(NBVAL_STREAM_2) > build/nbval-stream-2.log 2>&1 & second=$$!; fi; \
	wait $$first || status=1; if [ -n "$$second" ]; then wait $$second || status=1; fi; \
	cat build/nbval-stream-*.log; exit $$status
	$(PY) -m pytest -q -p no:cacheprovider tests/test_reproducible.py

report: setup ## gather figures/*/claims.json into figures/CLAIMS.md
	$(PY) -m support.core.report

bench: setup ## time our implementations against peers (bench/*.py)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# On a machine with a CUDA GPU (at most 8 minutes; DEVICE=auto means cuda and never falls back to the
# CPU): the notebooks' paper code paths on the GPU and on the CPU with their claims compared, engine
# timings at paper size with peak GPU memory; build/gpu-check/gpu_check.{json,md} (bench/RESULTS.md).
gpu-check: setup ## on a CUDA GPU (<= 8 min): paper code paths on CUDA vs CPU, engine timings at paper size
	$(PY) bench/gpu_check.py --device $(DEVICE) --out build/gpu-check

lint: setup ## ruff over support, tests, bench and notebooks
	$(PY) -m ruff check support tests bench notebooks
	$(PY) -m ruff format --check support tests bench notebooks

clean: ## remove build outputs, caches and the venv
	rm -rf build .cache .pytest_cache .ruff_cache $(VENV) *.egg-info
