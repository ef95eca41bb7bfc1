"""Check the cookiecutter answers before anything is written, one clear line per problem.

Cookiecutter loads this module as a Jinja extension (`_extensions` in cookiecutter.json). The
project directory's name passes the slug through the `checked_project_dir` filter, which
cookiecutter renders before it creates that directory: so an empty slug, `..`, `a/b` or a name
too long for the file system is refused with nothing left behind, which a pre-generation hook
(run inside the new directory) cannot do. The failure is a `FailedHookException`, which
cookiecutter's command line prints as its message alone, without a traceback.

The checks are plain typed functions, tested directly (tests/test_hooks.py). The reserved names
come from `reserved_names.json`, regenerated from the generated project's lock by `make lock`.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.ext import Extension

_RESERVED = json.loads((Path(__file__).parent / "reserved_names.json").read_text(encoding="utf-8"))
#: A package with one of these names would shadow a dependency or the standard library.
RESERVED_IMPORT_NAMES: frozenset[str] = (
    frozenset(_RESERVED["import_names"])
    | frozenset(_RESERVED["stdlib"])
    | frozenset(
        name.replace("-", "_") for name in _RESERVED["distributions"]
    )  # Windows-only pins too
)
#: A command or distribution with one of these names would clash with one the project installs.
RESERVED_COMMANDS: frozenset[str] = frozenset(_RESERVED["distributions"]) | frozenset(
    _RESERVED["scripts"]
)
#: Names Windows reserves for devices, whatever the extension (the pins promise Windows).
WINDOWS_DEVICES: frozenset[str] = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{d}{i}" for d in ("com", "lpt") for i in range(10)}
)
#: Prefixes of environment variables that shells, CI runners and clouds set. The project refuses
#: unknown `<MODULE_NAME>_*` variables, so a module named like one of these would break in them.
ENVIRONMENT_PREFIXES: frozenset[str] = frozenset(
    {"lc", "ld", "xdg", "ssh", "ci", "github", "gitlab", "runner", "aws", "azure", "gcp", "docker"}
    | {"kubernetes", "java", "node", "npm", "git", "gpg", "dbus", "term", "lang", "http", "https"}
    | {"no", "ftp", "sudo", "conda", "virtual", "pyenv", "home", "user", "shell", "tmp", "display"}
)
MAX_NAME = 64
#: Longest text answers; the name is shorter, as the default description embeds it.
MAX_TEXT = {"project_name": 100, "author_name": 100, "description": 200}

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
TEXT_ALLOWED = (
    "use a single line (a name of at most 100 characters, a description of 200) without double "
    "quotes, backslashes, template syntax ({{, {%, {#) or control characters"
)
JINJA_RE = re.compile(r"\{[{%#]|[}%#]\}")


def _invalid(field: str, value: str, reason: str, allowed: str) -> str:
    detail = f" ({reason})" if reason else ""
    return f"{field} {value!r} is invalid{detail}: {allowed}."


def validate_slug(value: str) -> str | None:
    """Return an error message for a bad ``project_slug``, or None when it is fine."""
    if len(value) > MAX_NAME:
        return _invalid(
            "project_slug", value, f"it is longer than {MAX_NAME} characters", SLUG_ALLOWED
        )
    if SLUG_RE.fullmatch(value):
        if value in WINDOWS_DEVICES:
            return _invalid("project_slug", value, "Windows reserves it for a device", SLUG_ALLOWED)
        if value in RESERVED_COMMANDS:
            return _invalid(
                "project_slug", value, "a dependency or command of the project has it", SLUG_ALLOWED
            )
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
    if len(value) > MAX_NAME:
        reason = f"it is longer than {MAX_NAME} characters"
    elif not value.isidentifier():
        reason = "it is not a valid Python identifier"
    elif keyword.iskeyword(value):
        reason = "it is a Python keyword"
    elif not MODULE_RE.fullmatch(value):
        reason = "it is not lowercase snake_case starting with a letter"
    elif value in WINDOWS_DEVICES:
        reason = "Windows reserves it for a device"
    elif value in ENVIRONMENT_PREFIXES:
        reason = f"its settings prefix {value.upper()}_ is taken by common environment variables"
    elif value in sys.stdlib_module_names or value in _RESERVED["stdlib"]:
        reason = "it shadows a standard library module of a supported Python"
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
    limit = MAX_TEXT.get(field, 200)
    if len(value) > limit:
        return _invalid(
            field, value[:40] + "...", f"it is longer than {limit} characters", TEXT_ALLOWED
        )
    invisible = [
        c for c in value if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}
    ]
    if invisible:
        shown = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(invisible))
        return _invalid(
            field, value, f"it holds control or invisible characters: {shown}", TEXT_ALLOWED
        )
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


def template_syntax(raw: Mapping[str, object], defaults: Mapping[str, object]) -> list[str]:
    """Answers that held template syntax before cookiecutter rendered them ('{{ 7*7 }}': 49)."""
    return [
        _invalid(
            field,
            str(value),
            "it holds template syntax, which cookiecutter would evaluate",
            TEXT_ALLOWED,
        )
        for field, value in raw.items()
        if isinstance(value, str) and value != defaults.get(field) and JINJA_RE.search(value)
    ]


def checked_project_dir(
    slug: str, answers: Mapping[str, Any], raw: Mapping[str, Any] | None = None
) -> str:
    """The project directory's name (the slug) once every answer is valid; else
    FailedHookException, one line per problem.

    A Jinja filter, `{{ cookiecutter.project_slug | checked_project_dir(cookiecutter, ...) }}`:
    the directory's name must hold `cookiecutter.` for cruft to recognize the template, and
    `_cookiecutter` (the answers as typed) is undefined when cruft renders it (`default({})`).
    """
    defaults = json.loads((Path(__file__).parent / "cookiecutter.json").read_text(encoding="utf-8"))
    errors = template_syntax(raw or {}, defaults) + validate(answers)
    if errors:
        lines = [f"ERROR: {error}" for error in errors]
        lines.append(f"Aborting: {len(errors)} invalid answer(s); nothing was generated.")
        raise FailedHookException("\n".join(lines))
    return slug


class AnswersCheck(Extension):
    """Makes `checked_project_dir` a filter for the template's directory name."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["checked_project_dir"] = checked_project_dir
