"""The calibrated history: 2018 to 2021-03-31, whose 2020 figures as at 2021-03-31 are the report's.

The construction is explicit. Each target count is first *assigned* to generated cases
deterministically (a multiset of values of exactly the target size, dealt out to the cases
it may apply to), then everything the figures leave open is drawn from the seed: which cases,
dates within their windows, ages within bands, times of day, ids, corrections, withdrawals.

Order of the construction (each step only uses what earlier steps fixed):

1. 2020 notification dates in six segments cut where a figure changes meaning: the relaxation
   window of the requested completion date (notified 11 Mar - 9 Sep), the April-September
   period, and the end of requested completion dates in 2020 (notified by 8 Dec). Segment
   sizes solve the period, relaxation and timeliness totals; the not-received reviews are
   pinned first to the one working day that gives each elapsed count.
2. Local authorities: bands 0 / 1-2 / 3-6 / 7+ with exactly the target number of LAs, counts
   within bands summing to the total, dealt to cases.
3. Incident fields: exact multisets of harm/category/subcategory, ages (constrained categories
   first), genders, ethnicities (siblings share), IMD, characteristics and service involvement
   (weighted towards coherent combinations); neglect among deaths split as para 25 gives it
   (``targets/report-2020-learning.json``, see producers/reference/LEARNING.md).
4. Rapid reviews: exact timeliness buckets per period, elapsed working days drawn in the bucket.
5. 2018/2019/2021 cases drawn freely; then the reviews received in 2020 topped up to the target
   from late-2019 cases, feedback dealt exactly, decisions dealt exactly (LCSPRs per group of
   harm at para 67's rates), LCSPR initiations per
   year and the LCSPR reports with their end-of-year status constructed on suitable cases.
6. Withdrawn extra notifications, corrections whose final values are the calibrated ones,
   duplicate deliveries and notifications delivered after their next event.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import random
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from producers.simulator.incidents import (
    AGE_BAND_RANGES,
    SINGLE_CHILD,
    age_range,
    characteristic_weight,
    incident_date_before,
    random_incident,
)
from producers.simulator.lifecycle import (
    CasePlan,
    EventWriter,
    Fact,
    child,
    plus_wd,
    spread_dates,
    weighted_sample,
)
from schemas.calendar import (
    add_working_days,
    in_relaxation,
    is_working_day,
    requested_completion_date,
    working_days,
)
from schemas.incidents import CASE_CHARACTERISTICS, HARM_TYPES
from schemas.local_authorities import LOCAL_AUTHORITIES

YEAR = 2020
AS_OF = dt.date(2021, 3, 31)
CUTOFF = dt.datetime(2021, 3, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
START = dt.date(2018, 6, 29)  # the Panel's notification duty began on 29 June 2018


class CalibrationError(RuntimeError):
    """The construction could not meet a target (a bug: every seed must calibrate)."""


def targets() -> dict[str, Any]:
    text = resources.files("producers.simulator.targets").joinpath("report-2020-figures.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@dataclass
class Case:
    """One case being constructed: its final incident fields and its planned facts."""

    notified: dt.date
    la: str = ""
    incident: dict[str, Any] = field(default_factory=dict)
    received: dt.date | None = None  # first rapid review
    decision: str | None = None  # decision as at T
    decided: dt.date | None = None
    facts: list[Fact] = field(default_factory=list)
    initial: dict[str, Any] | None = None  # notification as first sent, if corrected later
    withdrawn: bool = False
    tag: str = ""

    @property
    def age(self) -> int:
        return int(self.incident["children"][0]["age_years"])


def _deal(rng: random.Random, counts: dict[Any, int], cases: list[Any]) -> list[tuple[Any, Any]]:
    """Pair each case with one value of the exact multiset ``counts`` (sizes must agree)."""
    values = [v for v, n in counts.items() for _ in range(n)]
    if len(values) != len(cases):
        raise CalibrationError(f"{len(values)} values for {len(cases)} cases")
    rng.shuffle(values)
    return list(zip(cases, values, strict=True))


def learning_targets() -> dict[str, Any]:
    """The learning figures the report states, as counts (producers/reference/LEARNING.md)."""
    text = resources.files("producers.simulator.targets").joinpath("report-2020-learning.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


RELATED_TO_MALTREATMENT = ("sudi", "suicide", "maltreatment_related_death")
DIRECT_OR_EXTRA_FAMILIAL = ("overt_filicide", "covert_filicide", "fatal_physical_abuse", "severe_persistent_cruelty",
                            "extreme_neglect", "extra_familial_homicide", "extra_familial_fatal_assault")


def _harm_group(c: Case) -> str:
    """Para 67's groups (the oracle's producers.reference.learning.harm_group, on a plan)."""
    if c.incident["harm_type"] != "death":
        return "non_fatal"
    if c.incident["category"] in DIRECT_OR_EXTRA_FAMILIAL:
        return "direct_or_extra_familial_death"
    if c.incident["category"] in RELATED_TO_MALTREATMENT:
        return "death_related_to_maltreatment"
    return "other_death"


def _by_harm_group(cases: list[Case]) -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    for c in cases:
        out.setdefault(_harm_group(c), []).append(c)
    return out


def _working_day_with_elapsed(elapsed: int) -> dt.date:
    """The working day d with working_days(d, AS_OF) == elapsed."""
    d = AS_OF - dt.timedelta(days=elapsed * 7 // 5)
    while working_days(d, AS_OF) > elapsed or not is_working_day(d):
        d += dt.timedelta(days=1)
    while working_days(d, AS_OF) < elapsed:
        d -= dt.timedelta(days=1)
    while not is_working_day(d):
        d -= dt.timedelta(days=1)
    assert working_days(d, AS_OF) == elapsed
    return d


def _season(d: dt.date) -> float:
    # More notifications after the first lockdown eased, fewer in the March 2020 lockdown weeks.
    if dt.date(2020, 3, 23) <= d <= dt.date(2020, 4, 30):
        return 0.8
    return 1.0 + 0.08 * (d.month in (5, 6, 7, 10, 11))


class Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.t = targets()
        self.learning = learning_targets()
        self.secret = f"cspr-simulator-partner-secret-{seed}"
        self.cases: list[Case] = []

    # -- 1. dates ------------------------------------------------------------------------
    def notification_dates(self) -> tuple[list[Case], list[dt.date]]:
        rng, t = self.rng, self.t["rapid_review_timeliness"]
        total = self.t["notifications"]["total"]
        relax_total = sum(v["received"] + v["not_received"] for v in t["relaxation"].values())
        outside_total = sum(v["received"] + v["not_received"] for v in t["outside_relaxation"].values())
        period = self.t["period_change"]["current"]
        b = rng.randint(5, 9)  # December 2019 notifications due in January 2020
        n4 = rng.randint(20, 27)  # 10-30 September: in the period, due after the window
        n3, n2 = period - n4, relax_total - (period - n4)
        n15 = outside_total - b - n4
        n1 = n15 // 2 + rng.randint(-6, 6)
        n5 = n15 - n1
        n6 = total - n1 - n2 - n3 - n4 - n5
        segments = [  # (first, last, count)
            (dt.date(2020, 1, 1), dt.date(2020, 3, 10), n1), (dt.date(2020, 3, 11), dt.date(2020, 3, 31), n2),
            (dt.date(2020, 4, 1), dt.date(2020, 9, 9), n3), (dt.date(2020, 9, 10), dt.date(2020, 9, 30), n4),
            (dt.date(2020, 10, 1), dt.date(2020, 12, 8), n5), (dt.date(2020, 12, 9), dt.date(2020, 12, 31), n6),
        ]
        nr = t["not_received_working_days"]
        pinned: list[dt.date] = []
        for name, lo_hi_ranges, count in (
            ("outside_relaxation", [(nr["outside_relaxation"]["min"], 141), (268, nr["outside_relaxation"]["max"])],
             sum(v["not_received"] for v in t["outside_relaxation"].values())),
            ("relaxation", [(nr["relaxation"]["min"], nr["relaxation"]["max"])],
             sum(v["not_received"] for v in t["relaxation"].values())),
        ):
            lo, hi = nr[name]["min"], nr[name]["max"]
            pool = sorted({e for a, z in lo_hi_ranges for e in range(a + 1, z)} - {lo, hi})
            chosen = [lo, hi, *rng.sample(pool, count - 2)] if count >= 2 else [lo, hi][:count]
            pinned += [_working_day_with_elapsed(e) for e in chosen]
        dates: list[dt.date] = []
        for first, last, count in segments:
            fixed = [d for d in pinned if first <= d <= last]
            if count < len(fixed):
                raise CalibrationError(f"segment {first}..{last}: {count} < {len(fixed)} pinned")
            dates += fixed + spread_dates(rng, first, last, count - len(fixed), _season)
        cases = [Case(d) for d in dates]
        # mark exactly the pinned ones (a random date may coincide with a pinned one)
        remaining = list(pinned)
        for c in cases:
            if c.notified in remaining:
                remaining.remove(c.notified)
                c.tag = "nr"
        december_2019 = spread_dates(rng, dt.date(2019, 12, 9), dt.date(2019, 12, 31), b)
        return cases, december_2019

    # -- 2. local authorities --------------------------------------------------------------
    def local_authorities(self, cases: list[Case]) -> None:
        rng, bands = self.rng, self.t["notifications_per_local_authority"]
        size = {la.code: rng.lognormvariate(0, 0.6) for la in LOCAL_AUTHORITIES}
        order = sorted(size, key=lambda c: size[c] * rng.uniform(0.6, 1.4))  # smallest first
        spec = [("0", 0, 0), ("1-2", 1, 2), ("3-6", 3, 6), ("7+", 7, 24)]
        counts: dict[str, int] = {}
        caps: dict[str, int] = {}
        i = 0
        for name, lo, hi in spec:
            for code in order[i:i + bands[name]]:
                counts[code], caps[code] = lo, hi
            i += bands[name]
        spare = len(cases) - sum(counts.values())
        open_las = [c for c in counts if counts[c] < caps[c] and caps[c] > 0]
        while spare > 0:
            code = rng.choices(open_las, [size[c] for c in open_las])[0]
            counts[code] += 1
            spare -= 1
            if counts[code] == caps[code]:
                open_las.remove(code)
        for case, code in _deal(rng, counts, cases):
            case.la = code

    # -- 3. incident fields ------------------------------------------------------------------
    def incidents(self, cases: list[Case]) -> None:
        rng, t = self.rng, self.t
        kinds: dict[tuple[str, str, str | None], int] = {}
        subs = dict(t["maltreatment_related_subcategories"])
        for cat, n in t["death_categories"].items():
            if cat == "maltreatment_related_death":
                for sub, m in subs.items():
                    kinds[("death", cat, sub)] = m
            else:
                kinds[("death", cat, None)] = n
        for cat, by_harm in t["non_fatal_categories"].items():
            for harm, n in by_harm.items():
                kinds[(harm, cat, None)] = n
        for case, (harm, cat, sub) in _deal(rng, kinds, cases):
            case.incident = {"local_authority": case.la, "notified_date": case.notified.isoformat(),
                             "incident_date": incident_date_before(rng, case.notified).isoformat(),
                             "harm_type": harm, "category": cat, "subcategory": sub}
        self._children(cases)
        for case, q in _deal(rng, {int(k) if k != "not_recorded" else None: n
                                   for k, n in t["imd_quintile"].items()}, cases):
            case.incident["imd_quintile"] = q
        for case in cases:
            case.incident["case_characteristics"] = []
            case.incident["covid_factor"] = case.notified >= dt.date(2020, 3, 23) and rng.random() < 0.2
        for harm in HARM_TYPES:
            group = [c for c in cases if c.incident["harm_type"] == harm]
            for ch in CASE_CHARACTERISTICS:
                n = t["case_characteristics"][ch][harm]
                for members, k in self._strata(group, ch, harm, n):
                    weights = [characteristic_weight(ch, c.incident["category"], c.age) for c in members]
                    for c in weighted_sample(rng, members, weights, k):
                        c.incident["case_characteristics"].append(ch)
            self._services(group, harm)

    def _strata(self, group: list[Case], ch: str, harm: str, n: int) -> list[tuple[list[Case], int]]:
        """Who may have a characteristic, in groups with exact counts: neglect among deaths is
        split as para 25 gives it (SUDI; other deaths related to maltreatment; the rest)."""
        if ch != "neglect" or harm != "death":
            return [(group, n)]
        want = self.learning["neglect_in_deaths"]
        sudi = [c for c in group if c.incident["category"] == "sudi"]
        related = [c for c in group if c.incident["category"] in ("suicide", "maltreatment_related_death")]
        rest = [c for c in group if c.incident["category"] not in RELATED_TO_MALTREATMENT]
        return [(sudi, want["sudi"]), (related, want["death_related_to_maltreatment"] - want["sudi"]),
                (rest, n - want["death_related_to_maltreatment"])]

    def _children(self, cases: list[Case]) -> None:
        rng, t = self.rng, self.t["children"]
        band_left = dict(t["age_band"])
        extra = t["total"] - len(cases)
        multi = [c for c in cases if c.incident["category"] not in SINGLE_CHILD]
        sizes = [1] * len(cases)
        index = {id(c): i for i, c in enumerate(cases)}
        for _ in range(extra):
            c = rng.choice(multi)
            while sizes[index[id(c)]] >= 4:
                c = rng.choice(multi)
            sizes[index[id(c)]] += 1
        # first children: the most constrained categories choose their age band first
        ages: dict[int, list[int]] = {}
        order = sorted(cases, key=lambda c: (age_range(c.incident["category"], c.incident["subcategory"])[1]
                                             - age_range(c.incident["category"], c.incident["subcategory"])[0],
                                             rng.random()))
        for c in order:
            lo, hi = age_range(c.incident["category"], c.incident["subcategory"])
            bands = [b for b, (blo, bhi) in AGE_BAND_RANGES.items() if blo <= hi and bhi >= lo and band_left[b] > 0]
            if not bands:
                raise CalibrationError(f"no age band left for {c.incident['category']}")
            band = rng.choices(bands, [band_left[b] for b in bands])[0]
            band_left[band] -= 1
            blo, bhi = AGE_BAND_RANGES[band]
            ages[id(c)] = [rng.randint(max(lo, blo), min(hi, bhi))]
        sibling_bands = [b for b, n in band_left.items() for _ in range(n)]
        rng.shuffle(sibling_bands)
        for c in cases:
            for _ in range(sizes[index[id(c)]] - 1):
                blo, bhi = AGE_BAND_RANGES[sibling_bands.pop()]
                ages[id(c)].append(rng.randint(blo, bhi))
        # ethnicity per family: the largest families choose first among values with room
        eth_left = dict(t["ethnicity"])
        eth: dict[int, str] = {}
        for c in sorted(cases, key=lambda c: -len(ages[id(c)])):
            k = len(ages[id(c)])
            options = [e for e, n in eth_left.items() if n >= k]
            e = rng.choices(options, [eth_left[o] for o in options])[0]
            eth_left[e] -= k
            eth[id(c)] = e
        kids = [(c, i, a) for c in cases for i, a in enumerate(ages[id(c)])]
        genders = [g for g, n in t["gender"].items() for _ in range(n) if g != "transgender"]
        rng.shuffle(genders)
        teens = [k for k in kids if k[2] >= 13]
        trans = set(map(id, rng.sample(teens, t["gender"]["transgender"])))
        for c in cases:
            c.incident["children"] = []
        for kid in kids:
            c, i, age = kid[0], kid[1], kid[2]
            gender = "transgender" if id(kid) in trans else genders.pop()
            local = f"{c.la}-{c.notified:%Y%m%d}-{rng.getrandbits(32):08x}-{i}"
            c.incident["children"].append(child(rng, self.secret, local, age, gender, eth[id(c)]))

    def _services(self, group: list[Case], harm: str) -> None:
        rng, si = self.rng, self.t["service_involvement"]
        known = {v: by[harm] for v, by in si["known_to_csc"].items()}
        for c, v in _deal(rng, known, group):
            c.incident["service_involvement"] = {"known_to_csc": v}

        def assign(field_name: str, default: str, weight: Any) -> None:
            free = list(group)
            for value, by in si[field_name].items():
                if value == default:
                    continue
                picked = weighted_sample(rng, free, [weight(value, c) for c in free], by[harm])
                for c in picked:
                    c.incident["service_involvement"][field_name] = value
                    free.remove(c)
            for c in free:
                c.incident["service_involvement"][field_name] = default

        def court(value: str, c: Case) -> float:
            la = c.incident["service_involvement"]["known_to_csc"] == "looked_after"
            return (30.0 if la else 0.3) if value in ("care_order", "section_20") else 1.0

        def living(value: str, c: Case) -> float:
            s = c.incident["service_involvement"]
            cared = s["known_to_csc"] == "looked_after" or s["court_order"] in ("care_order", "section_20")
            if value in ("foster_care", "residential_home"):
                return 30.0 if cared else 0.3
            if value == "semi_independent":
                return (20.0 if cared else 1.0) if c.age >= 16 else 0.001
            return 1.0

        assign("court_order", "none", court)
        assign("living_situation", "at_home", living)

    # -- 4. rapid reviews of the timeliness table --------------------------------------------
    def timeliness(self, timely: list[Case]) -> None:
        rng, t = self.rng, self.t["rapid_review_timeliness"]
        for period in ("outside_relaxation", "relaxation"):
            group = [c for c in timely if c.tag != "nr"
                     and in_relaxation(requested_completion_date(c.notified)) == (period == "relaxation")]
            counts = {b: v["received"] for b, v in t[period].items()}
            for c, bucket in _deal(rng, counts, group):
                c.received = self._received(c.notified, bucket)

    def _received(self, notified: dt.date, bucket: str, latest: dt.date = AS_OF) -> dt.date:
        rng = self.rng
        room = working_days(notified, latest) - 1
        if bucket == "1-15":
            e = 15 - min(int(rng.expovariate(1 / 3.0)), 15)
        elif bucket == "16-25":
            e = rng.randint(16, 25)
        elif bucket == "26-59":
            e = 26 + min(int(rng.expovariate(1 / 10.0)), 33)
        else:
            e = 60 + min(int(rng.expovariate(1 / 20.0)), max(room - 60, 0))
        e = min(e, room)
        return plus_wd(notified, e)

    def natural_bucket(self) -> str:
        return self.rng.choices(("1-15", "16-25", "26-59", "60+"), (20, 45, 27, 8))[0]

    # -- 5. cases of other years -----------------------------------------------------------------
    def other_cases(self, december_2019: list[dt.date]) -> tuple[list[Case], list[Case]]:
        """2018, 2019 and 2021 notifications: free, except 200 in April-September 2019."""
        rng = self.rng
        windows = [
            (START, dt.date(2018, 12, 31), rng.randint(170, 200)),
            (dt.date(2019, 1, 1), dt.date(2019, 3, 31), rng.randint(90, 105)),
            (dt.date(2019, 4, 1), dt.date(2019, 9, 30), self.t["period_change"]["previous"]),
            (dt.date(2019, 10, 1), dt.date(2019, 12, 8), rng.randint(80, 95)),
            (dt.date(2021, 1, 1), dt.date(2021, 3, 31), rng.randint(110, 130)),
        ]
        dates = [d for a, z, n in windows for d in spread_dates(rng, a, z, n)] + december_2019
        older: list[Case] = []
        later: list[Case] = []
        size = {la.code: rng.lognormvariate(0, 0.6) for la in LOCAL_AUTHORITIES}
        codes = list(size)
        for d in dates:
            c = Case(d, la=rng.choices(codes, [size[x] for x in codes])[0])
            c.incident = random_incident(rng, c.la, d, self._child_maker(c))
            (later if d.year > YEAR else older).append(c)
            if d.year <= 2019:  # reviews of earlier years were all in by the end of 2019 unless topped up
                r = self._received(d, self.natural_bucket())
                c.received = r if d >= dt.date(2019, 12, 9) else min(r, dt.date(2019, 12, 31))
            else:
                r = self._received(d, self.natural_bucket())
                c.received = r if r <= plus_wd(d, working_days(d, AS_OF) - 1) and r < AS_OF else None
        return older, later

    def _child_maker(self, case: Case) -> Any:
        def make(i: int, age: int, gender: str, ethnicity: str) -> dict[str, Any]:
            local = f"{case.la}-{case.notified:%Y%m%d}-{self.rng.getrandbits(32):08x}-{i}"
            return child(self.rng, self.secret, local, age, gender, ethnicity)
        return make

    # -- 5b. reviews received in 2020, feedback, decisions ---------------------------------------
    def top_up_received(self, live: list[Case], older: list[Case]) -> None:
        rng = self.rng
        counted = sum(1 for c in live if c.received and c.received.year == YEAR)
        missing = self.t["rapid_reviews_received_in_year"] - counted
        pool = [c for c in older if dt.date(2019, 9, 1) <= c.notified <= dt.date(2019, 12, 8)]
        if not 0 <= missing <= len(pool):
            raise CalibrationError(f"{missing} reviews received in {YEAR} to top up from {len(pool)} cases")
        weights = [1.0 + (c.notified - dt.date(2019, 9, 1)).days / 10 for c in pool]
        for c in weighted_sample(rng, pool, weights, missing):
            first = max(plus_wd(c.notified, 20), dt.date(2020, 1, 2))
            c.received = plus_wd(first, min(int(rng.expovariate(1 / 12.0)), 50))

    def feedback(self, live: list[Case]) -> None:
        rng, fb = self.rng, self.t["panel_feedback"]
        in_year = [c for c in live if c.received and c.received.year == YEAR]
        dealt = {id(c): v for c, v in _deal(rng, {True: fb["agrees"], False: fb["disagrees"]}, in_year)}
        for c in live:
            if c.received is None:
                continue
            agrees = dealt[id(c)] if id(c) in dealt else rng.random() < 0.69
            day = plus_wd(c.received, rng.randint(4, 20))
            if id(c) in dealt and rng.random() < 0.04:  # first view revised after a conversation
                c.facts.append(Fact(plus_wd(c.received, 3), "panel.feedback_issued",
                                    {"feedback_date": plus_wd(c.received, 3).isoformat(), "agrees_with_decision": not agrees}, lag=0))
                day = plus_wd(c.received, rng.randint(8, 20))
            if day < AS_OF:
                c.facts.append(Fact(day, "panel.feedback_issued",
                                    {"feedback_date": day.isoformat(), "agrees_with_decision": agrees}))

    def decisions(self, year_cases: list[Case], others: list[Case]) -> None:
        rng, d = self.rng, self.t["lcspr_decisions"]
        reviewed = [c for c in year_cases if c.received]
        undecided = d["undecided"] - (len(year_cases) - len(reviewed))
        if undecided < 0:
            raise CalibrationError("more cases without a review than undecided decisions")
        recency = [2.0 ** ((c.received - dt.date(2020, 12, 1)).days / 20) for c in reviewed]  # type: ignore[operator]
        pending = set(map(id, weighted_sample(rng, reviewed, recency, undecided)))
        decided = [c for c in reviewed if id(c) not in pending]
        for c in reviewed:
            c.decision = "undecided"
        # LCSPRs dealt per group of harm at para 67's rates, the rest of the decisions elsewhere.
        rates = self.learning["lcspr_by_harm_group"]
        left = d["lcspr"] - sum(rates.values())
        groups = _by_harm_group(decided)
        for group, lcspr in rates.items():
            members = groups.get(group, [])
            for c, v in _deal(rng, {"lcspr": lcspr, "no_lcspr": len(members) - lcspr}, members):
                c.decision = v
        rest = [c for c in decided if _harm_group(c) not in rates]
        for c, v in _deal(rng, {"lcspr": left, "no_lcspr": len(rest) - left}, rest):
            c.decision = v
        for c in others:
            if c.received:
                c.decision = "lcspr" if c.notified.year > YEAR and rng.random() < 0.35 else "no_lcspr"

    def review_facts(self, c: Case) -> None:
        """rapid_review.submitted (and decision_made) facts for the case's decision as at T."""
        rng = self.rng
        if c.received is None:
            return
        final = c.decision or "no_lcspr"
        later = plus_wd(c.received, rng.randint(10, 40))
        if c.tag == "init":  # chosen for an LCSPR of a given year: decided at submission
            submitted = final
        elif final == "undecided" or (rng.random() < 0.12 and later < AS_OF):
            submitted = "undecided"
        elif rng.random() < 0.03 and later < AS_OF:
            submitted = "no_lcspr" if final == "lcspr" else "lcspr"
        else:
            submitted = final
        c.facts.append(Fact(c.received, "rapid_review.submitted",
                            {"received_date": c.received.isoformat(), "decision": submitted}))
        c.decided = c.received
        if submitted != final:
            c.facts.append(Fact(later, "rapid_review.decision_made",
                                {"decision": final, "decision_date": later.isoformat()}))
            c.decided = later

    # -- 5c. LCSPRs -------------------------------------------------------------------------------
    def initiations(self, year_cases: list[Case], older: list[Case]) -> list[tuple[Case, dt.date]]:
        """Cases with their latest initiated_date, meeting the count per year exactly."""
        rng, by_year = self.rng, self.t["lcspr_initiated_by_year"]
        out: list[tuple[Case, dt.date]] = []
        lcspr = [c for c in year_cases if c.decision == "lcspr" and c.decided]
        plans = [(c, plus_wd(c.decided, rng.randint(15, 70))) for c in lcspr]  # type: ignore[arg-type]
        plans = [(c, d) for c, d in plans if d < AS_OF]
        in_year = sorted((p for p in plans if p[1].year == YEAR), key=lambda p: p[1])
        keep = min(len(in_year), by_year[str(YEAR)] - rng.randint(25, 40))
        for c, d in in_year[keep:]:  # the rest started after the Christmas break
            plans.remove((c, d))
            plans.append((c, plus_wd(dt.date(2021, 1, 4), rng.randint(0, 25))))
        out += plans
        needed = {int(y): n for y, n in by_year.items()}
        needed[YEAR] -= keep
        chosen: set[int] = set()
        for year in sorted(needed):
            first, last = dt.date(year, 1, 2), dt.date(year, 12, 18)
            pool = [c for c in older if c.received and id(c) not in chosen
                    and first - dt.timedelta(days=100) <= c.received <= last
                    and plus_wd(c.received, 10) <= last]
            if len(pool) < needed[year]:
                raise CalibrationError(f"{len(pool)} cases to initiate {needed[year]} LCSPRs in {year}")
            for c in rng.sample(pool, needed[year]):
                chosen.add(id(c))
                lo, hi = max(plus_wd(c.received, 10), first), min(plus_wd(c.received, 80), last)  # type: ignore[arg-type]
                day = lo + dt.timedelta(days=rng.randint(0, max((hi - lo).days, 0)))
                while not is_working_day(day):
                    day -= dt.timedelta(days=1)
                day = max(day, lo)
                c.decision, c.tag = "lcspr", "init"
                restart = plus_wd(c.received, 5)  # type: ignore[arg-type]
                if year == YEAR and rng.random() < 0.05 and restart < day - dt.timedelta(days=30):  # begun, then restarted with a new scope
                    c.facts.append(Fact(restart, "lcspr.initiated", {"initiated_date": restart.isoformat()}))
                out.append((c, day))
        for c, day in out:
            c.facts.append(Fact(day, "lcspr.initiated", {"initiated_date": day.isoformat()}))
        return out

    def reports(self, initiated: list[tuple[Case, dt.date]]) -> None:
        rng, r = self.rng, self.t["lcspr_reports"]
        end = dt.date(YEAR, 12, 31)
        free = list(initiated)
        rng.shuffle(free)

        def take(n: int, fits: Any, strict: bool = True) -> list[tuple[Case, dt.date]]:
            picked = [p for p in free if fits(p[1])][:n]
            if strict and len(picked) < n:
                raise CalibrationError(f"only {len(picked)} LCSPRs fit, {n} needed")
            for p in picked:
                free.remove(p)
            return picked

        def between(lo: dt.date, hi: dt.date) -> dt.date:
            day = lo + dt.timedelta(days=rng.randint(0, max((hi - lo).days, 0)))
            while not is_working_day(day):
                day += dt.timedelta(days=1)
            return day

        def report(c: Case, received: dt.date, intent: str) -> None:
            c.facts.append(Fact(received, "lcspr.report_received",
                                {"received_date": received.isoformat(), "publication_intent": intent}))

        def publish(c: Case, received: dt.date, published: dt.date) -> None:
            notice = plus_wd(received, rng.randint(0, 3))
            c.facts.append(Fact(notice, "lcspr.publication_notified",
                                {"notified_date": notice.isoformat(), "planned_publication_date": published.isoformat()}))
            if published < AS_OF:
                c.facts.append(Fact(published, "lcspr.published", {"published_date": published.isoformat()}, lag=0))

        over = r["published_over_200_working_days"]
        for c, i in take(over, lambda i: add_working_days(i, 215) <= end):
            published = between(add_working_days(i, 201), min(add_working_days(i, 320), end - dt.timedelta(days=3)))
            received = _minus_wd(published, rng.randint(12, 40))
            report(c, received, "intend_to_publish")
            publish(c, received, published)
        for c, i in take(r["published"] - over, lambda i: add_working_days(i, 130) <= end):
            published = between(add_working_days(i, 120), min(add_working_days(i, 195), end - dt.timedelta(days=3)))
            received = _minus_wd(published, rng.randint(12, 30))
            report(c, received, "intend_to_publish")
            publish(c, received, published)
        for c, i in take(r["intend_to_publish"], lambda i: add_working_days(i, 110) <= end):
            received = between(add_working_days(i, 100), end)
            report(c, received, "intend_to_publish")
            planned = plus_wd(received, rng.randint(20, 60))
            if planned > end and rng.random() < 0.7:
                publish(c, received, planned)
        for c, i in take(r["not_publishing"], lambda i: add_working_days(i, 110) <= end):
            report(c, between(add_working_days(i, 100), end), "not_publishing")
        for c, i in take(6, lambda i: add_working_days(i, 100) < dt.date(2021, 3, 15), strict=False):
            received = between(max(add_working_days(i, 100), dt.date(2021, 1, 4)), dt.date(2021, 3, 15))
            report(c, received, rng.choice(("intend_to_publish", "intend_to_publish", "not_publishing")))


def _minus_wd(day: dt.date, n: int) -> dt.date:
    """The date n working days before day."""
    d = day
    while n:
        d -= dt.timedelta(days=1)
        n -= is_working_day(d)
    return d


class Finisher:
    """Step 6: withdrawals, corrections, delivery quirks, then events in arrival order."""

    def __init__(self, builder: Builder) -> None:
        self.b = builder
        self.rng = builder.rng

    def withdrawn_cases(self, year_cases: list[Case]) -> list[Case]:
        rng, out = self.rng, []
        size = [(d, n) for d, n in ((dt.date(2019, 1, 1), rng.randint(3, 5)), (dt.date(2020, 1, 1), rng.randint(8, 13)))]
        for start, n in size:
            for d in spread_dates(rng, start, dt.date(start.year, 12, 31), n):
                la = rng.choice(LOCAL_AUTHORITIES).code
                c = Case(d, la=la, withdrawn=True)
                c.incident = random_incident(rng, la, d, self.b._child_maker(c))
                out.append(c)
        for c in rng.sample([c for c in year_cases if c.notified < dt.date(2020, 12, 1)], 2):
            twin = Case(plus_wd(c.notified, rng.randint(0, 2)), la=c.la, withdrawn=True)
            twin.incident = json.loads(json.dumps(c.incident))
            twin.incident["notified_date"] = twin.notified.isoformat()
            twin.tag = "duplicate_notification"
            out.append(twin)
        for c in out:
            day = plus_wd(c.notified, rng.randint(2, 30))
            if rng.random() < 0.4:
                received = plus_wd(c.notified, rng.randint(1, 2))
                day = plus_wd(received, rng.randint(1, 10))
                c.facts.append(Fact(received, "rapid_review.submitted",
                                    {"received_date": received.isoformat(), "decision": "no_lcspr"}))
            reason = c.tag or rng.choice(("criteria_not_met", "criteria_not_met", "entered_in_error"))
            c.facts.append(Fact(day, "incident.withdrawn", {"reason": reason}))
            if rng.random() < 0.2:  # the Panel's feedback crossed with the withdrawal: accepted, changes nothing
                later = plus_wd(day, 2)
                c.facts.append(Fact(later, "panel.feedback_issued",
                                    {"feedback_date": later.isoformat(), "agrees_with_decision": True}, lag=0))
        return out

    def correct(self, c: Case) -> None:
        """Send the case first with different values, then correct it to its final ones."""
        rng, inc = self.rng, c.incident
        initial = json.loads(json.dumps(inc))
        options = ["age", "chars"]
        if inc["harm_type"] == "death" and inc["category"] in (
                "fatal_physical_abuse", "not_clear", "maltreatment_related_death", "overt_filicide"):
            options += ["died"] * 3
        if inc["category"] == "sudi":
            options += ["sudi"] * 2
        if inc["harm_type"] != "death" and inc["category"] in (
                "young_person_perpetrator", "criminal_exploitation", "risk_taking_or_violent"):
            options += ["harm_level"] * 3
        if inc["imd_quintile"] is not None:
            options.append("imd")
        if inc["service_involvement"]["known_to_csc"] != "not_known":
            options.append("known")
        kind = rng.choice(options)
        reason = "new_information"
        if kind == "died":
            initial.update(harm_type="serious_harm", category=rng.choice(("physical_abuse", "neglect")), subcategory=None)
            changes = {k: inc[k] for k in ("harm_type", "category", "subcategory")}
        elif kind == "sudi":
            initial["category"] = "not_clear"
            changes = {"category": "sudi"}
        elif kind == "harm_level":
            initial["harm_type"] = "other" if inc["harm_type"] == "serious_harm" else "serious_harm"
            changes = {"harm_type": inc["harm_type"]}
        elif kind == "imd":
            initial["imd_quintile"] = None
            changes = {"imd_quintile": inc["imd_quintile"]}
        elif kind == "known":
            initial["service_involvement"] = {**inc["service_involvement"], "known_to_csc": "not_known"}
            changes = {"service_involvement": inc["service_involvement"]}
        elif kind == "chars" and inc["case_characteristics"]:
            initial["case_characteristics"] = inc["case_characteristics"][:-1]
            changes = {"case_characteristics": inc["case_characteristics"]}
        else:
            kid = initial["children"][0]
            lo, hi = age_range(inc["category"], inc["subcategory"])
            kid["age_years"] = max(lo, min(hi, kid["age_years"] + rng.choice((-1, 1))))
            changes, reason = {"children": inc["children"]}, "data_entry_error"
        c.initial = initial
        last = min(plus_wd(c.notified, 40), _minus_wd(AS_OF, 2))
        day = min(plus_wd(c.notified, rng.randint(2, 25)), last)
        c.facts.append(Fact(day, "incident.corrected", {"changes": changes, "reason": reason}))
        if kind == "imd" and rng.random() < 0.3:  # a first, wrong fix, then the right one
            wrong = 1 + inc["imd_quintile"] % 5
            c.facts.append(Fact(day, "incident.corrected", {"changes": {"imd_quintile": wrong}, "reason": "data_entry_error"}, lag=0))
            c.facts.append(Fact(min(plus_wd(day, 3), last), "incident.corrected", {"changes": changes, "reason": "data_entry_error"}))
            c.tag = "swap_corrections"

    def events(self, cases: list[Case]) -> list[bytes]:
        rng = self.rng
        writer = EventWriter(rng, CUTOFF)
        per_year: dict[int, int] = {}
        heap: list[tuple[int, int, int, bytes]] = []
        n = 0
        for c in sorted(cases, key=lambda c: c.notified):
            per_year[c.notified.year] = per_year.get(c.notified.year, 0) + 1
            subject = f"SIN-{c.notified.year}-{per_year[c.notified.year]:06d}"
            notification = dict(c.initial or c.incident)
            notification = {k: notification[k] for k in (
                "local_authority", "incident_date", "notified_date", "harm_type", "category", "subcategory",
                "children", "imd_quintile", "case_characteristics", "service_involvement", "covid_factor")}
            plan = CasePlan(subject, c.la, notification, c.facts)
            events = writer.events(plan)
            if len(events) > 1 and rng.random() < 0.01:  # the notification is delivered after the next event
                events[0] = (events[1][0] + rng.randint(60, 7200), *events[0][1:])
            if c.tag == "swap_corrections":
                kinds = [i for i, e in enumerate(events) if b'incident.corrected' in e[2]]
                if len(kinds) >= 2:  # the earlier correction is delivered after the later one
                    i, j = kinds[-2], kinds[-1]
                    events[i] = (events[j][0] + rng.randint(60, 600), *events[i][1:])
            for arrival, utc, raw in events:
                heapq.heappush(heap, (arrival, utc, n, raw))
                n += 1
                if rng.random() < 0.003:  # delivered twice: the same bytes again
                    heapq.heappush(heap, (arrival + rng.randint(1, 3600), utc, n, raw))
                    n += 1
        return [heapq.heappop(heap)[3] for _ in range(len(heap))]


def build(seed: int) -> list[bytes]:
    """The calibrated history for a seed, as JSON Lines in arrival order."""
    b = Builder(seed)
    year_cases, december_2019 = b.notification_dates()
    b.local_authorities(year_cases)
    b.incidents(year_cases)
    older, later = b.other_cases(december_2019)
    b_cases = [c for c in older if c.notified >= dt.date(2019, 12, 9)]
    a1 = [c for c in year_cases if requested_completion_date(c.notified).year == YEAR]
    b.timeliness(a1 + b_cases)
    due_in_year = set(map(id, a1))
    for c in year_cases:
        if id(c) not in due_in_year:
            received = b._received(c.notified, b.natural_bucket())
            c.received = received if received < _minus_wd(AS_OF, 1) else None
    live = year_cases + older + later
    b.top_up_received(live, older)
    b.feedback(live)
    b.decisions(year_cases, older + later)
    for c in year_cases:
        b.review_facts(c)
    initiated = b.initiations(year_cases, older)
    for c in older + later:
        b.review_facts(c)
    for c in later:
        if c.decision == "lcspr" and c.decided:
            day = plus_wd(c.decided, b.rng.randint(15, 50))
            if day < AS_OF:
                c.facts.append(Fact(day, "lcspr.initiated", {"initiated_date": day.isoformat()}))
    b.reports(initiated)
    f = Finisher(b)
    withdrawn = f.withdrawn_cases(year_cases)
    for c in live:
        if b.rng.random() < (0.06 if c.notified.year == YEAR else 0.03):
            f.correct(c)
    return f.events(live + withdrawn)
