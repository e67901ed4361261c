"""The dashboards as code: generated JSON is committed and current, and follows the house rules."""

from __future__ import annotations

import json
import re

import pytest

from dashboards import DASHBOARDS, builders
from dashboards.generate import JSON_DIR, drift, generate, rendered
from dashboards.marts import LIVE_FIGURES
from dashboards.panel import PLACEHOLDERS, Panel, panel


def test_committed_json_is_what_the_code_generates():
    assert drift() == [], "run `safeguarding dashboards generate` and commit dashboards/json/"


def test_generating_twice_gives_identical_files(tmp_path):
    generate(tmp_path)
    first = {p.name: p.read_text() for p in tmp_path.glob("*.json")}
    generate(tmp_path)
    assert {p.name: p.read_text() for p in tmp_path.glob("*.json")} == first
    assert drift(tmp_path) == []


def test_drift_is_reported_for_an_edited_missing_or_stale_file(tmp_path):
    generate(tmp_path)
    files = sorted(tmp_path.glob("*.json"))
    files[0].write_text(files[0].read_text().replace('"generated"', '"edited"'))
    files[1].unlink()
    (tmp_path / "old.json").write_text("{}")
    problems = drift(tmp_path)
    assert len(problems) == 3
    assert any("differs" in p for p in problems) and any("missing" in p for p in problems)
    assert any("old.json" in p for p in problems)


def test_json_is_written_with_sorted_keys_and_two_space_indent():
    for name, text in rendered().items():
        assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n", name


@pytest.mark.parametrize("name", DASHBOARDS)
def test_each_dashboard_has_a_fixed_uid_the_generated_tag_and_a_datasource_variable(name):
    board = json.loads(rendered()[f"{builders()[name]().build().uid}.json"])
    assert re.fullmatch(r"cspr-[a-z-]+", board["uid"]) and len(board["uid"]) <= 40
    assert "generated" in board["tags"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "grafana-clickhouse-datasource"
    panels = [p for p in board["panels"] if p["type"] != "row"]
    assert panels
    for p in panels:
        # the data source is always the variable, never a hard-coded instance
        assert p["datasource"] == {"type": "grafana-clickhouse-datasource", "uid": "${datasource}"}
        assert all(t["datasource"]["uid"] == "${datasource}" and t["rawSql"].strip() for t in p["targets"])
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)) and 0 not in ids


def test_uids_are_unique_across_dashboards():
    assert len(rendered()) == len(DASHBOARDS)


def _viewer_readable() -> set[str]:
    import dashboards.marts as marts

    return {v for k, v in vars(marts).items() if k.isupper() and isinstance(v, str) and v.startswith(("rpt_", "pub_"))}


VIEWER_READABLE = _viewer_readable() - {"rpt_stream_reconciliation", "rpt_overdue_rapid_reviews"}


def test_every_panel_is_named_measure_then_type_and_uses_only_known_placeholders():
    for make in builders().values():
        for spec in make().specs:
            assert spec.key.endswith(("_" + spec.kind, "_list")), spec.key
            for token in re.findall(r"\$\{?[A-Za-z_]+\}?", spec.sql):
                assert token in PLACEHOLDERS, f"{spec.key}: unknown placeholder {token}"
            tables = re.findall(r"\$\{database\}\.(\w+)", spec.sql)
            # viewers read the tables Grafana's user may read (dashboards/marts.py, granted by an
            # explicit list): never the raw store, an exact per-authority mart or a case-level one
            assert tables and set(tables) <= VIEWER_READABLE, f"{spec.key}: {tables}"
            if "pub_learning" in tables:  # the learning table: its counts ('c' or digits) or its shares
                assert set(tables) == {"pub_learning"} and (spec.suppressed or spec.unit == "percent"), spec.key
            # the stream's live table is national only (streams/figures/public.py): not an area table
            elif any(t.startswith("pub_") and t != LIVE_FIGURES for t in tables) or "local_authority" in spec.sql:
                assert spec.suppressed and set(tables) <= {"pub_local_authority_notifications",
                                                           "pub_region_notifications"}, spec.key


def test_local_area_panels_read_suppressed_viewer_tables_only():
    board = builders()["local_area"]()
    assert board.specs and all(s.suppressed for s in board.specs)
    assert all(re.search(r"\{database\}\.pub_(local_authority|region)_notifications", s.sql) for s in board.specs)
    text = rendered()["cspr-local-area.json"]
    assert '"name": "local_authority"' in text and "E09000001" in text


def test_a_panel_function_whose_name_does_not_say_its_type_is_refused():
    @panel
    def notifications_table() -> Panel:
        return Panel(title="t", kind="barchart", sql="SELECT 1", description="d")

    with pytest.raises(ValueError, match="must end in its panel type"):
        notifications_table()


def test_every_committed_file_is_a_dashboard_of_the_registry():
    assert sorted(p.name for p in JSON_DIR.glob("*.json")) == sorted(rendered())
