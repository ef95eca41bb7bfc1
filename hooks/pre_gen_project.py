# {% raw %}  <- everything up to the matching endraw is plain Python, never rendered.
"""Validate the cookiecutter answers before any project file is written.

Cookiecutter renders this file with Jinja and runs it in the (already created)
project directory. On a non-zero exit cookiecutter deletes that directory again,
so a bad answer leaves nothing behind.

The validation logic lives in plain typed functions so the tests can import this
file directly (``importlib``) and exercise them. The answers are injected only in
the ``__main__`` block at the bottom: that is the only place Jinja syntax may appear.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Callable, Mapping

# Top-level import names the generated project depends on (runtime and dev tools).
# A package with one of these names would shadow the dependency on ``sys.path``.
RESERVED_IMPORT_NAMES: frozenset[str] = frozenset(
    {
        "click",
        "fastapi",
        "httpx",
        "hypothesis",
        "mypy",
        "numpy",
        "onnx",
        "onnxruntime",
        "pandas",
        "prometheus_client",
        "pyarrow",
        "pydantic",
        "pydantic_settings",
        "pytest",
        "pythonjsonlogger",
        "rich",
        "ruff",
        "schemathesis",
        "scipy",
        "skl2onnx",
        "sklearn",
        "skops",
        "starlette",
        "typer",
        "uvicorn",
        "test",
        "tests",
    }
)

SLUG_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MODULE_RE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Deliberately conservative: the address ends up in pyproject.toml and README files.
EMAIL_RE = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"  # local part: dot-separated atoms
    r"@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"  # domain labels
    r"[A-Za-z]{2,63}"  # top-level domain
)
# PEP 440 public version identifier in canonical form:
#   [N!]N(.N)*[{a|b|rc}N][.postN][.devN]
_NUM = r"(?:0|[1-9][0-9]*)"
VERSION_RE = re.compile(
    rf"(?:{_NUM}!)?"  # epoch
    rf"{_NUM}(?:\.{_NUM})*"  # release segment
    rf"(?:(?:a|b|rc){_NUM})?"  # pre-release
    rf"(?:\.post{_NUM})?"  # post-release
    rf"(?:\.dev{_NUM})?"  # development release
)
# Characters that would break the TOML/YAML/Python strings these answers are put in.
FORBIDDEN_TEXT_CHARS_RE = re.compile(r'["\\\x00-\x1f\x7f]')

SLUG_ALLOWED = (
    "use lowercase letters, digits and single hyphens, starting with a letter "
    "and not ending with a hyphen (e.g. 'demand-model')"
)
MODULE_ALLOWED = (
    "use a lowercase snake_case Python identifier (letters, digits, single "
    "underscores, starting with a letter) that is not a keyword and does not "
    "shadow the standard library or a dependency (e.g. 'demand_model')"
)
EMAIL_ALLOWED = "use an address of the form name@domain.tld without spaces (e.g. 'you@example.com')"
VERSION_ALLOWED = (
    "use a PEP 440 public version in canonical form such as '0.1.0', '1.0.0rc1', "
    "'2.1.post1' or '0.2.0.dev3'"
)
TEXT_ALLOWED = "use a single line without double quotes, backslashes or control characters"


def _invalid(field: str, value: str, reason: str, allowed: str) -> str:
    detail = f" ({reason})" if reason else ""
    return f"{field} {value!r} is invalid{detail}: {allowed}."


def validate_slug(value: str) -> str | None:
    """Return an error message for a bad ``project_slug``, or None when it is fine."""
    if SLUG_RE.fullmatch(value):
        return None
    if not value:
        reason = "it is empty"
    elif value != value.lower():
        reason = "it contains uppercase letters"
    elif not value[0].isalpha():
        reason = "it does not start with a letter"
    elif value.endswith("-"):
        reason = "it ends with a hyphen"
    elif "--" in value:
        reason = "it contains consecutive hyphens"
    else:
        reason = "it contains characters other than a-z, 0-9 and '-'"
    return _invalid("project_slug", value, reason, SLUG_ALLOWED)


def validate_module_name(value: str) -> str | None:
    """Return an error message for a bad ``module_name``, or None when it is fine."""
    if not value.isidentifier():
        reason = "it is not a valid Python identifier"
    elif keyword.iskeyword(value):
        reason = "it is a Python keyword"
    elif not MODULE_RE.fullmatch(value):
        reason = "it is not lowercase snake_case starting with a letter"
    elif value in sys.stdlib_module_names:
        reason = "it shadows the standard library module of the same name"
    elif value in RESERVED_IMPORT_NAMES:
        reason = "it shadows a package the project imports or runs"
    else:
        return None
    return _invalid("module_name", value, reason, MODULE_ALLOWED)


def validate_email(value: str) -> str | None:
    """Return an error message for a bad ``author_email``, or None when it is fine."""
    if EMAIL_RE.fullmatch(value):
        return None
    return _invalid("author_email", value, "", EMAIL_ALLOWED)


def validate_version(value: str) -> str | None:
    """Return an error message for a bad ``version``, or None when it is fine."""
    if VERSION_RE.fullmatch(value):
        return None
    return _invalid("version", value, "", VERSION_ALLOWED)


def validate_text(field: str, value: str) -> str | None:
    """Return an error message when a free-text answer cannot be embedded safely."""
    if not value.strip():
        return _invalid(field, value, "it is empty", TEXT_ALLOWED)
    if FORBIDDEN_TEXT_CHARS_RE.search(value):
        return _invalid(field, value, "", TEXT_ALLOWED)
    return None


FIELD_VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "project_slug": validate_slug,
    "module_name": validate_module_name,
    "author_email": validate_email,
    "version": validate_version,
}
TEXT_FIELDS: tuple[str, ...] = ("project_name", "author_name", "description")


def validate(context: Mapping[str, object]) -> list[str]:
    """Validate all answers; return one message per problem (empty when all is well).

    Fields missing from ``context`` are skipped, so partial contexts can be checked.
    """
    errors: list[str] = []
    for field, validator in FIELD_VALIDATORS.items():
        if field in context:
            error = validator(str(context[field]))
            if error:
                errors.append(error)
    for field in TEXT_FIELDS:
        if field in context:
            error = validate_text(field, str(context[field]))
            if error:
                errors.append(error)
    return errors


def main(context: Mapping[str, object]) -> int:
    """Print every problem to stderr as one ``ERROR:`` line; return the exit status."""
    errors = validate(context)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    if errors:
        print(f"Aborting: {len(errors)} invalid answer(s); nothing was generated.", file=sys.stderr)
        return 1
    return 0


# {% endraw %}
if __name__ == "__main__":
    # Rendered by cookiecutter; ``tojson`` makes any answer a safe string literal.
    sys.exit(main(json.loads(r"""{{ cookiecutter | tojson }}""")))
