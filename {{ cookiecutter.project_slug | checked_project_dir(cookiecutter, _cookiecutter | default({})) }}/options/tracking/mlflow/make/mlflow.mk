# tracking=mlflow: `make train` records each run in MLflow and `promote` moves the champion alias
# (src/{{ cookiecutter.module_name }}/trackers.py), at MLFLOW_TRACKING_URI, by default sqlite:///mlflow.db.
.PHONY: mlflow-ui

MLFLOW_UI_PORT ?= 5000

# The project pins MLflow's client only (mlflow-skinny); its UI is the full `mlflow` package of
# the same version, which uv runs apart, in a cached environment of its own. For a tracking
# server, open its own address instead.
mlflow-ui: $(VENV)/.installed ## Open MLflow's UI on the local runs at http://127.0.0.1:5000 (MLFLOW_UI_PORT)
	$(UV) tool run --from "mlflow==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("mlflow-skinny"))')" \
		mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port $(MLFLOW_UI_PORT)
