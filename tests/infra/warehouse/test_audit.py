"""The disclosure audit reads published tables only and finds every 'c' it can pin or bound within
the threshold: it catches the leak the old SQL suppression published (a region total beside its
authorities), an exact band count, and passes what the disclosure-control step publishes for any
history (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.warehouse.audit import audit_tables
from infra.warehouse.viewer import viewer_rows
from schemas.disclosure import PERIODS, band_of
from schemas.local_authorities import LOCAL_AUTHORITIES

EAST = [la for la in LOCAL_AUTHORITIES if la.region_name == "East of England"]
AS_OF = dt.date(2021, 3, 31)


def audit_view(tables: dict, threshold: int = 2) -> list:
    """The audit on viewer rows, with only the columns a viewer's query reads."""
    return audit_tables(
        [(r[1], r[2], r[3], r[5], r[7]) for r in tables["pub_local_authority_notifications"]],
        [(r[1], r[2], r[3], r[4], r[5]) for r in tables["pub_region_notifications"]],
        [(r[1], r[2], r[4]) for r in tables["pub_notifications_per_la_band"]],
        threshold,
    )


def old_sql_tables() -> tuple[list, list, list]:
    """The 2020 East of England rows as the old marts published them: the region's 28 shown,
    its visible authorities adding up to 22, six authorities 'c' (each in fact 1)."""
    ones = {la.code for la in EAST[:6]}
    rest = [la.code for la in EAST[6:]]
    shown = dict(zip(rest, [7, 6, 5, 4, 0], strict=False))
    la_rows = [(2020, "year", la.code, la.region_code, "c" if la.code in ones else str(shown.get(la.code, 0)))
               for la in EAST]
    region_rows = [(2020, "year", EAST[0].region_code, "East of England", "28"),
                   (2020, "year", "E92000001", "England", "28")]
    return la_rows, region_rows, []


def test_the_audit_catches_the_region_total_minus_the_shown_authorities():
    la_rows, region_rows, bands = old_sql_tables()
    assert sum(int(r[4]) for r in la_rows if r[4] != "c") == 22
    exposed = audit_tables(la_rows, region_rows, bands, 2)
    assert sorted(f.cell[3] for f in exposed) == sorted(la.code for la in EAST[:6])
    assert all((f.low, f.high) == (1, 1) for f in exposed)
    assert "between 1 and 1" in exposed[0].text


def test_a_cell_bounded_within_the_threshold_is_exposed_though_not_pinned():
    # two 'c' sharing a residual of 3: each is 1 or 2, never above the threshold
    la_rows = [(2020, "year", EAST[0].code, EAST[0].region_code, "c"),
               (2020, "year", EAST[1].code, EAST[0].region_code, "c"),
               (2020, "year", EAST[2].code, EAST[0].region_code, "40")]
    region_rows = [(2020, "year", EAST[0].region_code, "East of England", "43")]
    exposed = audit_tables(la_rows, region_rows, [], 2)
    assert [(f.low, f.high) for f in exposed] == [(1, 2), (1, 2)]
    # with a residual of 4 each could be 3: protected
    region_rows = [(2020, "year", EAST[0].region_code, "East of England", "44")]
    assert audit_tables(la_rows, region_rows, [], 2) == []


def test_an_exact_band_count_is_caught():
    la_rows, region_rows, _ = old_sql_tables()
    # the old band table: 6 authorities with 1-2 notifications tells how many 'c' are primary
    exposed = audit_tables(la_rows, region_rows, [(2020, "1-2", 6)], 2)
    assert any(f.cell[0] == "bands" for f in exposed)


# small worlds: 2-3 regions of 2-7 authorities, so hypothesis can try many histories quickly
REGIONS = sorted({la.region_code for la in LOCAL_AUTHORITIES})


@st.composite
def histories(draw):
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=2, max_size=3, unique=True))
    las = []
    for r in regions:
        members = [la for la in LOCAL_AUTHORITIES if la.region_code == r]
        las += members[: draw(st.integers(2, min(7, len(members))))]
    # mostly small counts (many 0s, 1s and 2s), sometimes large
    count = st.one_of(st.integers(0, 3), st.integers(0, 3), st.integers(0, 12))
    counts = {(2020, q, la.code): draw(count) for q in range(1, 5) for la in las}
    threshold = draw(st.sampled_from([1, 2, 2, 3]))
    return [(la.code, la.name, la.region_code, la.region_name) for la in las], counts, threshold


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_whatever_the_history_the_published_tables_pass_the_audit(history):
    las, counts, threshold = history
    tables = viewer_rows(AS_OF, [2020], las, counts, threshold)
    assert audit_view(tables, threshold) == []
    # primary suppression holds; a shown figure is the exact one; zeros are shown
    exact = {}
    for (y, q, la), n in counts.items():
        exact[(y, f"Q{q}", la)] = n
        exact[(y, "year", la)] = exact.get((y, "year", la), 0) + n
    for row in tables["pub_local_authority_notifications"]:
        n, text = exact[(row[1], row[2], row[3])], row[7]
        assert text == ("c" if 1 <= n <= threshold else text)
        assert text == "c" or text == str(n)
        assert n != 0 or text == "0"
    # the bands count published figures
    bands = {r[2]: r[4] for r in tables["pub_notifications_per_la_band"]}
    shown_years = [r[7] for r in tables["pub_local_authority_notifications"] if r[2] == "year"]
    assert sum(bands.values()) == (len(las) if shown_years else 0)
    for band, k in bands.items():
        assert k == sum(1 for t in shown_years if band_of(t, threshold) == band)
    assert {r[2] for r in tables["pub_local_authority_notifications"]} <= set(PERIODS)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), cases=st.integers(40, 400))
def test_random_event_histories_published_as_the_build_does_pass_the_audit(seed, cases):
    """Random event histories (every kind of event, corrections and withdrawals), folded by the
    reference calculator as at T, then published for all 151 authorities."""
    from producers.reference.figures import cases_as_at
    from producers.reference.history import replay
    from tests.dbt.random_history import random_history

    folded = cases_as_at(replay(random_history(seed=seed, cases=cases)).accepted, AS_OF)
    counts: dict = {}
    for case in folded:
        d = case.notified_date
        key = (d.year, (d.month - 1) // 3 + 1, case.incident.get("local_authority", case.la))
        counts[key] = counts.get(key, 0) + 1
    years = sorted({y for y, _, _ in counts})
    las = [(la.code, la.name, la.region_code, la.region_name) for la in LOCAL_AUTHORITIES]
    tables = viewer_rows(AS_OF, years, las, counts, 2)
    assert audit_view(tables) == []
    shown = {(r[1], r[2], r[3]): r[7] for r in tables["pub_local_authority_notifications"]}
    for (y, q, la), n in counts.items():
        if (y, f"Q{q}", la) in shown:
            assert shown[(y, f"Q{q}", la)] in ("c", str(n)) and (n > 2 or shown[(y, f"Q{q}", la)] == "c")
