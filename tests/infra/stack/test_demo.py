"""The main job (`make demo`) end to end: every figure of the annual report rebuilt from events."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PUBLISHED = json.loads((ROOT / "producers/simulator/targets/report-2020-figures.json").read_text())


@pytest.mark.integration
@pytest.mark.slow
def test_demo_reproduces_the_annual_report_and_writes_both_briefings(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "infra.cli", "demo", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    figures = json.loads((tmp_path / "figures-2020.json").read_text())
    assert figures == PUBLISHED
    assert "211/211 figures match" in proc.stderr.replace("\n", " ")
    for quarter, end in (("2020Q2", "30 June 2020"), ("2020Q3", "30 September 2020")):
        page = (tmp_path / "briefings" / f"briefing-{quarter}.html").read_text()
        assert f"Figures as known at {end} (vintage v2020" in page, "each briefing is as known at its quarter's end"
        assert "<svg" in page and "http://" not in page.replace("http://www.w3.org", "")
