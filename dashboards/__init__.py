"""Grafana dashboards defined in code, and the quarterly briefing drawn from the same panels.

Each dashboard is a folder with ``panels.py`` (one small function per panel) and ``main.py``
(one builder chain that reads like a table of contents). ``DASHBOARDS`` lists them in the
order the Grafana folder shows them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dashboards.common import Dashboard

DASHBOARDS: tuple[str, ...] = (
    "national_overview",
    "rapid_review_timeliness",
    "lcspr_pipeline",
    "who_is_harmed",
    "local_area",
    "data_quality",
    "learning",
)


def builders() -> dict[str, Callable[[], Dashboard]]:
    """Each dashboard's ``main.dashboard`` function, by folder name."""
    return {name: importlib.import_module(f"dashboards.{name}.main").dashboard for name in DASHBOARDS}
