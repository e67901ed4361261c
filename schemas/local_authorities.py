"""England's 151 upper-tier local authorities with children's services in 2020 (ONS codes).

The list is a copy of the Panel's reference file, shipped inside the package so the contract
is checked the same way on every machine.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class LocalAuthority:
    code: str
    name: str
    region_code: str
    region_name: str


def _load() -> tuple[LocalAuthority, ...]:
    text = resources.files("schemas.reference").joinpath("local_authorities_2020.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return tuple(LocalAuthority(r["code"], r["name"], r["region_code"], r["region_name"]) for r in rows)


LOCAL_AUTHORITIES: tuple[LocalAuthority, ...] = _load()
LA_CODES: frozenset[str] = frozenset(la.code for la in LOCAL_AUTHORITIES)
LA_BY_CODE: dict[str, LocalAuthority] = {la.code: la for la in LOCAL_AUTHORITIES}

PANEL_SOURCE = "urn:cspr:panel"
LA_SOURCE_PREFIX = "urn:cspr:la:"


def la_source(code: str) -> str:
    """The CloudEvents ``source`` of a local authority: ``urn:cspr:la:<code>``."""
    return LA_SOURCE_PREFIX + code


def la_code_of(source: str) -> str | None:
    """The LA code in an LA ``source``, or None for the Panel or anything else."""
    return source[len(LA_SOURCE_PREFIX):] if source.startswith(LA_SOURCE_PREFIX) else None
