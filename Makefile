# Development tasks for the prodml cookiecutter template itself.
# The generated project has its own Makefile under {{ cookiecutter.project_slug | checked_project_dir(cookiecutter, _cookiecutter | default({})) }}/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
LOCK_FLAGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv test test-image test-spark test-k8s test-postgres lint lock lock-template lock-generated demo clean

help: ## Show this help
	@echo "Usage: make <target>"
	@echo
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-15s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv with the pinned template dev tools

$(STAMP): requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "error: $(PYTHON) must be Python >= 3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --require-hashes -r requirements-dev.txt
	touch $@

# On every core (pytest-xdist); a module's tests stay on one worker, so its bakes and installs are
# shared (each end-to-end variant is a group of its own: see tests/conftest.py).
test: $(STAMP) ## Run the template test suite, all but the image test (PYTEST_ARGS=... to pass options)
	$(BIN)/pytest -n auto --dist loadgroup $(PYTEST_ARGS)

test-image: $(STAMP) ## Build the generated Dockerfile with buildah and serve it (root, buildah, podman)
	$(BIN)/pytest -m image $(PYTEST_ARGS)

test-spark: $(STAMP) ## Bake batch_engine=spark and run its Spark tests (Java 17 or 21 needed)
	$(BIN)/pytest -m spark $(PYTEST_ARGS)

test-k8s: $(STAMP) ## Bake deploy=kubernetes: kubectl-equal rendering, schemas of two versions, checkov, contract
	$(BIN)/pytest -m k8s $(PYTEST_ARGS)

test-postgres: $(STAMP) ## Bake data_source=sql: trains at once on SQLite, matches the CSV on a throwaway PostgreSQL
	$(BIN)/pytest -m postgres $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check, ruff format --check and mypy on hooks/, scripts/, tests/ and prodml_checks.py
	$(BIN)/ruff check hooks scripts tests prodml_checks.py
	$(BIN)/ruff format --check hooks scripts tests prodml_checks.py
	$(BIN)/mypy

lock: lock-template lock-generated ## Regenerate all pins (LOCK_FLAGS=--upgrade to bump them)

lock-template: $(STAMP) ## Regenerate the template's requirements-dev.txt
	$(BIN)/uv pip compile --universal --generate-hashes --python-version 3.11 \
		--custom-compile-command "make lock" $(LOCK_FLAGS) \
		requirements-dev.in -o requirements-dev.txt

lock-generated: $(STAMP) ## Update the generated project's uv.lock (from a default bake)
	$(BIN)/python scripts/lock_generated.py $(LOCK_FLAGS)

demo: $(STAMP) ## Bake a project and walk through it
	$(BIN)/python tests/demo.py

clean: ## Remove the virtualenv and tool caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
	find hooks tests -type d -name __pycache__ -prune -exec rm -rf {} +
