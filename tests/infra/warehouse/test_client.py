"""Reaching the warehouse: chDB in-process, one path per process, and a clear error for a server."""

from __future__ import annotations

import pytest

from infra.settings import load_settings
from infra.warehouse.client import WarehouseError, chdb_path_in_use, get_client, warehouse_path
from schemas.errors import ServiceUnavailable


def test_the_session_warehouse_answers_queries(warehouse):
    assert warehouse.client.query("SELECT 1 + 1").result_rows == [(2,)]


def test_asking_again_for_the_same_path_returns_the_same_session(warehouse):
    again = get_client(load_settings(clickhouse_url="chdb"), data_dir=warehouse.data_dir)
    assert again is warehouse.client
    assert chdb_path_in_use() == (warehouse.data_dir / "warehouse").resolve()


def test_a_second_chdb_path_in_one_process_is_refused_with_the_reason(warehouse, tmp_path):
    with pytest.raises(WarehouseError, match="one data path per process"):
        get_client(load_settings(clickhouse_url="chdb"), data_dir=tmp_path / "other")


def test_data_dir_puts_the_warehouse_in_its_warehouse_folder(tmp_path):
    assert warehouse_path(load_settings(), tmp_path) == tmp_path / "warehouse"
    assert warehouse_path(load_settings(clickhouse_url=f"chdb://{tmp_path}/wh")) == tmp_path / "wh"


def test_an_unreachable_server_is_service_unavailable_naming_it():
    settings = load_settings(clickhouse_url="http://127.0.0.1:1")
    with pytest.raises(ServiceUnavailable, match=r"http://127\.0\.0\.1:1"):
        get_client(settings)
