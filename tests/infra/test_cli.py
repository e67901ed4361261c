"""The command line's own contract: a malformed setting is one clear line and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BAD = {**os.environ, "CSPR_TOPIC_PARTITIONS": "many"}


def safeguarding(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infra.cli", *argv], capture_output=True, text=True,
                          env=BAD, timeout=60, input="")


@pytest.mark.parametrize("argv", [["up"], ["run", "--events", "x"], ["demo"], ["worker"]])
def test_a_malformed_setting_names_the_variable_without_a_traceback(argv: list[str]) -> None:
    proc = safeguarding(*argv)
    assert proc.returncode == 2, proc.stderr
    assert "CSPR_TOPIC_PARTITIONS" in proc.stderr and "'many'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_and_validate_need_no_settings() -> None:
    assert safeguarding("up", "--help").returncode == 0
    assert safeguarding("validate", "-").returncode == 0
