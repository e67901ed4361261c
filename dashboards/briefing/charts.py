"""Inline SVG charts for the briefing: no JavaScript, no external files, readable in print.

Every chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>``, and the figure also
carries the numbers as an HTML table (screen readers and copy-paste get the data, not a picture).
Colours are the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies;
every bar is labelled with its value, so colour is never the only cue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from html import escape

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FONT = 13
Value = float | int | str | None  # a str value is a suppressed count ('c')


def label(text: object) -> str:
    """A column or category value as a reader sees it: ``serious_harm`` → ``serious harm``."""
    if text is None:
        return "—"
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    return str(text).replace("_", " ")


def number(v: Value, unit: str = "short") -> str:
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if unit == "percent" or (isinstance(v, float) and not v.is_integer()):
        s = f"{v:,.1f}"
    else:
        s = f"{int(v):,}"
    return s + ("%" if unit == "percent" else "")


def _num(v: Value) -> float:
    return float(v) if isinstance(v, int | float) else 0.0


def _nice_max(m: float) -> float:
    if m <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(m))
    for step in (1, 2, 2.5, 5, 10):
        if step * mag >= m:
            return step * mag
    return 10 * mag


def legend(series: Sequence[str]) -> str:
    if len(series) < 2:
        return ""
    items = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
        f'fill="{PALETTE[i % len(PALETTE)]}"/></svg> {escape(label(s))}</li>'
        for i, s in enumerate(series)
    )
    return f'<ul class="legend" aria-label="Legend">{items}</ul>'


def bar_chart(chart_id: str, title: str, desc: str, categories: Sequence[object], series: Sequence[str],
              values: Sequence[Sequence[Value]], unit: str = "short", stacked: bool = False) -> str:
    """Horizontal bars, one group per category: long category names stay readable."""
    label_w, plot_w, value_w = 210, 360, 70
    bar_h = 16 if stacked or len(series) == 1 else 12
    group_h = bar_h if stacked else bar_h * len(series)
    gap = 10
    totals = [sum(_num(v) for v in row) if stacked else max((_num(v) for v in row), default=0) for row in values]
    scale = plot_w / _nice_max(max(totals, default=0))
    height = len(categories) * (group_h + gap) + gap + 20
    width = label_w + plot_w + value_w
    parts = [
        f'<svg id="{chart_id}" class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="inherit" font-size="{FONT}">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>',
        f'<line x1="{label_w}" y1="{gap / 2}" x2="{label_w}" y2="{height - 20}" stroke="#505a5f"/>',
    ]
    for ci, (cat, row) in enumerate(zip(categories, values, strict=True)):
        y0 = gap + ci * (group_h + gap)
        parts.append(f'<text x="{label_w - 8}" y="{y0 + group_h / 2 + FONT / 3:.1f}" text-anchor="end" '
                     f'fill="#0b0c0c">{escape(label(cat))}</text>')
        x = float(label_w)
        for si, v in enumerate(row):
            w = _num(v) * scale
            y = y0 if stacked else y0 + si * bar_h
            colour = PALETTE[si % len(PALETTE)]
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{bar_h - 2}" '
                         f'fill="{colour}"><title>{escape(label(cat))}, {escape(label(series[si]))}: '
                         f'{escape(number(v, unit))}</title></rect>')
            if stacked:
                x += w
            elif v is not None:
                parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h / 2 + FONT / 3 - 1:.1f}" '
                             f'fill="#0b0c0c" font-size="{FONT - 1}">{escape(number(v, unit))}</text>')
        if stacked:
            total = sum(_num(v) for v in row)
            shown = "c" if any(isinstance(v, str) for v in row) and not total else number(total, unit)
            parts.append(f'<text x="{x + 4:.1f}" y="{y0 + bar_h / 2 + FONT / 3 - 1:.1f}" fill="#0b0c0c" '
                         f'font-size="{FONT - 1}">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts) + legend(series)


def _x_text(x: object) -> str:
    if isinstance(x, datetime | date):
        return x.strftime("%b %Y")
    return label(x)


def line_chart(chart_id: str, title: str, desc: str, xs: Sequence[object], series: Sequence[str],
               values: Sequence[Sequence[Value]], unit: str = "short") -> str:
    left, right, top, bottom, width, height = 56, 16, 12, 40, 640, 260
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((_num(v) for row in values for v in row), default=0))
    n = max(len(xs) - 1, 1)

    def px(i: int) -> float:
        return left + plot_w * i / n

    def py(v: Value) -> float:
        return top + plot_h * (1 - _num(v) / top_value)

    parts = [
        f'<svg id="{chart_id}" class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="inherit" font-size="{FONT}">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for k in range(5):  # y grid and axis labels
        v = top_value * k / 4
        y = py(v)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#d8dadb"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#505a5f">'
                     f'{escape(number(v, unit))}</text>')
    ticks = sorted({0, len(xs) // 2, len(xs) - 1}) if xs else []
    for i in ticks:
        parts.append(f'<text x="{px(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" fill="#505a5f">'
                     f'{escape(_x_text(xs[i]))}</text>')
    for si, name in enumerate(series):
        pts = " ".join(f"{px(i):.1f},{py(row[si]):.1f}" for i, row in enumerate(values))
        colour = PALETTE[si % len(PALETTE)]
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2.5">'
                     f'<title>{escape(label(name))}</title></polyline>')
        for i, row in enumerate(values):
            parts.append(f'<circle cx="{px(i):.1f}" cy="{py(row[si]):.1f}" r="3" fill="{colour}">'
                         f'<title>{escape(_x_text(xs[i]))}: {escape(number(row[si], unit))}</title></circle>')
    parts.append("</svg>")
    return "".join(parts) + legend(series)
