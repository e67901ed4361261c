"""``safeguarding report figures`` and ``safeguarding dbt``, as a user runs them: in their own
process (chDB allows one data path per process), on an embedded data folder."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.cli import main

REPO = Path(__file__).resolve().parents[3]
ACCEPTANCE = REPO / "producers" / "simulator" / "targets" / "report-2020-figures.json"

LOAD_CALIBRATED = """
import sys
from infra.settings import load_settings
from infra.warehouse.client import get_client
from infra.warehouse.raw_store import ensure_raw_store
from producers.reference.history import replay
from producers.simulator.report_2020 import build
from tests.dbt.loading import load_replay
client = get_client(load_settings(), data_dir=sys.argv[1])
ensure_raw_store(client, "cspr")
load_replay(client, "cspr", replay(build(7)))
"""


def _run(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSPR_CLICKHOUSE_URL": "chdb", "CSPR_CLICKHOUSE_DATABASE": "cspr"}
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "infra.cli", *args]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_report_figures_prints_the_annual_report_2020_from_the_calibrated_history(tmp_path):
    loaded = _run(str(tmp_path), code=LOAD_CALIBRATED)
    assert loaded.returncode == 0, loaded.stderr
    out = _run("report", "figures", "--year", "2020", "--as-of", "2021-03-31", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout) == json.loads(ACCEPTANCE.read_text())
    # the marts are now built as at that date: a second call reads them without rebuilding
    again = _run("-v", "report", "figures", "--year", "2020", "--as-of", "2021-03-31", "--data-dir", str(tmp_path))
    assert again.returncode == 0 and "building the marts" not in again.stderr
    assert json.loads(again.stdout) == json.loads(out.stdout)


CREATE_WAREHOUSE = """
import sys
from infra.settings import load_settings
from infra.warehouse.client import get_client
from infra.warehouse.raw_store import ensure_raw_store
ensure_raw_store(get_client(load_settings(), data_dir=sys.argv[1]), "cspr")
"""


def test_dbt_passes_its_arguments_through_and_returns_its_success(tmp_path):
    refused = _run("dbt", "ls", "--data-dir", str(tmp_path))
    assert refused.returncode == 2 and "holds no warehouse" in refused.stderr
    assert not list(tmp_path.iterdir())  # dbt never creates a warehouse
    assert _run(str(tmp_path), code=CREATE_WAREHOUSE).returncode == 0
    listed = _run("dbt", "ls", "--resource-type", "model", "--output", "name", "--data-dir", str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    assert "int_cases_folded_as_at" in listed.stdout and "rpt_quarterly_learning" in listed.stdout
    bad = _run("dbt", "run", "--select", "no_such_model_xyz", "--vars", "{as_of: 'March'}", "--data-dir",
               str(tmp_path))
    assert bad.returncode == 1


@pytest.mark.parametrize("args, message", [
    (["report", "figures", "--year", "20x0", "--as-of", "2021-03-31"], "--year must be a year"),
    (["report", "figures", "--year", "2020", "--as-of", "31/03/2021"], "--as-of: must be a date YYYY-MM-DD"),
])
def test_bad_report_arguments_are_usage_errors_naming_the_argument(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("args", [
    ["report", "figures", "--year", "2020"], ["report", "export", "--out", "."],
    ["report", "briefing", "--quarter", "2020Q3", "--out", "b.html"], ["report", "vintages"],
])
def test_every_report_command_reads_as_of_alike(args, capsys):
    """One definition of --as-of (vintages: of --build): a date or latest, the same refusal otherwise."""
    from infra.cli import build_parser

    option = "--build" if args[1] == "vintages" else "--as-of"
    parser = build_parser()
    assert getattr(parser.parse_args([*args, option, "latest"]), option[2:].replace("-", "_")) in (None, [None])
    dated = getattr(parser.parse_args([*args, option, "2021-03-31"]), option[2:].replace("-", "_"))
    assert dated in (dt.date(2021, 3, 31), [dt.date(2021, 3, 31)])
    assert main([*args, option, "March"]) == 2
    assert f"argument {option}: must be a date YYYY-MM-DD or 'latest', got 'March'" in capsys.readouterr().err


def test_report_is_a_command_group_with_figures(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert "figures" in capsys.readouterr().out
