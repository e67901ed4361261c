"""The briefing page from panel results: self-contained, accessible, suppressed, narrated."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from dashboards.briefing.data import Quarter
from dashboards.briefing.narrative import key_points
from dashboards.briefing.render import page
from tests.dashboards.briefing.sample import NOW, Q3, by_key, sections


def _page() -> str:
    return page(title="Quarterly learning briefing: 2020 Q3", subtitle="s", as_of="31 March 2021",
                key_points=key_points(by_key(), Q3), sections=sections(), sources=["src"], threshold=2,
                generated_at=NOW.isoformat())


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_page_needs_nothing_from_the_network():
    html = _page()
    tags = _Tags()
    tags.feed(html)
    names = [t for t, _ in tags.tags]
    assert "script" not in names and "link" not in names and "img" not in names and "iframe" not in names
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_every_chart_panel_is_an_inline_svg_with_a_title_and_its_numbers_as_a_table():
    html = _page()
    charts = re.findall(r'<svg id="(chart-[^"]+)" class="chart" role="img" aria-labelledby="([^"]+)"', html)
    chart_panels = [r for s in sections() for r in s.results if r.panel.kind not in ("stat", "table")]
    assert len(charts) == len(chart_panels)
    for chart_id, labelled_by in charts:
        assert labelled_by == f"{chart_id}-t {chart_id}-d"
        assert f'<title id="{chart_id}-t">' in html
    assert html.count("The numbers behind this chart") == len(chart_panels)


def test_the_page_is_structured_for_screen_readers_and_print():
    html = _page()
    assert '<html lang="en-GB">' in html and html.count("<h1>") == 1
    assert "<main>" in html and "<header>" in html and "<footer>" in html
    assert "@media print" in html and "break-inside: avoid" in html
    assert '<th scope="col">' in html


def test_small_local_area_counts_are_suppressed_and_zero_and_larger_counts_are_not():
    html = _page()

    def cells(name: str) -> list[str]:
        found = re.search(rf"<tr><th scope=\"row\">{name}</th>(.*?)</tr>", html)
        assert found, name
        row = found[1]
        return re.findall(r"<td[^>]*>([^<]*)</td>", row)

    assert cells("Hartlepool") == ["North East", "c"]  # an unsuppressed 1 is caught by the renderer
    assert cells("York") == ["Yorkshire and The Humber", "c"]  # 2 = the threshold
    assert cells("Darlington") == ["North East", "c"]
    assert cells("Leeds") == ["Yorkshire and The Humber", "8"]
    assert cells("Rutland") == ["East Midlands", "0"]


def test_key_points_are_written_from_the_figures():
    points = key_points(by_key(), Q3)
    assert ("Notifications from April to September 2020 were 27% higher than in April–September 2019 "
            "(254 against 200).") in points
    assert any(p.startswith("In 2020 the Panel was notified of 482 serious incidents: 206 where a child died")
               for p in points)
    assert "In July to September 2020 the Panel was notified of 133 serious incidents, 33% more than in the same " \
        "quarter of 2019 (100)." in points
    assert any(p.startswith("35.0% of the 514 children were under one") and "30.0% were aged 15 to 17" in p
               for p in points)
    assert any("69.0%" in p and "320 of 464" in p for p in points)
    assert any("mixed ethnicity" in p and "13.4%" in p and "5.0%" in p for p in points)
    assert any(p.startswith("39.0% of the notifications") and "5.0% in the least" in p for p in points)


def test_key_points_change_with_the_figures_and_leave_out_what_is_missing():
    results = by_key()
    r = results["change_on_a_year_earlier_stat"]
    results["change_on_a_year_earlier_stat"] = type(r)(r.panel, r.columns, ((-12.5, 175, 200),))
    points = key_points(results, Q3)
    assert any("12.5% lower than in April–September 2019 (175 against 200)" in p for p in points)
    del results["panel_agreement_stat"]
    assert not any("agreed" in p for p in key_points(results, Q3))
    # before the end of September the April–September comparison is incomplete: not stated
    assert not any("April to September" in p for p in key_points(results, Quarter(2020, 2)))
