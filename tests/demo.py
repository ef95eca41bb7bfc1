"""`make demo`: bake the default project, install, train, score, decide, serve, show a prediction.

Everything happens in `.demo/` at the template root (recreated each run), so the result can be
inspected afterwards: `cd .demo/demand-model && make help`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".demo"


def step(title: str, command: list[str], cwd: Path, env: dict[str, str]) -> None:
    started = time.perf_counter()
    print(f"\n==> {title}: {' '.join(command)}", flush=True)
    subprocess.run(command, cwd=cwd, env=env, check=True)
    print(f"    ({time.perf_counter() - started:.1f}s)", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(url: str, body: object) -> object:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def example_request(
    project: Path, env: dict[str, str], command: str | None = None
) -> dict[str, Any]:
    """The project's own example request body (`<slug> example-request`: rows of its data).

    `command` is the project's command, by default the name of its folder (a fresh bake's slug).
    """
    command_line = [str(project / ".venv/bin" / (command or project.name)), "example-request"]
    printed = subprocess.run(
        command_line, cwd=project, env=env, check=True, capture_output=True, text=True
    )
    body: dict[str, Any] = json.loads(printed.stdout)
    return body


def serve_and_predict(project: Path, env: dict[str, str]) -> None:
    port = free_port()
    body = example_request(project, env)
    command = [
        str(project / ".venv/bin" / project.name),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    print(f"\n==> serve: {' '.join(command[1:])}", flush=True)
    server = subprocess.Popen(command, cwd=project, env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # up to ~20 s
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit("the server exited before it became ready") from None
                time.sleep(0.2)
        else:
            raise SystemExit("the server did not become ready within 20 s")
        print(f"    POST http://127.0.0.1:{port}/predict\n    {json.dumps(body)}")
        answer = post(f"http://127.0.0.1:{port}/predict", body)
        print(f"    -> {json.dumps(answer)}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
        print("    server stopped")


def runs_python(version: str) -> bool:
    """Whether the generated Makefile finds a Python >= `version` (same candidates, same order)."""
    pyenv = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    minimum = tuple(int(part) for part in version.split("."))
    check = f"import sys; sys.exit(sys.version_info < {minimum})"
    for candidate in [f"python{version}", *map(str, pyenv[-1:]), "python3"]:
        if (
            shutil.which(candidate)
            and subprocess.run([candidate, "-c", check], capture_output=True).returncode == 0
        ):
            return True
    return False


def main() -> None:
    shutil.rmtree(SCRATCH, ignore_errors=True)
    started = time.perf_counter()
    default = json.loads((ROOT / "cookiecutter.json").read_text())["python_version"][0]
    context = {}
    if not runs_python(default):
        context["python_version"] = f"{sys.version_info.major}.{sys.version_info.minor}"
        print(
            f"==> no Python {default} here: baking for Python {context['python_version']} instead"
        )
    project = Path(
        cookiecutter(str(ROOT), no_input=True, output_dir=str(SCRATCH), extra_context=context)
    )
    print(f"==> baked {project.relative_to(ROOT)} in {time.perf_counter() - started:.1f}s")
    # As on a fresh machine: `make install` bootstraps the project's own pinned uv.
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    step("install", ["make", "install"], project, env)
    step("train", ["make", "train"], project, env)
    step("batch score", ["make", "predict"], project, env)
    step("decide", ["make", "decide"], project, env)
    serve_and_predict(project, env)
    print(
        f"\nDone in {time.perf_counter() - started:.0f}s."
        f" Explore it: cd {project.relative_to(ROOT)} && make help"
    )


if __name__ == "__main__":
    main()
