"""A vintage swap interrupted by a kill (``infra.warehouse.vintages.undo_interrupted_swap``, run
before every build), on chDB: between the two renames the vintage is put back, not dropped;
after them the replaced one is dropped."""

from __future__ import annotations

from typing import Any

from infra.warehouse.vintages import undo_interrupted_swap


def _exists_database(client: Any, name: str) -> bool:
    return bool(int(client.command(f"EXISTS DATABASE {name}")))


def _vintage(client: Any, name: str, marker: str) -> None:
    client.command(f"CREATE DATABASE {name}")
    client.command(f"CREATE TABLE {name}.rpt_marker (v String) ENGINE = MergeTree ORDER BY v")
    client.command(f"INSERT INTO {name}.rpt_marker VALUES ('{marker}')")


def _marker(client: Any, name: str) -> str:
    return str(client.query(f"SELECT v FROM {name}.rpt_marker").result_rows[0][0])


def test_a_swap_killed_between_its_renames_is_undone_and_the_vintage_kept(warehouse: Any) -> None:
    db = warehouse.new_database("swap")
    target, old = f"{db}_latest", f"{db}_latest__old"
    _vintage(warehouse.client, old, "the vintage before")  # RENAME target TO old happened; the second did not
    undo_interrupted_swap(warehouse.client, target, old)
    assert _marker(warehouse.client, target) == "the vintage before"
    assert not _exists_database(warehouse.client, old)
    warehouse.client.command(f"DROP DATABASE {target} SYNC")


def test_a_swap_killed_after_its_renames_drops_the_replaced_vintage(warehouse: Any) -> None:
    db = warehouse.new_database("swap")
    target, old = f"{db}_latest", f"{db}_latest__old"
    _vintage(warehouse.client, old, "replaced")
    _vintage(warehouse.client, target, "new")
    undo_interrupted_swap(warehouse.client, target, old)
    assert _marker(warehouse.client, target) == "new" and not _exists_database(warehouse.client, old)
    undo_interrupted_swap(warehouse.client, target, old)  # nothing interrupted: nothing changes
    assert _marker(warehouse.client, target) == "new"
    warehouse.client.command(f"DROP DATABASE {target} SYNC")
