"""{{ cookiecutter.project_name }}: the package behind the `{{ cookiecutter.project_slug }}` command and API."""

from importlib.metadata import metadata, version

__version__ = version("{{ cookiecutter.project_slug }}")
__summary__ = metadata("{{ cookiecutter.project_slug }}")["Summary"]
