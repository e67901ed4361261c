"""The 151 authorities shipped with the package, and their sources."""

from __future__ import annotations

import re

from schemas.local_authorities import (
    LA_BY_CODE,
    LA_CODES,
    LOCAL_AUTHORITIES,
    PANEL_SOURCE,
    la_code_of,
    la_source,
)
from schemas.types import LA_SOURCES


def test_there_are_151_english_authorities_each_with_a_region() -> None:
    assert len(LOCAL_AUTHORITIES) == len(LA_CODES) == 151
    assert all(re.fullmatch(r"E(06|08|09|10)[0-9]{6}", la.code) for la in LOCAL_AUTHORITIES)
    assert all(la.name and la.region_code and la.region_name for la in LOCAL_AUTHORITIES)
    assert len({la.region_code for la in LOCAL_AUTHORITIES}) == 9
    assert LA_BY_CODE["E06000001"].name == "Hartlepool"


def test_sources_round_trip_to_codes() -> None:
    assert la_source("E06000001") == "urn:cspr:la:E06000001"
    assert la_code_of("urn:cspr:la:E06000001") == "E06000001"
    assert la_code_of(PANEL_SOURCE) is None
    assert la_code_of("urn:cspr:lab:E06000001") is None
    assert {la_code_of(s) for s in LA_SOURCES} == LA_CODES
