"""`safeguarding report briefing` on the marts of the calibrated 2020 history: one file, the
report's figures in its key points, suppressed local counts, charts drawn by Chromium."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.cli import main
from infra.settings import settings
from infra.warehouse import vintages
from tests.dashboards.briefing.test_in_chromium import MEASURE
from tests.fixtures.chromium import ARTIFACTS, chromium


@pytest.fixture(scope="module")
def briefing_2020q3(report_2020_marts, tmp_path_factory) -> Iterator[Path]:
    """The 2020 Q3 briefing as known at 31 March 2021 (the annual report's date): that vintage."""
    out = tmp_path_factory.mktemp("briefing") / "briefing-2020Q3.html"
    mp = pytest.MonkeyPatch()
    mp.setenv("CSPR_CLICKHOUSE_DATABASE", report_2020_marts.database)
    settings.cache_clear()
    try:
        vintage = vintages.build(report_2020_marts.client, settings(), report_2020_marts.database,
                                 dt.date(2021, 3, 31), data_dir=report_2020_marts.data_dir)
        code = main(["report", "briefing", "--quarter", "2020Q3", "--as-of", "2021-03-31", "--out", str(out),
                     "--data-dir", str(report_2020_marts.data_dir)])
    finally:
        mp.undo()
        settings.cache_clear()
    assert code == 0
    yield out
    report_2020_marts.client.command(f"DROP DATABASE IF EXISTS {vintage.database}")


def test_the_briefing_states_the_report_figures_computed_from_the_marts(briefing_2020q3: Path):
    html = briefing_2020q3.read_text()
    text = re.sub(r"<[^>]+>", " ", html)
    assert "Notifications from April to September 2020 were 27% higher than in April–September 2019 (254 against 200)." in html
    assert "In 2020 the Panel was notified of 482 serious incidents: 206 where a child died and 267 of serious harm" in text
    assert re.search(r"In July to September 2020 the Panel was notified of \d+ serious incidents, [\d.]+% more than", text)
    assert "69.0% of the rapid reviews it responded to (320 of 464)" in text
    assert "35.0% of the 514 children were under one year old" in text
    assert "Figures as known at 31 March 2021 (vintage v20210331, built" in html


def test_the_briefing_shows_local_counts_suppressed(briefing_2020q3: Path):
    html = briefing_2020q3.read_text()
    section = html[html.index('id="local-areas"'):]
    cells = re.findall(r'<td class="(?:num|text)">([^<]*)</td>', section)
    counts = [c for c in cells if re.fullmatch(r"c|\d+", c)]
    assert "c" in counts and not {"1", "2"} & set(counts)


def test_the_briefing_renders_in_chromium(briefing_2020q3: Path, tmp_path: Path):
    measured = tmp_path / "measured.html"
    measured.write_text(briefing_2020q3.read_text().replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = chromium("--window-size=1280,2000", "--dump-dom", measured.as_uri(), tmp=tmp_path).stdout
    sizes = re.findall(r'<svg id="chart-[^"]*"[^>]*data-w="(\d+)" data-h="(\d+)" data-marks="(\d+)"', dom)
    assert len(sizes) >= 10 and all(int(w) > 200 and int(h) > 50 and int(m) > 0 for w, h, m in sizes)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "briefing-2020Q3-warehouse.png"
    shot.unlink(missing_ok=True)
    chromium("--window-size=1280,6000", "--hide-scrollbars", f"--screenshot={shot}", briefing_2020q3.as_uri(),
             tmp=tmp_path)
    assert shot.exists() and shot.stat().st_size > 20_000


def test_a_malformed_quarter_or_output_is_a_clear_usage_error(tmp_path, capsys):
    assert main(["report", "briefing", "--quarter", "2020-3", "--out", str(tmp_path / "b.html")]) == 2
    assert "--quarter must look like 2020Q3" in capsys.readouterr().err
    assert main(["report", "briefing", "--quarter", "2020Q3", "--out", str(tmp_path / "b.pdf")]) == 2
    assert "--out must be an .html file" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_warehouse_without_the_vintage_is_refused_and_writes_nothing(warehouse, tmp_path, capsys):
    empty = warehouse.new_database("nomarts")
    mp = pytest.MonkeyPatch()
    mp.setenv("CSPR_CLICKHOUSE_DATABASE", empty)
    settings.cache_clear()
    try:
        code = main(["report", "briefing", "--quarter", "2020Q3", "--out", str(tmp_path / "b.html"),
                     "--data-dir", str(warehouse.data_dir)])
    finally:
        mp.undo()
        settings.cache_clear()
        warehouse.drop(empty)
    assert code == 1
    err = capsys.readouterr().err
    assert "vintage v20200930 (as known at 30 September 2020) is not built" in err and "Traceback" not in err
    assert not (tmp_path / "b.html").exists()


def test_marts_without_the_learning_table_say_so_in_the_briefing(report_2020_marts, briefing_2020q3, caplog):
    """Marts published before pub_learning existed (its table set aside for the test): the briefing
    says where its learning section would be why it is not, and the warning is logged."""
    from dashboards.briefing.build import render_briefing
    from dashboards.briefing.data import Quarter

    client, db = report_2020_marts.client, report_2020_marts.database
    client.command(f"RENAME TABLE {db}.pub_learning TO {db}.pub_learning_aside")
    try:
        with caplog.at_level(logging.WARNING, logger="dashboards.briefing.build"):
            html = render_briefing(client, db, Quarter(2020, 3), 2)
    finally:
        client.command(f"RENAME TABLE {db}.pub_learning_aside TO {db}.pub_learning")
    assert '<h2 id="learning-heading">What reviews found</h2>' in html
    assert f"Not shown: the figures of database {db} were published before the learning figures (pub_learning)" in html
    assert [r.getMessage() for r in caplog.records] == [
        f"briefing 2020 Q3: no learning section: database {db} has no pub_learning (published before it existed)"]
    # a vintage has it: the section is there, and no such note
    built = briefing_2020q3.read_text()
    assert '<h2 id="learning-heading">What reviews found in 2020 Q3</h2>' in built and "Not shown:" not in built
