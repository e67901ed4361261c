"""Shared test set-up. Fixture modules in tests/fixtures/ are loaded as plugins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Every fixture module (brokers, warehouse, ...) is a plugin, so any test folder can use them.
pytest_plugins = sorted(
    f"tests.fixtures.{p.stem}" for p in (Path(__file__).parent / "fixtures").glob("*.py") if p.stem != "__init__"
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """A service a test needs could not be started: a failure in CI, a skip on a laptop."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a service that cannot start is a failure, not a skip)")
    pytest.skip(reason)
