"""Small reference figures the panels compare against, with their sources.

``CENSUS_2011_CHILD_ETHNICITY_PCT``: the ethnic breakdown of England's 0–17 year-olds in the
2011 Census (ONS), as the Child Safeguarding Practice Review Panel's annual report 2020 prints
it in Table 1 ("Percentage of 0-17 year olds in 2011 census"). Keys are the contract's
ethnicity values; "any other ethnic group" is ``other``. They add to 99.9 because of rounding.
"""

from __future__ import annotations

CENSUS_2011_CHILD_ETHNICITY_PCT: dict[str, float] = {
    "asian": 9.7,
    "black": 4.7,
    "mixed": 5.0,
    "white_british": 79.3,
    "other": 1.2,
}
CENSUS_SOURCE = "ONS 2011 Census, 0-17 year olds in England, as in the Panel's annual report 2020, Table 1"


def census_values_sql() -> str:
    """The census shares as a ClickHouse table expression (ethnicity, census_pct), for panel SQL."""
    rows = ", ".join(f"('{k}', {v})" for k, v in CENSUS_2011_CHILD_ETHNICITY_PCT.items())
    return f"(SELECT * FROM values('ethnicity String, census_pct Float64', {rows}))"
