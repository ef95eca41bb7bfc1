"""Apply the template's changes since this project was generated (`make template-update`).

    python scripts/template_update.py [--answers '{"ci_provider": "gitlab"}']

cruft (https://cruft.github.io/cruft/) renders the template at the commit recorded in
.cruft.json and at its newest commit, with this project's answers, and applies the difference
to the project with a three-way merge. Two of its habits are guarded against here: it exits 0
even when a change could not be merged (it leaves conflict markers or `.rej` files), and it
records the new commit in .cruft.json anyway. So the update

- refuses to start on a working tree with uncommitted or untracked files (git status), so that
  `git diff` shows exactly what it changed and `git reset --hard && git clean -fd` undoes it;
- after cruft, looks for conflict markers and `.rej` files in what changed: if there are any,
  it restores .cruft.json, names the files and exits 1.

`make template-update` then runs `make lock-check test` on the updated project.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CRUFT_FILE = Path(".cruft.json")
#: A line that opens or closes a conflict in a file git merged.
CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")
EXAMPLE = '{"ci_provider": "gitlab"}'


class UpdateError(Exception):
    """Why the update did not happen, or did not complete: printed as one `error:` line."""


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def changed_files() -> list[Path]:
    """Tracked files that differ from HEAD, and untracked ones (not ignored)."""
    tracked = git("diff", "--name-only", "HEAD").splitlines()
    untracked = git("ls-files", "--others", "--exclude-standard").splitlines()
    return [Path(name) for name in sorted({*tracked, *untracked})]


def conflicts(paths: list[Path]) -> list[Path]:
    """Files cruft could not merge: `.rej` files, and files holding conflict markers."""
    found = []
    for path in paths:
        if path.suffix == ".rej":
            found.append(path)
        elif path.is_file():
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            if any(line.startswith(CONFLICT_MARKERS) for line in lines):
                found.append(path)
    return found


def check_ready() -> None:
    """The project records its template, and git can show and undo what the update changes."""
    if not CRUFT_FILE.is_file():
        raise UpdateError(
            f"no {CRUFT_FILE}: the project does not record its template (`cruft link <template>` adds it)"
        )
    try:
        dirty = git("status", "--porcelain")
    except (OSError, subprocess.CalledProcessError) as error:
        raise UpdateError("not a git work tree: the update must be reviewable and undoable") from error
    if dirty:
        raise UpdateError(
            "the working tree has uncommitted or untracked files: commit or stash them first, so that the update "
            "can be reviewed (git diff) and undone (git reset --hard && git clean -fd)"
        )


def cruft_command(answers_json: str | None) -> list[str]:
    command = [str(Path(sys.executable).parent / "cruft"), "update", "--skip-apply-ask"]
    if answers_json:
        try:
            answers = json.loads(answers_json)
        except json.JSONDecodeError as error:
            message = f"ANSWERS={answers_json!r} is not JSON ({error.msg}): e.g. ANSWERS='{EXAMPLE}'"
            raise UpdateError(message) from error
        command += ["--variables-to-update", json.dumps(answers)]
    return command


def update(answers_json: str | None) -> int:
    """Run cruft; on a failure or a conflict, put .cruft.json back and say which files."""
    command = cruft_command(answers_json)
    check_ready()
    if subprocess.run(command, check=False).returncode != 0:
        git("checkout", "HEAD", "--", str(CRUFT_FILE))
        raise UpdateError("cruft could not update the project (above); .cruft.json still records the previous commit")
    changed = changed_files()
    unmerged = conflicts(changed)
    if unmerged:
        git("checkout", "HEAD", "--", str(CRUFT_FILE))
        raise UpdateError(
            f"the template's changes conflict with yours in {', '.join(map(str, unmerged))}: resolve them (or undo "
            "the update: git reset --hard && git clean -fd); .cruft.json still records the previous template commit"
        )
    return len(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--answers", help=f"answers to change, as JSON, e.g. '{EXAMPLE}'")
    args = parser.parse_args(argv)
    try:
        changed = update(args.answers)
    except UpdateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"template-update: {changed} files changed; review them with `git diff`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
