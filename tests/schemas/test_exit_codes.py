"""The one mapping of outcomes to exit codes every command shares (the README's table)."""

from __future__ import annotations

import pytest

from infra.settings import SettingsError
from producers.publishing.publisher import BrokerUnavailable
from schemas.errors import (
    CsprError,
    ExitCode,
    InvalidInput,
    ServiceUnavailable,
    UsageError,
    exit_code_for,
    exit_code_for_counts,
)


@pytest.mark.parametrize("good, bad, code", [
    (10, 0, ExitCode.OK),
    (9, 1, ExitCode.INVALID),  # some lines invalid or dead-lettered
    (0, 8, ExitCode.INVALID),  # every line dead-lettered
    (0, 0, ExitCode.INVALID),  # an empty input is not success
])
def test_counts_map_to_ok_only_when_something_was_taken_and_nothing_was_refused(good: int, bad: int,
                                                                                 code: ExitCode) -> None:
    assert exit_code_for_counts(good=good, bad=bad) == code


@pytest.mark.parametrize("error, code", [
    (UsageError("x"), ExitCode.USAGE),
    (SettingsError("x"), ExitCode.USAGE),
    (CsprError("x"), ExitCode.USAGE),
    (FileNotFoundError(2, "No such file or directory"), ExitCode.USAGE),
    (InvalidInput("x"), ExitCode.INVALID),
    (ServiceUnavailable("x"), ExitCode.UNAVAILABLE),
    (BrokerUnavailable("x"), ExitCode.UNAVAILABLE),
    (KeyboardInterrupt(), ExitCode.INTERRUPTED),
])
def test_errors_map_to_their_exit_status(error: CsprError | OSError | KeyboardInterrupt, code: ExitCode) -> None:
    assert exit_code_for(error) == code


def test_the_codes_are_the_readme_s() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 130]
