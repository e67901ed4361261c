"""The disclosure-control function on small tables whose answer is known by hand."""

from __future__ import annotations

from schemas.disclosure import ENGLAND, band_of, bands, suppress, suppress_areas
from schemas.local_authorities import LOCAL_AUTHORITIES

NE = [la.code for la in LOCAL_AUTHORITIES if la.region_name == "North East"]
REGIONS = {la.code: la.region_code for la in LOCAL_AUTHORITIES}


def test_a_lone_small_count_takes_the_smallest_non_zero_partner_and_zeros_stay_shown():
    values = {("t",): 15, ("a",): 1, ("b",): 5, ("c",): 9, ("z",): 0}
    hidden, stuck = suppress(values, [(("t",), (("a",), ("b",), ("c",), ("z",)))], 2, fixed=[("t",)])
    assert hidden == {("a",), ("b",)} and not stuck


def test_two_small_counts_sharing_a_residual_within_the_threshold_take_a_third():
    # 1 + 1 = 2 left by the total: each could be at most 1; adding the 4 lets each reach 5
    values = {("t",): 30, ("a",): 1, ("b",): 1, ("c",): 4, ("d",): 24}
    hidden, _ = suppress(values, [(("t",), (("a",), ("b",), ("c",), ("d",)))], 2, fixed=[("t",)])
    assert hidden == {("a",), ("b",), ("c",)}


def test_a_fixed_total_within_the_threshold_cannot_be_protected_and_says_so():
    values = {("t",): 2, ("a",): 1, ("b",): 1, ("z",): 0}
    _, stuck = suppress(values, [(("t",), (("a",), ("b",), ("z",)))], 2, fixed=[("t",)])
    assert stuck == {("a",), ("b",)}


def test_the_area_tables_suppress_across_quarters_and_years():
    # one authority with 1, 1, 2, 0 by quarter: its year (4) beside them pins each quarter to
    # 1..2, so the year goes too, and another authority's year goes with it in the region
    counts = {(2020, q, NE[0]): n for q, n in zip(range(1, 5), (1, 1, 2, 0), strict=True)}
    counts.update({(2020, q, NE[1]): 9 for q in range(1, 5)})
    counts.update({(2020, q, NE[2]): 7 for q in range(1, 5)})
    cells, withheld = suppress_areas(counts, REGIONS, 2)
    assert not withheld
    assert cells[(2020, "year", "la", NE[0])] == (4, True)
    assert cells[(2020, "Q4", "la", NE[0])] == (0, False)
    assert cells[(2020, "year", "england", ENGLAND)] == (68, False)
    # no year is left alone in its region
    year_hidden = [la for la in NE if cells[(2020, "year", "la", la)][1]]
    assert len(year_hidden) >= 2


def test_bands_never_split_a_suppressed_figure():
    assert bands(2) == ("0", "c", "3-6", "7+")
    assert [band_of(t, 2) for t in ("0", "c", "3", "6", "7", "40")] == ["0", "c", "3-6", "3-6", "7+", "7+"]


def test_a_small_cell_in_no_published_sum_is_suppressed_alone():
    """A figure that stands alone (a learning count no total contains) is 'c' when small and needs
    no partner: nothing bounds it (the suppression used to call the solver with no equation)."""
    from schemas.disclosure import suppress

    hidden, stuck = suppress({("a",): 1, ("b",): 40, ("t",): 41, ("u",): 2}, [(("t",), (("b",), ("a",)))], 2)
    assert ("u",) in hidden and ("a",) in hidden and not stuck
