"""Draw panel results into one self-contained HTML page from the templates in
``dashboards/templates/`` (autoescaped Jinja2, ``dashboards.templating``): inline SVG charts and
HTML tables, inline CSS, no scripts, no network. Accessible (landmarks, headings, chart titles
and data tables), readable (system fonts, 1.5 line height, GOV.UK-like contrast) and
print-friendly. The live page (``dashboards.live``) draws its panels with the same macros."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from dashboards.briefing.charts import bar_chart, line_chart
from dashboards.panel import Panel
from dashboards.templating import render


@dataclass(frozen=True)
class Result:
    """A panel's query result: column names and rows, as the warehouse returned them."""

    panel: Panel
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def first(self, name: str) -> Any:
        return self.rows[0][self.columns.index(name)] if self.rows else None


@dataclass(frozen=True)
class Section:
    title: str
    intro: str
    results: tuple[Result, ...]


def suppress(result: Result, threshold: int) -> Result:
    """Counts from 1 to ``threshold`` become 'c' in a suppressed panel (the viewer tables the
    panels read already hold 'c', with secondary suppression; doing the primary rule again here
    means no small number can reach the page by another path)."""
    if not result.panel.suppressed:
        return result
    x = result.panel.x

    def cell(col: str, v: Any) -> Any:
        if col == x or isinstance(v, bool):
            return v
        # the viewer marts hold counts as text ('0', 'c', '12'); a raw count may be an int
        n = int(v) if isinstance(v, int) or (isinstance(v, str) and v.isdigit()) else None
        return "c" if n is not None and 1 <= n <= threshold else v

    rows = tuple(tuple(cell(c, v) for c, v in zip(result.columns, r, strict=True)) for r in result.rows)
    return Result(result.panel, result.columns, rows)


def _series(result: Result) -> list[str]:
    p = result.panel
    return list(p.series) if p.series else [c for c in result.columns if c != p.x]


@dataclass(frozen=True)
class Figure:
    """A panel result ready for the ``figure`` macro (``templates/_panel.html.j2``): its element
    id, the series it draws, and for a chart the inline SVG (``charts.py`` escapes its own text)."""

    result: Result
    chart_id: str
    series: tuple[str, ...]
    chart: Markup | None


def figure(result: Result, index: int) -> Figure:
    p = result.panel
    chart_id = f"chart-{index}-{p.key.replace('_', '-') or 'panel'}"
    series = _series(result)
    chart = None
    if result.rows and p.kind not in ("stat", "table"):
        values = [[row[result.columns.index(s)] for s in series] for row in result.rows]
        xs = result.column(p.x) if p.x else list(range(len(result.rows)))
        if p.kind == "timeseries":
            svg = line_chart(chart_id, p.title, p.description, xs, series, values, p.unit)
        else:  # barchart and piechart: bars compare parts more accurately than slices
            svg = bar_chart(chart_id, p.title, p.description, xs, series, values, p.unit, p.stacked)
        chart = Markup(svg)
    return Figure(result, chart_id, tuple(series), chart)


def figures(sections: Sequence[Section], threshold: int, start: int = 0) -> list[tuple[Section, list[Figure]]]:
    """Each section with its panels suppressed and drawn, numbered through the page."""
    out, n = [], start
    for s in sections:
        drawn = []
        for r in s.results:
            n += 1
            drawn.append(figure(suppress(r, threshold), n))
        out.append((s, drawn))
    return out


def page(*, title: str, subtitle: str, as_of: str, key_points: Sequence[str], sections: Sequence[Section],
         sources: Sequence[str], threshold: int, generated_at: str, learning: object = None) -> str:
    """The whole briefing as one HTML document (``templates/briefing/page.html.j2``)."""
    return render("briefing/page.html.j2", title=title, subtitle=subtitle, as_of=as_of, key_points=key_points,
                  sections=figures(sections, threshold), sources=sources, threshold=threshold,
                  generated_at=generated_at, learning=learning)
