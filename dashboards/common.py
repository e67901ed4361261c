"""Shared defaults for every dashboard: the data source variable, tags, time range, layout,
and the translation of a ``Panel`` definition into a Grafana Foundation SDK panel."""

from __future__ import annotations

import json
from typing import Any, Self

from grafana_foundation_sdk.builders import barchart, dashboard, piechart, stat, table, text, timeseries
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import piechart as pm

from dashboards.panel import Panel

PLUGIN = "grafana-clickhouse-datasource"
# Every query and panel names the data source through this variable, never a fixed uid.
DATASOURCE = dm.DataSourceRef(type_val=PLUGIN, uid="${datasource}")
DATABASE = "cspr"  # the default of settings.clickhouse_database; the variable lets viewers change it
VINTAGE = "latest"  # the vintage a dashboard opens on
REFRESH = "30s"
DATASOURCE_NAMES = "/^ClickHouse \\(CSPR marts\\)/"  # infra/grafana/provisioning/datasources/clickhouse.yaml
# Tables in the raw store's database (cspr), not in a vintage's: the stream's live figures
LIVE_TABLES = ("pub_stream_figures",)


def grafana_sql(sql: str) -> str:
    """A panel's SQL as Grafana sends it: the marts of the chosen vintage's database (the live
    tables stay in the raw store's database: the stream writes them, not a vintage build)."""
    out = sql.replace("${database}.", "${database}_${vintage}.")
    for live in LIVE_TABLES:
        out = out.replace("${database}_${vintage}." + live, "${database}." + live)
    return out
TAGS = ["generated", "cspr"]
FOLDER_UID = "cspr"
FOLDER_TITLE = "Child Safeguarding Practice Review Panel"


class ClickHouseQuery(cogvariants.Dataquery):
    """A raw-SQL query of the Grafana ClickHouse data source (the SDK has no builder for it).

    Shape from the plugin's query model: ``editorType: sql``, ``format`` 1 = table,
    0 = time series; ``queryType`` matches the format.
    """

    def __init__(self, sql: str, ref_id: str = "A", time_series: bool = False) -> None:
        self.sql, self.ref_id, self.time_series = sql, ref_id, time_series

    def to_json(self) -> dict[str, Any]:
        return {
            "datasource": {"type": PLUGIN, "uid": "${datasource}"},
            "editorType": "sql",
            "format": 0 if self.time_series else 1,
            "queryType": "timeseries" if self.time_series else "table",
            "rawSql": self.sql,
            "refId": self.ref_id,
        }


class Query(cogbuilder.Builder[ClickHouseQuery]):
    def __init__(self, sql: str, time_series: bool = False) -> None:
        self._query = ClickHouseQuery(sql, time_series=time_series)

    def build(self) -> ClickHouseQuery:
        return self._query


class Dashboard(dashboard.Dashboard):
    """The SDK's dashboard builder with the project's defaults and a ``.panel(spec)`` step that
    also records the definitions, so the briefing and the tests can reach every panel's SQL."""

    def __init__(self, uid: str, title: str, description: str) -> None:
        super().__init__(title)
        self.specs: list[Panel] = []
        self._ids = 0  # panel and row ids must be unique within a dashboard
        (
            self.uid(uid)
            .description(description)
            .tags(TAGS)
            .timezone("utc")
            .time("now-2y", "now")
            # the marts are refreshed every 30 s (infra/warehouse/refresh.py), the live figures with
            # each stream snapshot: a 30 s reload keeps what a viewer sees within about a minute
            .refresh(REFRESH)
            .readonly()
            .tooltip(dm.DashboardCursorSync.CROSSHAIR)
            .with_variable(
                # the marts' data source only: the alert rules' one (another ClickHouse user) is not a choice
                dashboard.DatasourceVariable("datasource").label("Data source").type(PLUGIN).regex(DATASOURCE_NAMES)
            )
            .with_variable(
                dashboard.ConstantVariable("database").label("Database").value(DATABASE)
            )
            .with_variable(
                # the figures as known at a date: each vintage's marts are in ${database}_<vintage>
                # (infra/warehouse/vintages.py); 'latest' is as known now, 'v20210331' as at 31 March 2021
                dashboard.TextBoxVariable("vintage").label("Vintage (latest, or vYYYYMMDD)").default_value(VINTAGE)
            )
        )

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def row(self, title: str) -> Self:
        return self.with_row(dashboard.Row(title).id(self._next_id()))

    def panel(self, spec: Panel) -> Self:
        self.specs.append(spec)
        return self.with_panel(grafana_panel(spec, panel_id=self._next_id()))


def grafana_panel(spec: Panel, panel_id: int) -> cogbuilder.Builder[dm.Panel]:
    """A ``Panel`` definition as a Grafana panel of its kind, with the shared defaults."""
    builder: Any
    if spec.kind == "barchart":
        builder = barchart.Panel().show_value(cm.VisibilityMode.AUTO).fill_opacity(80)
        if spec.x:
            builder = builder.x_field(spec.x)
        if spec.stacked:
            builder = builder.stacking(cm.StackingMode.NORMAL)
    elif spec.kind == "timeseries":
        builder = timeseries.Panel().line_width(2).fill_opacity(10).legend(_legend())
        if spec.stacked:
            builder = builder.stacking(cb.StackingConfig().mode(cm.StackingMode.NORMAL))
    elif spec.kind == "stat":
        builder = stat.Panel().graph_mode(cm.BigValueGraphMode.NONE)
    elif spec.kind == "piechart":
        # one slice per row of the table-format result, not one reduced value per column
        builder = (
            piechart.Panel()
            .pie_type(pm.PieChartType.DONUT)
            .reduce_options(cb.ReduceDataOptions().values(True).calcs([]))
            .display_labels([pm.PieChartLabels.VALUE])
            .legend(
                piechart.PieChartLegendOptions()
                .show_legend(True)
                .display_mode(cm.LegendDisplayMode.TABLE)
                .placement(cm.LegendPlacement.RIGHT)
                .values([pm.PieChartLegendValues.VALUE, pm.PieChartLegendValues.PERCENT])
            )
        )
    elif spec.kind == "text":
        builder = text.Panel().content(spec.description)
    else:
        builder = table.Panel().show_header(True)
    builder = (
        builder.id(panel_id)
        .title(spec.title)
        .description(spec.description)
        .height(spec.height)
        .span(spec.width)
    )
    if spec.kind != "text":
        builder = (
            builder.datasource(DATASOURCE)
            .with_target(Query(grafana_sql(spec.sql), time_series=spec.kind == "timeseries"))
            .unit(spec.unit)
        )
        if spec.suppressed:
            builder = builder.no_value("c")
    return builder


def _legend() -> cb.VizLegendOptions:
    return (
        cb.VizLegendOptions()
        .show_legend(True)
        .display_mode(cm.LegendDisplayMode.LIST)
        .placement(cm.LegendPlacement.BOTTOM)
    )


def to_json(board: Dashboard) -> str:
    """The dashboard as committed: sorted keys, two-space indent, trailing newline (it diffs)."""
    return json.dumps(board.build(), cls=JSONEncoder, sort_keys=True, indent=2) + "\n"
