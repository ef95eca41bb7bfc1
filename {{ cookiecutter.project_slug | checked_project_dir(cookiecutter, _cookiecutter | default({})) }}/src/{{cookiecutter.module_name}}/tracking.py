"""What an experiment tracker is: told of each `train` and each `promote`, it records them
somewhere besides reports/ (a tracking server, a model registry).

`trackers.TRACKERS` lists this project's trackers. The commands call them after their own work
is done and written, so a tracker never changes what `train` or `promote` decides; a tracker
that cannot record raises a ValueError naming its store, which the command shows as one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from .config import Settings
    from .data import Split


class Tracker(Protocol):
    def trained(self, settings: Settings, candidate: Path, parts: Split) -> str:
        """Record the run that wrote the artifact `candidate` from `parts`: one line saying where."""
        ...

    def promoted(self, settings: Settings, version: str) -> str:
        """Mark the model `version` as the one now serving: one line saying where."""
        ...
