"""Run the command line with `python -m {{ cookiecutter.module_name }}`."""

from .cli import app

app(prog_name="{{ cookiecutter.project_slug }}")
