"""``safeguarding demo``: the main job, end to end, on the embedded stack."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="run the main job on the embedded stack: simulate 2020, stream it, build the marts, report",
        description="Simulate the calibrated 2020 event history; start the embedded stack (tansu, the "
        "Faust worker, chDB); publish the history through the producer SDK; wait until every event is "
        "in ClickHouse; run dbt; print the annual report's headline figures beside the values the "
        "Panel published; write the 2020 Q2 and Q3 briefings. Exit status 0 when every figure "
        "matches, 1 when any differs.",
    )
    p.add_argument("--data-dir", type=Path, default=None, help="where to keep everything (default: CSPR_DATA_DIR)")
    p.add_argument("--seed", type=int, default=2020, help="seed of the simulated history (default 2020)")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from infra.settings import settings
    from infra.stack.demo import run_demo

    data_dir = args.data_dir or settings().data_dir
    return run_demo(data_dir.resolve(), seed=args.seed)
