"""The warehouse the dashboards are tested on: the calibrated 2020 history, replayed by the
reference rules into a raw store of the session's chDB, and the dbt marts built as at
2021-03-31 — the acceptance set-up, so a panel that shows a report figure can be held to it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

AS_OF = dt.date(2021, 3, 31)
FIGURES = Path(__file__).resolve().parents[2] / "producers" / "simulator" / "targets" / "report-2020-figures.json"


@dataclass
class Built:
    client: Any
    database: str
    data_dir: Path
    figures: dict[str, Any]
    replay: Any


@pytest.fixture(scope="session")
def report_2020_marts(warehouse: Any) -> Iterator[Built]:
    from producers.reference.history import replay
    from producers.simulator import report_2020
    from tests.dbt.loading import build, load_replay

    database = warehouse.new_database("dash")
    # three undeliverable messages as well, so the Data quality dashboard has dead letters to
    # show; rejected messages change no figure
    replayed = replay([*report_2020(seed=0), b"not json", b"[1]", b'{"specversion": "1.0", "type": "x"}'])
    load_replay(warehouse.client, database, replayed)
    from tests.streams.figures.folding import insert_stream_snapshot  # the reconciliation's stream side

    insert_stream_snapshot(warehouse.client, database, report_2020(seed=0), AS_OF)
    build(warehouse.data_dir, database, AS_OF, "--exclude-resource-type", "test")
    yield Built(warehouse.client, database, warehouse.data_dir, json.loads(FIGURES.read_text()), replayed)
    warehouse.drop(database)
