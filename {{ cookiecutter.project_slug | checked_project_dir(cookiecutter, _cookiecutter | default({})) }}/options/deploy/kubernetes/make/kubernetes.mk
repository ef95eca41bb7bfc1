# deploy=kubernetes: render and check the manifests of deploy/k8s (kustomize base, dev and prod
# overlays). `kubectl apply -k deploy/k8s/overlays/prod` deploys; nothing here needs a cluster.
.PHONY: k8s-render k8s-check

# The Kubernetes versions the manifests must be valid for (strict: no unknown field).
K8S_VERSIONS ?= 1.32.0 1.36.0
# checkov runs as a pinned tool (`uv tool run`): a scanner, not a dependency of the project.
CHECKOV_VERSION ?= 3.3.30
K8S_RENDERED := reports/k8s

k8s-render: install ## Render each overlay of deploy/k8s into reports/k8s/<overlay>.yaml (as kubectl kustomize does)
	@mkdir -p $(K8S_RENDERED)
	@for overlay in $(notdir $(wildcard deploy/k8s/overlays/*)); do \
		$(BIN)/python scripts/render_k8s.py deploy/k8s/overlays/$$overlay > $(K8S_RENDERED)/$$overlay.yaml || exit 1; \
		echo "rendered $(K8S_RENDERED)/$$overlay.yaml"; \
	done

k8s-check: k8s-render ## Validate the rendered overlays: Kubernetes' schemas ($(K8S_VERSIONS)), then checkov
	$(UV) sync --locked --inexact --group deploy --python $(PYTHON)
	@for version in $(K8S_VERSIONS); do \
		$(BIN)/kubernetes-validate --strict --quiet --kubernetes-version $$version $(K8S_RENDERED)/*.yaml || exit 1; \
		echo "valid for Kubernetes $$version (strict)"; \
	done
	$(UV) tool run --from checkov==$(CHECKOV_VERSION) checkov --config-file deploy/k8s/.checkov.yaml \
		--skip-download --directory $(K8S_RENDERED)
