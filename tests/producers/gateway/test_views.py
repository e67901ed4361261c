"""The gateway's views take the warehouse's one rule for a database name (check_database_name)."""

from __future__ import annotations

import pytest

from infra.warehouse.raw_store import RawStoreError
from producers.gateway.views import PartnerViews


@pytest.mark.parametrize("name", ["cspr", "m", "cspr_v20210331"])
def test_a_database_name_the_warehouse_takes_is_taken(name: str) -> None:
    assert PartnerViews(lambda: None, name, "cspr.events.inbound").database == name


@pytest.mark.parametrize("name", ["_m", "a-b", "cspr; DROP TABLE x", ""])
def test_a_database_name_the_warehouse_refuses_is_refused_naming_it(name: str) -> None:
    with pytest.raises(RawStoreError, match=rf"invalid ClickHouse database name {name!r}: .*starting with a letter"):
        PartnerViews(lambda: None, name, "cspr.events.inbound")
