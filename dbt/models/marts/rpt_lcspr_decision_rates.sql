-- Grain: one row per report year x group of harm (para 67; producers/reference/LEARNING.md):
-- notifications in Y by the decision known at T, and the share that proceed to an LCSPR
-- (undecided included in the denominator, as para 67's 35% of 482).
with grouped as (

    select
        toUInt16(toYear(notified_date)) as year,
        multiIf(harm_type != 'death', 'non_fatal',
                category in ('overt_filicide', 'covert_filicide', 'fatal_physical_abuse', 'severe_persistent_cruelty',
                             'extreme_neglect', 'extra_familial_homicide', 'extra_familial_fatal_assault'),
                'direct_or_extra_familial_death',
                category in ('sudi', 'suicide', 'maltreatment_related_death'), 'death_related_to_maltreatment',
                'other_death') as harm_group,
        lcspr_decision
    from {{ ref('int_cases_folded_as_at') }}

),

counts as (

    select year, harm_group, count() as notifications,
           countIf(lcspr_decision = 'lcspr') as lcspr, countIf(lcspr_decision = 'no_lcspr') as no_lcspr,
           countIf(lcspr_decision = 'undecided') as undecided
    from grouped group by year, harm_group

),

groups as (

    select arrayJoin(['direct_or_extra_familial_death', 'death_related_to_maltreatment', 'other_death', 'non_fatal'])
        as harm_group

)

select
    _y.year as year,
    _g.harm_group as harm_group,
    toUInt64(coalesce(_c.notifications, 0)) as notifications,
    toUInt64(coalesce(_c.lcspr, 0)) as lcspr,
    toUInt64(coalesce(_c.no_lcspr, 0)) as no_lcspr,
    toUInt64(coalesce(_c.undecided, 0)) as undecided,
    {{ pct_one_decimal('lcspr', 'notifications') }} as lcspr_pct
from {{ ref('int_report_years') }} as _y
cross join groups as _g
left join counts as _c on _c.year = _y.year and _c.harm_group = _g.harm_group
order by year, harm_group
