"""Experiment trackers besides the reports: none in this project.

Each `train` leaves `reports/metrics.json` and the candidate; `promote` leaves
`reports/promotion.json`, the served artifact and its model card. A project made with another
`tracking` answer records runs in a tracking server as well; `make template-update
ANSWERS='{"tracking": "..."}'` adds one to this project (see `tracking.Tracker`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tracking import Tracker

TRACKERS: tuple[Tracker, ...] = ()
