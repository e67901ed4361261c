"""The one Jinja2 environment every HTML page of the project renders with: the quarterly briefing
and the live page (``dashboards/templates/``).

Autoescaping is on for every template, so a value from the marts or a partner's event can never
become markup; the hand-written SVG charts (``briefing/charts.py``, which escape their own text)
are the only markup passed in, wrapped in ``Markup`` where they are made. ``StrictUndefined``
makes a misspelt or missing variable an error when the page is rendered, not an empty gap in it.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from dashboards.briefing.charts import label, number

TEMPLATES = Path(__file__).parent / "templates"


def cell(v: Any, unit: str = "short") -> str:
    """A table cell or stat value as a reader sees it: dates as YYYY-MM-DD, numbers with their
    unit and thousands separators, categories with spaces for underscores."""
    if isinstance(v, datetime | date):
        return v.isoformat()[:10]
    if isinstance(v, int | float) and not isinstance(v, bool):
        return number(v, unit)
    return label(v)


def is_numeric(v: Any) -> bool:
    """Right-aligned in a table: a number, a suppressed count ('c') or a count held as text."""
    return isinstance(v, int | float) or v == "c" or (isinstance(v, str) and v.isdigit())


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its suffix (.html.j2 is not one Jinja guesses)
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(cell=cell, label=label, slug=slug)
    env.globals["zip"] = zip
    env.tests["numeric"] = is_numeric
    return env


def render(template: str, **context: Any) -> Markup:
    """The template rendered: safe markup (every value in it was escaped), which another template
    may include as it is (the live page's panels)."""
    return Markup(environment().get_template(template).render(**context))


__all__ = ["Markup", "cell", "environment", "render", "slug"]
