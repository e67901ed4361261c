"""The warehouse: the ClickHouse raw event store, the dbt project runner and the report commands.

``client.get_client`` opens chDB in-process or a ClickHouse server; ``raw_store`` creates and
writes the raw event store; ``dbt_runner`` runs the dbt project in-process on chDB.
"""

from infra.warehouse.client import get_client
from infra.warehouse.raw_store import (
    dead_letter_row,
    ensure_raw_store,
    insert_dead_letters,
    insert_events,
    raw_event_row,
)

__all__ = [
    "dead_letter_row", "ensure_raw_store", "get_client", "insert_dead_letters", "insert_events",
    "raw_event_row",
]
