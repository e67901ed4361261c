"""The briefing opened in headless Chromium: its charts render with a real size and the page
is readable. A screenshot is kept in tests/artifacts/ for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboards.briefing.narrative import key_points
from dashboards.briefing.render import page
from tests.dashboards.briefing.sample import NOW, Q3, by_key, sections
from tests.fixtures.chromium import ARTIFACTS, chromium

# Appended to a *copy* of the briefing only: records what the browser laid out as attributes,
# so --dump-dom can report it. The briefing itself carries no script.
MEASURE = """<script>
for (const svg of document.querySelectorAll('svg.chart')) {
  const r = svg.getBoundingClientRect();
  svg.setAttribute('data-w', Math.round(r.width)); svg.setAttribute('data-h', Math.round(r.height));
  svg.setAttribute('data-marks', svg.querySelectorAll('rect, polyline, circle').length);
}
const cs = getComputedStyle(document.body), p = document.querySelector('main p');
document.body.setAttribute('data-font-px', parseFloat(cs.fontSize));
document.body.setAttribute('data-line-ratio', (parseFloat(getComputedStyle(p).lineHeight) / parseFloat(getComputedStyle(p).fontSize)).toFixed(2));
document.body.setAttribute('data-overflow', document.documentElement.scrollWidth > window.innerWidth ? 'yes' : 'no');
</script>"""


@pytest.fixture(scope="module")
def briefing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    html = page(title="Quarterly learning briefing: 2020 Q3", subtitle="July to September 2020",
                as_of="31 March 2021", key_points=key_points(by_key(), Q3), sections=sections(),
                sources=["test"], threshold=2, generated_at=NOW.isoformat())
    path = tmp_path_factory.mktemp("briefing") / "briefing.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_charts_render_with_a_real_size_and_the_text_is_readable(briefing: Path, tmp_path: Path):
    measured = tmp_path / "measured.html"
    measured.write_text(briefing.read_text().replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = chromium("--window-size=1280,2000", "--dump-dom", measured.as_uri(), tmp=tmp_path).stdout
    svgs = re.findall(r'<svg id="chart-[^"]*"[^>]*data-w="(\d+)" data-h="(\d+)" data-marks="(\d+)"', dom)
    expected = sum(1 for s in sections() for r in s.results if r.panel.kind not in ("stat", "table"))
    assert len(svgs) == expected
    for w, h, marks in svgs:
        assert int(w) > 200 and int(h) > 50 and int(marks) > 0
    body = re.search(r'<body data-font-px="([\d.]+)" data-line-ratio="([\d.]+)" data-overflow="(\w+)"', dom)
    assert body, dom[:500]
    assert float(body[1]) >= 16 and float(body[2]) >= 1.4  # readable size and leading
    assert body[3] == "no"  # nothing wider than the window


def test_a_screenshot_is_kept_as_an_artefact(briefing: Path, tmp_path: Path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "briefing-2020Q3.png"
    shot.unlink(missing_ok=True)
    chromium("--window-size=1280,4000", "--hide-scrollbars", f"--screenshot={shot}", briefing.as_uri(), tmp=tmp_path)
    assert shot.exists() and shot.stat().st_size > 20_000  # a page with charts, not a blank one
