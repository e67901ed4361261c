"""A database may have any name check_database_name accepts: the models' table aliases never shadow it.

ClickHouse resolves ``m.int_lcspr_milestones_as_at`` (a ref into database ``m``) against a table
alias ``m`` in the same query first, so a database named like an alias failed the build. Table
aliases start with ``_`` and database names with a letter, so the two cannot meet.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.warehouse.figures import read_figures
from infra.warehouse.raw_store import RawStoreError, check_database_name, ensure_raw_store
from producers.reference.figures import figures_from_replay
from producers.reference.history import replay
from tests.dbt.loading import build, load_replay
from tests.dbt.random_history import random_history

DBT = Path(__file__).resolve().parents[2] / "dbt"
# What may follow a table expression in place of an alias.
_NOT_ALIASES = {
    "on", "using", "where", "prewhere", "group", "order", "having", "limit", "union", "settings", "final",
    "sample", "format", "window", "qualify", "except", "intersect", "select",
    "left", "right", "inner", "outer", "full", "cross", "join", "array", "global", "any", "all", "semi",
    "anti", "asof", "paste",
    "and",  # in Python SQL an f-string placeholder (scanned as _x) may hold "table WHERE ...": FROM _x AND
}
_SKIPPED = re.compile(r"\s+|\{%.*?%\}", re.S)


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*|\{#.*?#\}", lambda m: " " * len(m.group()), sql, flags=re.S)


def _skip(sql: str, i: int) -> int:
    while (m := _SKIPPED.match(sql, i)) and m.end() > i:
        i = m.end()
    return i


def _past(sql: str, i: int, opening: str, closing: str) -> int:
    depth = 0
    for j in range(i, len(sql)):
        if sql.startswith(opening, j):
            depth += 1
        elif sql.startswith(closing, j):
            depth -= 1
            if depth == 0:
                return j + len(closing)
    raise AssertionError(f"unbalanced {opening!r} at {sql[i:i + 60]!r}")


def table_aliases(sql: str) -> Iterator[str]:
    """The alias of every table expression after FROM / JOIN (ARRAY JOIN names columns, not tables)."""
    sql = _without_comments(sql)
    for keyword in re.finditer(r"\b(from|join)\b", sql, re.IGNORECASE):
        if re.search(r"\barray\s+$", sql[:keyword.start()], re.IGNORECASE):
            continue
        i = _skip(sql, keyword.end())
        if sql.startswith("{{", i):  # a ref(), source() or macro
            i = _past(sql, i, "{{", "}}")
        elif sql.startswith("(", i):  # a subquery
            i = _past(sql, i, "(", ")")
        elif name := re.compile(r"[\w.]+").match(sql, i):  # a CTE, or a table function
            i = name.end()
            if sql.startswith("(", i):
                i = _past(sql, i, "(", ")")
        else:
            continue
        alias = re.compile(r"(as\s+)?(\w+)", re.IGNORECASE).match(sql, _skip(sql, i))
        if alias and (alias.group(1) or alias.group(2).lower() not in _NOT_ALIASES):
            yield alias.group(2)


def qualifiers(sql: str) -> Iterator[str]:
    """Every ``x`` of ``x.column`` in the SQL (not in comments, strings or Jinja; ``t.1`` is a tuple's)."""
    sql = re.sub(r"--[^\n]*|\{#.*?#\}|\{%.*?%\}|'[^']*'", " ", sql, flags=re.S)
    sql = re.sub(r"\{\{.*?\}\}", "jinja", sql, flags=re.S)  # n.{{ f }} is a qualifier too
    for m in re.finditer(r"(?<![\w.])([A-Za-z_]\w*)\.[A-Za-z_*]", sql):
        yield m.group(1)


def _refused(name: str) -> bool:
    try:
        check_database_name(name)
    except RawStoreError:
        return True
    return False


def test_the_scan_finds_table_aliases_and_qualifiers():
    sql = """with c as (select 1 as n)  -- from x as comment
    select _y.a, y.b from {{ ref('m') }} as _y cross join (select 2) as s left join c on c.n = _y.a and n.{{ f }} = 1
    array join items as item join numbers(12) m"""
    assert list(table_aliases(sql)) == ["_y", "s", "m"]
    assert set(qualifiers(sql)) == {"_y", "y", "c", "n"}


def test_no_table_alias_or_qualifier_in_the_dbt_project_can_be_a_database_name():
    files = sorted(DBT.rglob("*.sql"))
    assert len(files) > 40
    clashing = {
        f"{path.relative_to(DBT)}: {name}"
        for path in files
        for name in {*table_aliases(path.read_text()), *qualifiers(path.read_text())}
        if not _refused(name)
    }
    assert not clashing, f"accepted as database names: {sorted(clashing)}"


def test_a_database_name_starts_with_a_letter_and_is_not_the_servers_own():
    assert check_database_name("m") == "m"
    with pytest.raises(RawStoreError, match=r"invalid ClickHouse database name '_m': .*starting with a letter"):
        check_database_name("_m")
    for own in ("system", "INFORMATION_SCHEMA"):
        with pytest.raises(RawStoreError, match=rf"invalid ClickHouse database name '{own}': the server's own"):
            check_database_name(own)


def test_the_marts_build_into_a_database_named_m(warehouse):
    """Every model and dbt test, in a database named like the alias that used to break the build."""
    as_of = dt.date(2021, 12, 31)
    result = replay(random_history(seed=7, cases=120))
    ensure_raw_store(warehouse.client, "m")
    try:
        load_replay(warehouse.client, "m", result)
        build(warehouse.data_dir, "m", as_of)
        for year in (2020, 2021):
            assert read_figures(warehouse.client, "m", year, as_of) == figures_from_replay(result, year, as_of)
        monthly = warehouse.client.query("SELECT sum(notifications) FROM m.rpt_notifications_monthly").result_rows
        reports = warehouse.client.query("SELECT count() FROM m.rpt_lcspr_reports").result_rows
        assert monthly[0][0] > 0 and reports[0][0] > 0
    finally:
        warehouse.drop("m")


_SQL = re.compile(r"\bSELECT\b|\bJOIN\b")


def _python_sql() -> dict[str, str]:
    """The SQL the platform writes in Python: every dashboard panel's and alert rule's, and every
    string literal with SELECT or JOIN in the platform's modules (docstrings left out)."""
    from dashboards import builders
    from infra.warehouse.alerts import RULES

    out = {f"panel {p.title}": p.sql for make in builders().values() for p in make().specs}
    out |= {f"alert {r.uid}": r.sql for r in RULES}
    root = Path(__file__).resolve().parents[2]
    for package in ("infra", "dashboards", "streams", "producers"):
        for module in sorted((root / package).rglob("*.py")):
            texts = _string_literals(module.read_text())
            out |= {f"{module.relative_to(root)} #{i}": t for i, t in enumerate(texts) if _SQL.search(t)}
    return out


def _string_literals(source: str) -> Iterator[str]:
    """Each string expression of a module but its docstrings: an f-string's placeholders become
    ``_x``, implicitly concatenated parts stay one string."""
    tree = ast.parse(source)
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    parts_of_fstrings = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        if id(node) in docstrings or id(node) in parts_of_fstrings:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.JoinedStr):
            yield "".join(str(v.value) if isinstance(v, ast.Constant) else "_x" for v in node.values)


def test_no_table_alias_or_qualifier_in_python_sql_can_be_a_database_name():
    """The same rule for the SQL in Python: a database named ``m`` broke the national overview's
    panels (``... AS m``) after the dbt project was fixed."""
    sql = _python_sql()
    assert len(sql) > 40 and any("INNER JOIN keyed AS" in text for text in sql.values())
    clashing = {
        f"{where}: {name}"
        for where, text in sql.items()
        for name in {*table_aliases(text), *qualifiers(text)}
        if not _refused(name)
    }
    assert not clashing, f"accepted as database names: {sorted(clashing)}"
