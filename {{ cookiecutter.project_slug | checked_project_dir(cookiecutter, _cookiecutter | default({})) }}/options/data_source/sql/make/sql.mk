# data_source=sql: `sql:NAME` inputs run the query sql/NAME.sql on the database at DATABASE_URL
# (by default the embedded SQLite below; see src/{{ cookiecutter.module_name }}/sources.py).
.PHONY: seed-db test-postgres bench-sql

EMBEDDED_DB := data/warehouse.db
# Options for scripts/seed_db.py, e.g. SEED_ARGS="--replace" (see --help).
SEED_ARGS ?=

seed-db: $(VENV)/.installed ## Load the sample into the database (DATABASE_URL; by default data/warehouse.db)
	$(BIN)/python scripts/seed_db.py $(SEED_ARGS)

# `make install` creates the embedded database when it is missing and no DATABASE_URL is set, so
# that `make train` works on the first try without a server.
install: $(if $(DATABASE_URL),,$(EMBEDDED_DB))
$(EMBEDDED_DB): | $(VENV)/.installed
	$(BIN)/python scripts/seed_db.py

# REQUIRE_POSTGRES=1: a PostgreSQL test that cannot start its server fails here instead of skipping.
test-postgres: install ## Run the PostgreSQL tests on a throwaway server (needs its binaries: apt install postgresql)
	REQUIRE_POSTGRES=1 $(BIN)/pytest -m postgres -p no:cacheprovider $(PYTEST_ARGS)

# Part of `make bench`: reading `sql:` inputs, against sqlite3's own fetch of the same rows.
bench: bench-sql
bench-sql: $(VENV)/.installed ## Stream 1M rows from SQLite through the sql: reader -> reports/bench-sql.json
	$(BIN)/python scripts/bench_sql.py $(filter --quick,$(BENCH_ARGS))
