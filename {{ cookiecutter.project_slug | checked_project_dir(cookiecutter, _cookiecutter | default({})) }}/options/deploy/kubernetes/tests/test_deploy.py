"""The Kubernetes manifests match the app: probes ask real routes, ports agree, the pods run as the
image's user, selectors find their pods, a drain never takes the last pod, requests fit within
limits, and every path the app writes is a volume. Each rule is checked on both overlays, and
each is shown to catch a planted mistake (a probe typo, a port mismatch, another UID, a missing
/tmp volume...)."""

from __future__ import annotations

import copy
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.serve import create_app

ROOT = Path(__file__).resolve().parents[1]
OVERLAYS = sorted(p.name for p in (ROOT / "deploy/k8s/overlays").iterdir())
Manifest = dict[str, Any]


def _renderer() -> Any:
    spec = importlib.util.spec_from_file_location("render_k8s", ROOT / "scripts/render_k8s.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RENDER = _renderer()
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
UID = int(re.findall(r"^USER (\d+)", DOCKERFILE, re.MULTILINE)[-1])
WORKDIR = Path(re.findall(r"^WORKDIR (\S+)", DOCKERFILE, re.MULTILINE)[-1])
EXPOSED = int(re.findall(r"^EXPOSE (\d+)", DOCKERFILE, re.MULTILINE)[-1])
ROUTES = {route.path for route in create_app(Settings()).routes}  # type: ignore[attr-defined]


def pod(manifest: Manifest) -> dict[str, Any]:
    spec = manifest["spec"]
    template: dict[str, Any] = spec.get("jobTemplate", {}).get("spec", spec)["template"]
    return template


def workloads(manifests: list[Manifest]) -> list[Manifest]:
    return [m for m in manifests if m["kind"] in {"Deployment", "CronJob"}]


def one(manifests: list[Manifest], kind: str) -> Manifest:
    [found] = [m for m in manifests if m["kind"] == kind]
    return found


def quantity(text: str | int | float) -> float:
    """A Kubernetes quantity as a number: `250m` CPU is 0.25, `512Mi` is 512 * 2**20 bytes."""
    units = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    number, unit = re.fullmatch(r"([\d.]+)([A-Za-z]*)", str(text)).groups()  # type: ignore[union-attr]
    return float(number) * units.get(unit, 1.0)


def environment(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("env", [])}


def probe_problems(manifests: list[Manifest]) -> list[str]:
    """Probes ask routes the app has, on a port the container names or opens."""
    problems = []
    for container in pod(one(manifests, "Deployment"))["spec"]["containers"]:
        ports = {p["name"] for p in container["ports"]} | {p["containerPort"] for p in container["ports"]}
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            probe = container.get(kind, {}).get("httpGet")
            if probe is None:
                problems.append(f"{container['name']}: no {kind}")
            elif probe["path"] not in ROUTES:
                problems.append(f"{container['name']}: {kind} asks {probe['path']}, not a route of the app")
            elif probe["port"] not in ports:
                problems.append(f"{container['name']}: {kind} asks port {probe['port']}, not the container's")
    return problems


def port_problems(manifests: list[Manifest]) -> list[str]:
    """The app listens where the container, the image and the Service say."""
    problems = []
    [container] = pod(one(manifests, "Deployment"))["spec"]["containers"]
    listens = int(environment(container).get(f"{ENV_PREFIX}PORT", Settings().port))
    opened = {p["containerPort"] for p in container["ports"]}
    if opened != {listens} or listens != EXPOSED:
        problems.append(f"the app listens on {listens}, the container opens {opened}, the image exposes {EXPOSED}")
    names = {p["name"]: p["containerPort"] for p in container["ports"]}
    for port in one(manifests, "Service")["spec"]["ports"]:
        if names.get(port["targetPort"], port["targetPort"]) != listens:
            problems.append(f"the Service sends to {port['targetPort']}, the app listens on {listens}")
    return problems


def user_problems(manifests: list[Manifest]) -> list[str]:
    """Every pod runs as the Dockerfile's user, never root, with no capability and a read-only root."""
    problems = []
    for manifest in workloads(manifests):
        spec = pod(manifest)["spec"]
        context = spec.get("securityContext", {})
        if context.get("runAsUser") != UID or context.get("runAsNonRoot") is not True:
            name, user = manifest["metadata"]["name"], context.get("runAsUser")
            problems.append(f"{name}: runs as {user}, the image's user is {UID}")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{manifest['metadata']['name']}: mounts a service account token")
        for container in spec["containers"]:
            own = container.get("securityContext", {})
            if own.get("capabilities", {}).get("drop") != ["ALL"] or own.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{container['name']}: keeps capabilities or a writable root file system")
    return problems


def selector_problems(manifests: list[Manifest]) -> list[str]:
    """Each selector finds the API's pods, and the autoscaler scales the API."""
    deployment = one(manifests, "Deployment")
    labels = pod(deployment)["metadata"]["labels"]
    selectors = {
        "Deployment": deployment["spec"]["selector"]["matchLabels"],
        "Service": one(manifests, "Service")["spec"]["selector"],
        "PodDisruptionBudget": one(manifests, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        "NetworkPolicy": one(manifests, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"],
    }
    for spread in pod(deployment)["spec"].get("topologySpreadConstraints", []):
        selectors["topologySpreadConstraints"] = spread["labelSelector"]["matchLabels"]
    problems = [
        f"the {kind} selects {wanted}, the pods are {labels}"
        for kind, wanted in selectors.items()
        if not wanted.items() <= labels.items()
    ]
    target = one(manifests, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    if (target["kind"], target["name"]) != ("Deployment", deployment["metadata"]["name"]):
        problems.append(f"the autoscaler scales {target['kind']} {target['name']}")
    return problems


def budget_problems(manifests: list[Manifest]) -> list[str]:
    """At the autoscaler's minimum, a drain may take a pod and leaves at least one serving."""
    minimum = one(manifests, "HorizontalPodAutoscaler")["spec"]["minReplicas"]
    budget = one(manifests, "PodDisruptionBudget")["spec"]
    available = budget["minAvailable"] if "minAvailable" in budget else minimum - budget["maxUnavailable"]
    if not 1 <= available < minimum:
        return [f"with {minimum} pods at least, the budget keeps {available}: a drain must leave 1 to {minimum - 1}"]
    return []


def resource_problems(manifests: list[Manifest]) -> list[str]:
    """Every container asks for CPU and memory and asks no more than its limits."""
    problems = []
    for manifest in workloads(manifests):
        for container in pod(manifest)["spec"]["containers"]:
            resources = container.get("resources", {})
            for name in ("cpu", "memory"):
                asked, limit = resources.get("requests", {}).get(name), resources.get("limits", {}).get(name)
                if asked is None or limit is None or quantity(asked) > quantity(limit):
                    problems.append(f"{container['name']}: {name} request {asked}, limit {limit}")
    return problems


def written_paths(container: dict[str, Any]) -> set[Path]:
    """What the container's command writes: /tmp; `serve` and `predict` the prediction log,
    `monitor` the reports, `predict` its output's folder."""
    env, settings, args = environment(container), Settings(), container.get("args", [])
    command = args[1] if len(args) > 1 else "serve"  # the image's own command is `<slug> serve`
    paths = {Path("/tmp")}
    if command in {"serve", "predict"}:
        paths.add(WORKDIR / env.get(f"{ENV_PREFIX}PREDICTION_LOG_DIR", str(settings.prediction_log_dir)))
    if command == "monitor":
        paths.add(WORKDIR / env.get(f"{ENV_PREFIX}REPORTS_DIR", str(settings.reports_dir)))
    if "--output" in args:
        paths.add((WORKDIR / args[args.index("--output") + 1]).parent)
    return paths


def volume_problems(manifests: list[Manifest]) -> list[str]:
    """On a read-only root, every path a container writes lies in a writable volume."""
    problems = []
    for manifest in workloads(manifests):
        for container in pod(manifest)["spec"]["containers"]:
            mounts = [Path(m["mountPath"]) for m in container.get("volumeMounts", []) if not m.get("readOnly")]
            for path in sorted(written_paths(container)):
                if not any(path == mount or mount in path.parents for mount in mounts):
                    problems.append(f"{container['name']}: writes {path}, which no writable volume holds")
    return problems


RULES: list[Callable[[list[Manifest]], list[str]]] = [
    probe_problems,
    port_problems,
    user_problems,
    selector_problems,
    budget_problems,
    resource_problems,
    volume_problems,
]


@pytest.fixture(scope="module", params=OVERLAYS)
def manifests(request: pytest.FixtureRequest) -> list[Manifest]:
    rendered: list[Manifest] = RENDER.render(ROOT / "deploy/k8s/overlays" / request.param)
    return rendered


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_manifests_keep_the_rule(manifests: list[Manifest], rule: Callable[[list[Manifest]], list[str]]) -> None:
    assert rule(manifests) == []


def api(manifests: list[Manifest]) -> dict[str, Any]:
    container: dict[str, Any] = pod(one(manifests, "Deployment"))["spec"]["containers"][0]
    return container


def _probe_typo(manifests: list[Manifest]) -> None:
    api(manifests)["readinessProbe"]["httpGet"]["path"] = "/readyz"


def _port_mismatch(manifests: list[Manifest]) -> None:
    api(manifests)["ports"][0]["containerPort"] = EXPOSED + 80


def _uid_mismatch(manifests: list[Manifest]) -> None:
    pod(one(manifests, "Deployment"))["spec"]["securityContext"]["runAsUser"] = UID + 1


def _no_tmp_volume(manifests: list[Manifest]) -> None:
    container = api(manifests)
    container["volumeMounts"] = [m for m in container["volumeMounts"] if m["mountPath"] != "/tmp"]


def _stray_selector(manifests: list[Manifest]) -> None:
    one(manifests, "Service")["spec"]["selector"]["app.kubernetes.io/component"] = "web"


def _budget_blocks_drains(manifests: list[Manifest]) -> None:
    budget = one(manifests, "PodDisruptionBudget")["spec"]
    budget.pop("maxUnavailable", None)
    budget["minAvailable"] = one(manifests, "HorizontalPodAutoscaler")["spec"]["minReplicas"]


def _request_over_limit(manifests: list[Manifest]) -> None:
    api(manifests)["resources"]["requests"]["memory"] = "64Gi"


@pytest.mark.parametrize(
    ("mutation", "rule"),
    [
        (_probe_typo, probe_problems),
        (_port_mismatch, port_problems),
        (_uid_mismatch, user_problems),
        (_no_tmp_volume, volume_problems),
        (_stray_selector, selector_problems),
        (_budget_blocks_drains, budget_problems),
        (_request_over_limit, resource_problems),
    ],
    ids=lambda value: value.__name__.strip("_"),
)
def test_a_planted_mistake_is_caught(
    manifests: list[Manifest],
    mutation: Callable[[list[Manifest]], None],
    rule: Callable[[list[Manifest]], list[str]],
) -> None:
    broken = copy.deepcopy(manifests)
    mutation(broken)
    assert rule(broken) != []
