"""What the worker's pages are drawn and read with, given by this layer.

The worker (a stage) serves each partner's own view under ``up`` (``streams.partner_views``), with
the gateway's credentials and queries (``producers.gateway``, another stage), and the live page
(``streams.live_page``), drawn by the dashboards' panels (``dashboards.live``, another stage);
only the command layer imports the stages side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.settings import Settings


def backend(conf: Settings, tokens: Path, data_dir: Path | None,
            database: str | None) -> tuple[Any, Any, type[Exception]]:
    """The partners' credentials (``tokens``), the gateway's views on this warehouse, and the
    error those views raise when the warehouse cannot be read."""
    from infra.warehouse.client import get_client
    from producers.gateway.credentials import Credentials
    from producers.gateway.views import PartnerViews, ViewUnavailable

    views = PartnerViews(lambda: get_client(conf, data_dir), database or conf.clickhouse_database,
                         conf.topic_inbound)
    return Credentials(tokens), views, ViewUnavailable


def live_renderer() -> Any:
    """The live page's renderer: the dashboards' panels and templates (``dashboards.live``)."""
    from dashboards import live

    return live
