"""``safeguarding simulate``: writes files, refuses bad options with a clear message."""

from __future__ import annotations

import json

from infra.cli import main
from producers.simulator import report_2020


def test_report_2020_written_to_a_file_is_the_library_history(tmp_path, capsys):
    out = tmp_path / "history.jsonl"
    assert main(["simulate", "--scenario", "report-2020", "--out", str(out), "--seed", "3"]) == 0
    assert out.read_bytes().splitlines() == report_2020(3)
    assert "wrote" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*partial"))


def test_random_scenario_takes_its_options(tmp_path):
    out = tmp_path / "random.jsonl"
    code = main(["simulate", "--scenario", "random", "--cases", "50", "--seed", "1", "--invalid-rate", "0",
                 "--duplicate-rate", "0", "--out-of-order-rate", "0", "--out", str(out)])
    lines = out.read_bytes().splitlines()
    assert code == 0
    assert sum(json.loads(line)["type"].endswith("incident.notified.v1") for line in lines) == 50


def test_bad_rate_is_a_usage_error_naming_the_option(tmp_path, capsys):
    out = tmp_path / "x.jsonl"
    assert main(["simulate", "--scenario", "random", "--duplicate-rate", "2", "--out", str(out)]) == 2
    assert "--duplicate-rate must be a number from 0 to 1" in capsys.readouterr().err
    assert not out.exists()


def test_unwritable_out_is_a_usage_error(tmp_path, capsys):
    assert main(["simulate", "--scenario", "random", "--out", str(tmp_path / "no" / "x.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["simulate", "--scenario", "random", "--out", str(tmp_path)]) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err


def test_unknown_scenario_is_refused(capsys):
    assert main(["simulate", "--scenario", "report-2019", "--out", "x"]) == 2
    assert "invalid choice: 'report-2019'" in capsys.readouterr().err


def test_random_options_with_the_calibrated_scenario_are_a_usage_error(tmp_path, capsys):
    out = tmp_path / "x.jsonl"
    assert main(["simulate", "--scenario", "report-2020", "--cases", "10", "--years", "1", "--out", str(out)]) == 2
    assert "--cases, --years: only for --scenario random" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
