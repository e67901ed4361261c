"""The one definition of the percentage rounding rule, the authority bands and the comparison
period (``schemas.figures``), and the SQL copies that must agree with it: the dashboards' panel
SQL (``pct_sql``) and dbt's macro ``pct_one_decimal``, run on chDB over a grid of values; dbt's
band ``multiIf`` and its period vars."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.figures import (
    LA_BAND_NAMES,
    LA_BANDS,
    PERIOD_FROM,
    PERIOD_TO,
    comparison_period,
    la_band,
    pct,
    pct_sql,
    year_before,
)

DBT = Path(__file__).resolve().parents[2] / "dbt"
GRID = [(n, d) for d in range(1, 161) for n in range(-40, 2 * d + 1)]  # every n/d, halves included


def exact(n: int, d: int) -> Fraction:
    """The rule from its words, in exact fractions: 100 n / d, halves away from zero, one decimal."""
    tenths = Fraction(1000 * n, d)
    whole, rest = divmod(abs(tenths), 1)
    return Fraction((whole + (rest >= Fraction(1, 2))) * (1 if n >= 0 else -1), 10)


def test_pct_rounds_halves_away_from_zero_to_one_decimal() -> None:
    assert pct(1, 8) == 12.5 and pct(1, 16) == 6.3 and pct(-1, 16) == -6.3 and pct(54, 200) == 27.0
    assert pct(5, 80) == 6.3  # 6.25: Python's round() says 6.2
    assert pct(29, 200) == 14.5 and pct(23, 2000) == 1.2 and pct(1, 3) == 33.3 and pct(2, 3) == 66.7
    assert pct(0, 7) == 0.0 and pct(1, 0) is None and pct(0, 0) is None


def test_pct_agrees_with_the_rule_in_exact_fractions_on_a_grid() -> None:
    wrong = [(n, d) for n, d in GRID if Decimal(str(pct(n, d))) != Decimal(exact(n, d).numerator) / exact(n, d).denominator]
    assert wrong == []


def grid_sql(expression: str) -> str:
    """GRID, made in SQL (every n from -40 to 2d for each d from 1 to 160), with the expression."""
    return (f"SELECT n, d, {expression} AS p FROM (SELECT toInt64(d) AS d, toInt64(arrayJoin(range(toUInt64(2 * d + 41)))) - 40 AS n "
            "FROM (SELECT number + 1 AS d FROM numbers(160))) ORDER BY d, n")


def dbt_macro(name: str, args: tuple[str, ...]) -> str:
    """A dbt macro's SQL with its arguments filled in (the macros here are plain substitutions)."""
    text = "".join(p.read_text() for p in sorted((DBT / "macros").glob("*.sql")))
    found = re.search(r"\{%\s*macro\s+" + name + r"\(([^)]*)\)\s*-?%\}(.*?)\{%-?\s*endmacro\s*%\}", text, re.S)
    assert found, f"no macro {name} in dbt/macros"
    params = [p.strip() for p in found[1].split(",")]
    body = found[2]
    for param, arg in zip(params, args, strict=True):
        body = re.sub(r"\{\{\s*" + param + r"\s*\}\}", arg, body)
    assert "{{" not in body and "{%" not in body, body
    return body


@pytest.mark.parametrize("source", ["dashboards (pct_sql)", "dbt (pct_one_decimal)"])
def test_the_sql_of_the_rule_agrees_with_pct_on_the_grid(warehouse: Any, source: str) -> None:
    expression = pct_sql("n", "d") if source.startswith("dashboards") else dbt_macro("pct_one_decimal", ("n", "d"))
    rows = warehouse.client.query(grid_sql(expression)).result_rows
    assert len(rows) == len(GRID)
    wrong = [(n, d, p, pct(n, d)) for n, d, p in rows if p != pct(n, d)]
    assert wrong == [], f"{source} differs from schemas.figures.pct at {wrong[:5]}"
    assert warehouse.client.query(f"SELECT {pct_sql('1', '0')}").result_rows == [(None,)]


def test_la_bands_cover_every_count_once_in_order() -> None:
    assert LA_BAND_NAMES == ("0", "1-2", "3-6", "7+")
    assert [la_band(n) for n in range(9)] == ["0", "1-2", "1-2", "3-6", "3-6", "3-6", "3-6", "7+", "7+"]
    assert la_band(10_000) == "7+"
    for (_, _, hi), (_, lo, _) in itertools.pairwise(LA_BANDS):
        assert hi is not None and lo == hi + 1
    with pytest.raises(ValueError, match="negative"):
        la_band(-1)


def test_dbt_bands_authorities_as_the_definition_does(warehouse: Any) -> None:
    model = (DBT / "models" / "marts" / "fct_local_authority_notifications.sql").read_text()
    found = re.search(r"(multiIf\(notifications\b.*?\))\s+as\s+band", model, re.S)
    assert found, "the band expression of fct_local_authority_notifications"
    rows = warehouse.client.query(
        f"SELECT notifications, {found[1]} FROM (SELECT toUInt64(number) AS notifications FROM numbers(60))").result_rows
    assert [(n, la_band(n)) for n in range(60)] == [tuple(r) for r in rows]


def test_dbt_compares_the_same_period() -> None:
    project = yaml.safe_load((DBT / "dbt_project.yml").read_text())
    assert (project["vars"]["period_from"], project["vars"]["period_to"]) == (PERIOD_FROM, PERIOD_TO)
    assert comparison_period(2020) == (dt.date(2020, 4, 1), dt.date(2020, 9, 30))
    assert year_before(dt.date(2020, 2, 29)) == dt.date(2019, 2, 28)
    assert year_before(dt.date(2020, 9, 30)) == dt.date(2019, 9, 30)
