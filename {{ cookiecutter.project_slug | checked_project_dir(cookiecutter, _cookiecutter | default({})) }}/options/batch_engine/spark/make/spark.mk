# batch_engine=spark: PySpark (the `spark` dependency group, not in `make install`) and its tests.
# A local Spark needs Java 17 or 21; `predict --engine spark` on a cluster needs none here.
.PHONY: install-spark test-spark

install-spark: install ## Add PySpark (the spark dependency group) to .venv, for `predict --engine spark`
	$(UV) sync --locked --inexact --group spark --compile-bytecode --python $(PYTHON)

# REQUIRE_SPARK=1: a Spark test that cannot run fails here instead of skipping.
test-spark: install-spark ## Run the Spark tests: the same scores and rejects as pandas, on classic Spark and Spark Connect
	REQUIRE_SPARK=1 $(BIN)/pytest -m spark -p no:cacheprovider $(PYTEST_ARGS)
