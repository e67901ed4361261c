"""Draw panel results into one self-contained HTML page: inline SVG charts and HTML tables,
inline CSS, no scripts, no network. Accessible (landmarks, headings, chart titles and data
tables), readable (system fonts, 1.5 line height, GOV.UK-like contrast) and print-friendly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Any

from dashboards.briefing.charts import bar_chart, label, line_chart, number
from dashboards.panel import Panel


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


def _cell(v: Any, unit: str) -> str:
    if isinstance(v, datetime | date):
        return v.isoformat()[:10]
    if isinstance(v, int | float) and not isinstance(v, bool):
        return number(v, unit)
    return escape(label(v))


def data_table(result: Result, caption: str | None = None) -> str:
    p = result.panel
    head = "".join(f'<th scope="col">{escape(label(c))}</th>' for c in result.columns)
    body = "".join(
        "<tr>" + "".join(
            (f'<th scope="row">{_cell(v, "short")}</th>' if c == p.x else
             f'<td class="{"num" if isinstance(v, int | float) or v == "c" or (isinstance(v, str) and v.isdigit()) else "text"}">{_cell(v, p.unit)}</td>')
            for c, v in zip(result.columns, row, strict=True)
        ) + "</tr>"
        for row in result.rows
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def figure(result: Result, index: int) -> str:
    p = result.panel
    chart_id = f"chart-{index}-{p.key.replace('_', '-') or 'panel'}"
    head = f'<h3 id="{chart_id}-h">{escape(p.title)}</h3><p class="desc">{escape(p.description)}</p>'
    if not result.rows:
        return f'<figure class="panel" aria-labelledby="{chart_id}-h">{head}<p class="empty">No data for this period.</p></figure>'
    series = _series(result)
    if p.kind == "stat":
        main = series[0]
        others = [c for c in result.columns if c != main]
        extra = "".join(f"<dt>{escape(label(c))}</dt><dd>{_cell(result.first(c), 'short')}</dd>" for c in others)
        body = (f'<p class="stat"><span class="value">{_cell(result.first(main), p.unit)}</span> '
                f'<span class="what">{escape(label(main))}</span></p>' + (f"<dl>{extra}</dl>" if extra else ""))
    elif p.kind == "table":
        body = data_table(result)
    else:
        values = [[row[result.columns.index(s)] for s in series] for row in result.rows]
        xs = result.column(p.x) if p.x else list(range(len(result.rows)))
        if p.kind == "timeseries":
            chart = line_chart(chart_id, p.title, p.description, xs, series, values, p.unit)
        else:  # barchart and piechart: bars compare parts more accurately than slices
            chart = bar_chart(chart_id, p.title, p.description, xs, series, values, p.unit, p.stacked)
        body = (f'<div class="chart-wrap">{chart}</div>'
                f'<details><summary>The numbers behind this chart</summary>{data_table(result)}</details>')
    return f'<figure class="panel" aria-labelledby="{chart_id}-h">{head}{body}</figure>'


CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       font-size: 17px; line-height: 1.5; color: #0b0c0c; background: #fff; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
header { border-bottom: 6px solid #1d70b8; padding-top: 1.5rem; padding-bottom: 1rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .25rem; }
h2 { font-size: 1.5rem; margin: 2rem 0 .5rem; border-top: 2px solid #b1b4b6; padding-top: 1rem; }
h3 { font-size: 1.15rem; margin: 0 0 .25rem; }
.lede { font-size: 1.2rem; margin: .25rem 0 0; }
.meta { color: #505a5f; margin: .25rem 0 0; }
.key-points { background: #f3f2f1; border-left: 6px solid #1d70b8; padding: .75rem 1.25rem; margin-top: 1.5rem; }
.key-points li { margin: .35rem 0; }
figure.panel { margin: 1.5rem 0; padding: 0; break-inside: avoid; page-break-inside: avoid; }
.desc { color: #505a5f; margin: 0 0 .5rem; max-width: 45rem; }
.chart-wrap { overflow-x: auto; }
svg.chart { max-width: 100%; height: auto; display: block; }
.legend { list-style: none; padding: 0; margin: .25rem 0; display: flex; flex-wrap: wrap; gap: 1rem; font-size: .9rem; }
.stat .value { font-size: 2.5rem; font-weight: 700; }
.stat .what { color: #505a5f; }
dl { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; margin: 0; }
dt { color: #505a5f; } dd { margin: 0; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .95rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 700; }
th, td { border-bottom: 1px solid #b1b4b6; padding: .3rem .75rem .3rem 0; text-align: left; }
td.num { text-align: right; }
details summary { cursor: pointer; color: #1d70b8; }
.empty { font-style: italic; }
footer { border-top: 2px solid #b1b4b6; margin-top: 2rem; padding-top: 1rem; padding-bottom: 2rem;
         color: #505a5f; font-size: .9rem; }
a { color: #1d70b8; }
@media print {
  body { font-size: 11pt; }
  header { border-bottom-width: 3px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  details > summary { display: none; }
  details > table { display: table; }
  .chart-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
"""


def page(*, title: str, subtitle: str, as_of: str, key_points: Sequence[str], sections: Sequence[Section],
         sources: Sequence[str], threshold: int, generated_at: str) -> str:
    """The whole briefing as one HTML document."""
    n = 0
    body: list[str] = []
    for s in sections:
        body.append(f'<section aria-labelledby="{_slug(s.title)}"><h2 id="{_slug(s.title)}">{escape(s.title)}</h2>'
                    f"<p>{escape(s.intro)}</p>")
        for r in s.results:
            n += 1
            body.append(figure(suppress(r, threshold), n))
        body.append("</section>")
    points = "".join(f"<li>{escape(p)}</li>" for p in key_points)
    src = "".join(f"<li>{escape(x)}</li>" for x in sources)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{escape(title)}</h1>
<p class="lede">{escape(subtitle)}</p>
<p class="meta">Figures as known at {escape(as_of)}. Generated {escape(generated_at)}.</p>
</header>
<main>
<section class="key-points" aria-labelledby="key-points"><h2 id="key-points" style="border:0;margin-top:0;padding-top:0">Key points</h2>
<ul>{points}</ul></section>
{''.join(body)}
</main>
<footer>
<p>Counts from 1 to {threshold} in local-area figures are shown as <strong>c</strong> to protect the
children concerned. Percentages are rounded to one decimal place, halves away from zero.</p>
<ul>{src}</ul>
</footer>
</body>
</html>
"""


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
