# Two commands matter: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export AAI_DATA_DIR ?= $(CURDIR)/data
# Dagster writes run storage here instead of scattering .tmp_dagster_home_* dirs.
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup demo test dev lock sample bench bench-inference bench-claims bench-scale bench-reports clean audit

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "aai-impact needs Python 3.11 (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

# The Dagster instance installed into DAGSTER_HOME: the embedded SQLite one by default,
# the production one (PostgreSQL, run retries, the warehouse pool; docs/operations.md)
# with DAGSTER_INSTANCE=postgres.
DAGSTER_INSTANCE ?= sqlite
ifeq ($(filter $(DAGSTER_INSTANCE),sqlite postgres),)
$(error DAGSTER_INSTANCE is sqlite or postgres, not '$(DAGSTER_INSTANCE)')
endif
INSTANCE_SOURCE := dagster-instance$(if $(filter postgres,$(DAGSTER_INSTANCE)),.postgres).yaml
INSTANCE := $(DAGSTER_HOME)/dagster.yaml

# Compared every time, not by date: switching DAGSTER_INSTANCE must replace a newer file.
$(INSTANCE): $(INSTANCE_SOURCE) FORCE
	@mkdir -p $(DAGSTER_HOME)
	@cmp -s $< $@ || { cp $< $@ && echo "$@: $< installed"; }

.PHONY: FORCE instance
FORCE:

# Install the instance and check it: storage reachable, what it retries and limits.
instance: setup $(INSTANCE)
	$(BIN)/aai instance

demo: setup $(INSTANCE)
	$(BIN)/aai run

# The default tier in parallel, one pytest-xdist worker per core (TEST_WORKERS=1 for one
# process): a file's tests share a worker, and so do those of the one end-to-end run.
TEST_WORKERS ?= auto
PARALLEL := -n $(TEST_WORKERS) --dist loadgroup

test: setup $(INSTANCE)
	$(BIN)/python -m pytest $(PARALLEL)

# The disclosure audit of the data root's warehouse and reports (docs/disclosure.md).
audit: setup
	$(BIN)/aai audit

dev: setup $(INSTANCE)
	$(BIN)/dagster dev

sample: setup
	$(BIN)/aai sample --out $(AAI_DATA_DIR)/raw

bench: setup
	$(BIN)/python -m bench.ingest

# Whole pipeline against a hand-written DuckDB job (docs/performance.md, "The whole run"):
# 1k and 10k survey rows by default; SIZE=large for 400k survey and 10M attendance rows.
bench-scale: setup
	$(BIN)/python -m bench.scale $(if $(SIZE),--size $(SIZE))

# The reports' share of a full run on a fresh demo root, from Dagster's step timings
# (docs/performance.md, "Reports against the whole run"), about 2 minutes.
bench-reports: setup
	$(BIN)/python -m bench.reports

# Coverage study of the published intervals (docs/impact.md, "Coverage study"), about 7 minutes on 2 cores.
bench-inference: setup
	$(BIN)/python -m bench.inference

# Claims study (docs/impact.md, "Claims"): false claims on 20 no-effect programmes, and power
# on 20 with planted effects, by default and with declared primary outcomes; about 8 minutes.
bench-claims: setup
	$(BIN)/python -m bench.claims
	$(BIN)/python -m bench.claims --primary P.who5_mean,4.5,3.1 --effect-scale 2

.PHONY: test-all fuzz crash
# Everything: the default tier in parallel, then the slow tier (the fuzz campaign, the
# kill harness, the canary, PostgreSQL and the daemon) one test at a time, since its
# tests time their own processes and kill them.
test-all: setup $(INSTANCE)
	$(BIN)/python -m pytest $(PARALLEL)
	$(BIN)/python -m pytest -m slow

# The seeded fuzz campaign alone; its figures go to bench/out/fuzz.json.
fuzz: setup
	$(BIN)/python -m pytest -m slow tests/test_fuzz.py

# The hostile data root and the SIGKILL harness alone; figures go to bench/out/crash.json.
crash: setup $(INSTANCE)
	$(BIN)/python -m pytest -m slow tests/test_crash.py

# Re-resolve requirements.lock from pyproject.toml (needs network to PyPI).
lock: setup
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes \
	  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu -o requirements.lock

clean:
	rm -rf $(AAI_DATA_DIR)/processed/* $(DAGSTER_HOME) .pytest_cache
