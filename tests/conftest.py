"""Shared fixtures and helpers for the prodml template tests.

Fixtures
    ``bake``          session-scoped ``Bake`` callable: ``bake(**extra_context) -> Path``
                      renders the template once per distinct option set and returns the
                      generated project directory. The result is shared: do not modify it
                      (copy it with ``shutil.copytree`` first if a test must write into it).
    ``pre_hook`` / ``post_hook``  the hook scripts imported as modules.

Plain helpers (import them with ``from conftest import ...``)
    ``bake_into(output_dir, **extra_context) -> Path``  uncached bake; raises on failure
    ``find_python(version) -> str | None``             a working interpreter for "3.12" etc.
    ``make_venv(python, project) -> Path``             virtualenv synced from the project's uv.lock
    ``venv_bin(venv, name) -> Path``                   an executable inside a virtualenv
    ``tool(name) -> str``                              a tool from the test environment
    ``run(cmd, cwd=..., env=...)``                     subprocess that fails loudly
    ``project_files(project) -> set[str]``             relative POSIX paths of all files
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import pytest
from cookiecutter.main import cookiecutter
from demo import free_port

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
HOOKS_DIR = TEMPLATE_DIR / "hooks"
TEMPLATE_PROJECT_DIR = TEMPLATE_DIR / (
    "{{ cookiecutter.project_slug"
    " | checked_project_dir(cookiecutter, _cookiecutter | default({})) }}"
)

COOKIECUTTER_JSON: dict[str, Any] = json.loads(
    (TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8")
)
#: Choice variables and their allowed values, e.g. {"python_version": ["3.12", ...]}.
CHOICES: dict[str, list[str]] = {
    key: value
    for key, value in COOKIECUTTER_JSON.items()
    if isinstance(value, list) and not key.startswith("_")
}
#: The value cookiecutter picks for each choice variable without input (the first one).
DEFAULT_CHOICES: dict[str, str] = {key: values[0] for key, values in CHOICES.items()}


#: Module-scoped fixtures whose every parameter is a project installed on its own.
VARIANT_FIXTURES = ("installed", "yours")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group the tests for `--dist loadgroup` (make test): a module's tests run on one worker,
    so its bakes and installs are shared, except that each variant of an installed project
    (a parameter of a fixture in `VARIANT_FIXTURES`) is a group of its own: the variants'
    installs are independent and run on different workers."""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        params = item.callspec.params if hasattr(item, "callspec") else {}
        variant = next((params[name] for name in VARIANT_FIXTURES if name in params), None)
        module = item.nodeid.split("::", 1)[0]
        name = module if variant is None else f"{module}[{variant}]"
        item.add_marker(pytest.mark.xdist_group(name=name))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """With PRODML_REQUIRE_IMAGE=1 (as in .ci/run), an image test that skips fails instead:
    CI must prove the image builds and serves, not quietly skip it."""
    report = yield
    if (
        report.skipped
        and item.get_closest_marker("image")
        and os.environ.get("PRODML_REQUIRE_IMAGE") == "1"
    ):
        report.outcome = "failed"
        report.longrepr = f"image test skipped but PRODML_REQUIRE_IMAGE=1: {report.longrepr}"
    return report


def pytest_configure(config: pytest.Config) -> None:
    # Also listed in pyproject.toml; registered here so the suite works without it.
    config.addinivalue_line("markers", "slow: end-to-end tests (install and run a baked project)")
    config.addinivalue_line("markers", "image: tests that build a container image")
    config.addinivalue_line("markers", "spark: tests that run a Spark job (Java needed)")
    config.addinivalue_line("markers", "k8s: tests of the Kubernetes manifests (network needed)")
    config.addinivalue_line("markers", "postgres: tests that start a PostgreSQL server")


@pytest.fixture(scope="session", autouse=True)
def _isolated_cookiecutter_config(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Path]:
    """Keep cookiecutter away from ~/.cookiecutterrc, ~/.cookiecutters and the replay dir."""
    home = tmp_path_factory.mktemp("cookiecutter-home")
    config = home / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(home / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(home / 'replay'))}\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COOKIECUTTER_CONFIG", str(config))
        # cookiecutter renders each hook to a temporary file that it never deletes (about a
        # thousand per run): keep them in pytest's temporary tree, which pytest prunes.
        mp.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("cookiecutter-tmp")))
        yield config


# --------------------------------------------------------------------------- baking


def bake_into(output_dir: Path, **extra_context: str) -> Path:
    """Render the template into ``output_dir`` without prompting; return the project dir.

    Raises cookiecutter's exceptions (e.g. ``FailedHookException``) on failure.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    project = cookiecutter(
        str(TEMPLATE_DIR),
        no_input=True,
        extra_context=dict(extra_context),
        output_dir=str(output_dir),
    )
    return Path(project)


class Bake(Protocol):
    def __call__(self, **extra_context: str) -> Path: ...


def _cache_key(extra_context: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    # Explicitly passing a default choice gives the same project as omitting it.
    return tuple(sorted({**DEFAULT_CHOICES, **extra_context}.items()))


@pytest.fixture(scope="session")
def bake(tmp_path_factory: pytest.TempPathFactory) -> Bake:
    """Session-cached baking: one render per distinct option set. Treat results as read-only."""
    cache: dict[tuple[tuple[str, str], ...], Path] = {}

    def _bake(**extra_context: str) -> Path:
        key = _cache_key(extra_context)
        if key not in cache:
            cache[key] = bake_into(tmp_path_factory.mktemp("bake"), **extra_context)
        return cache[key]

    return _bake


def project_files(project: Path) -> set[str]:
    """Relative POSIX paths of every file (and symlink) below ``project``."""
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() or path.is_symlink()
    }


# --------------------------------------------------------------------------- hooks


def load_module(path: Path, name: str) -> ModuleType:
    """Import the (unrendered) Python file at ``path`` as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None, path
    assert spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load_hook(name: str) -> ModuleType:
    """Import ``hooks/<name>.py`` (unrendered) as a module."""
    return load_module(HOOKS_DIR / f"{name}.py", f"prodml_hook_{name}")


@pytest.fixture(scope="session")
def pre_hook() -> ModuleType:
    """The answer checks (`prodml_checks.py`, loaded by cookiecutter as a Jinja extension)."""
    return load_module(TEMPLATE_DIR / "prodml_checks.py", "prodml_checks")


@pytest.fixture(scope="session")
def post_hook() -> ModuleType:
    return load_hook("post_gen_project")


# --------------------------------------------------------------------------- processes


def tool(name: str) -> str:
    """A console script installed next to the running interpreter, else one on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name!r} is neither next to {sys.executable} nor on PATH")
    return found


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; on a non-zero exit fail with the command, its stdout and its stderr."""
    result = subprocess.run(
        [os.fspath(part) for part in cmd],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        shown = " ".join(os.fspath(part) for part in cmd)
        raise AssertionError(
            f"command failed with exit status {result.returncode}: {shown}\n"
            f"cwd: {cwd}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )
    return result


def decision_command(project: Path) -> str:
    """The baked task's decision command (`optimize`, `decide`), as its task.mk names it."""
    found = re.search(r"^DECISION := (\S+)$", (project / "task.mk").read_text(), re.M)
    assert found, f"{project / 'task.mk'} names no DECISION"
    return found[1]


def headline(stdout: str) -> tuple[str, float, float]:
    """The selection metric of `train` or `evaluate` output: its name, the model's value and
    the baseline's ("test wape 0.234 vs baseline 0.508")."""
    found = re.search(r"(\w+) ([\d.]+) vs baseline ([\d.]+)", stdout)
    assert found, stdout
    return found[1], float(found[2]), float(found[3])


def run_lane(project: Path, target: str, at_least: int) -> None:
    """`make <target>` in a baked project: its tests ran, at least `at_least` of them, and every
    one passed (none failed, skipped or erred); the summary and the time are printed."""
    started = time.monotonic()
    result = run(["make", target], cwd=project, env=make_env(), timeout=600)
    elapsed = time.monotonic() - started
    summary = [line for line in result.stdout.splitlines() if re.search(r" in [\d.]+s", line)][-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed, summary
    assert int(passed[1]) >= at_least, summary
    assert not re.search(r"failed|skipped|error", summary), summary
    print(f"make {target}: {summary} ({elapsed:.0f}s)")


def make_env() -> dict[str, str]:
    """The user's environment, without the template's virtualenv: `make install` bootstraps its
    own uv (requirements-uv.txt), as on a fresh machine."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    venv_bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != venv_bin_dir)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def call(url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One JSON request to a server under test: (status, decoded body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


@contextlib.contextmanager
def serving(project: Path, command: str) -> Iterator[str]:
    """`<command> serve` of an installed project on a free loopback port, stopped after use."""
    port = free_port()
    process = subprocess.Popen(
        [project / ".venv/bin" / command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=project,
        env=make_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # up to ~20 s
            if process.poll() is not None:
                pytest.fail(
                    f"server exited early:\n{process.stdout.read() if process.stdout else ''}"
                )
            try:
                if call(f"{base}/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not become healthy within 20 s")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --------------------------------------------------------------------------- interpreters

_VERSION_DIR_RE = re.compile(r"(\d+)\.(\d+)\.(\d+)$")


def _pyenv_roots() -> list[Path]:
    roots = [Path.home() / ".pyenv", Path("/root/.pyenv")]
    if os.environ.get("PYENV_ROOT"):
        roots.insert(0, Path(os.environ["PYENV_ROOT"]))
    unique: list[Path] = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def _interpreter_info(executable: str) -> tuple[str, str] | None:
    """(``"3.12"``, real executable path) for a working interpreter, else None.

    Running the candidate weeds out pyenv shims for inactive versions, and asking for
    ``sys.executable`` resolves shims that do work to the interpreter behind them.
    """
    code = "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"
    try:
        result = subprocess.run(
            [executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.split("\n")
    if result.returncode != 0 or len(lines) < 2 or not lines[1]:
        return None
    return lines[0].strip(), lines[1].strip()


def _patch_level(path: Path) -> tuple[int, ...]:
    match = _VERSION_DIR_RE.fullmatch(path.parent.parent.name)
    return tuple(int(part) for part in match.groups()) if match else (-1,)


@functools.cache
def find_python(version: str) -> str | None:
    """A working interpreter for ``version`` ("3.11", "3.12", "3.13"), or None.

    Looks for ``python<version>`` on PATH, then in pyenv installations
    (``$PYENV_ROOT``, ``~/.pyenv``, ``/root/.pyenv``; newest patch release first),
    then the running interpreter. Every candidate is executed and must report the
    requested version (pyenv puts shims on PATH for versions that are not active);
    the real interpreter path behind a working shim is returned.
    """
    candidates: list[str] = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for root in _pyenv_roots():
        found = (root / "versions").glob(f"{version}.*/bin/python{version}")
        candidates.extend(str(path) for path in sorted(found, key=_patch_level, reverse=True))
    candidates.append(sys.executable)
    for candidate in candidates:
        info = _interpreter_info(candidate)
        if info is not None and info[0] == version:
            return info[1]
    return None


# --------------------------------------------------------------------------- virtualenvs

_VENVS: dict[tuple[str, Path], Path] = {}


def venv_bin(venv: Path, name: str) -> Path:
    """Path of executable ``name`` inside ``venv`` (POSIX layout)."""
    return venv / "bin" / name


def make_venv(python: str, project: Path, *, venv_dir: Path | None = None) -> Path:
    """Sync a virtualenv for ``project`` from its uv.lock (``uv sync --locked``, the dev and train
    groups, the project editable), with the template's uv rather than a bootstrapped one.

    The venv goes to ``venv_dir``, by default a sibling of the project named
    ``venv-<interpreter name>`` (``UV_PROJECT_ENVIRONMENT``), so the (possibly shared) project
    tree is left untouched. Cached per (python, project) for the session; use
    ``venv_bin(venv, "python")``.
    """
    project = project.resolve()
    key = (python, project)
    if key in _VENVS:
        return _VENVS[key]
    venv = venv_dir or project.parent / f"venv-{Path(python).name}"
    uv = tool("uv")
    env = {
        **os.environ,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "UV_PROJECT_ENVIRONMENT": str(venv),
    }
    env.pop("VIRTUAL_ENV", None)
    run([uv, "sync", "--locked", "--python", python], cwd=project, env=env)
    _VENVS[key] = venv
    return venv
