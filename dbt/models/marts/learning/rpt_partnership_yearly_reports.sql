-- Grain: one row per grouping x group x item, as at T (year = T's year: the register and its
-- reports as known at T, whatever year they cover) (LEARNING.md, `partnership_yearly_reports`;
-- paras 55-56). Partnership events with time <= T: `partnerships` registered, the
-- `local_authorities_covered` by their latest registrations, `reports_received` (registered
-- partnerships with a yearly report received by T); the overall evidence of Working Together 2018
-- (each partnership once, by its latest read report: fully, partly, not, not_recorded when none
-- has been read) and the same reports' level per requirement.
{% set t_end = as_of_end() %}
with registered as (

    select subject, argMax(local_authorities, (event_time, case_seq)) as local_authorities
    from {{ ref('stg_partnership_registered') }}
    where event_time <= {{ t_end }}
    group by subject

),

reports as (

    select
        subject,
        max(evidence_read) as any_read,
        argMaxIf([impact_on_outcomes, limited_progress_analysis, review_recommendations_decisions,
                  child_and_family_feedback], (event_time, case_seq), evidence_read) as evidence
    from {{ ref('stg_partnership_yearly_report_received') }}
    where event_time <= {{ t_end }} and received_date <= {{ as_of_date() }}
      and subject in (select subject from registered)
    group by subject

),

rows as (

    select 'all' as grouping, 'all' as group_value, ['partnerships'] as items from registered
    union all
    select 'all', 'all', ['local_authorities_covered']
    from (select distinct arrayJoin(local_authorities) from registered)
    union all
    select 'all', 'all',
           ['reports_received',
            if(not any_read, 'not_recorded',
               multiIf(countEqual(evidence, 'fully') = 4, 'fully', countEqual(evidence, 'not') >= 3, 'not', 'partly'))]
    from reports
    union all
    select 'requirement', r.1, [assumeNotNull(r.2)]
    from reports
    array join arrayZip(['impact_on_outcomes', 'limited_progress_analysis', 'review_recommendations_decisions',
                         'child_and_family_feedback'], evidence) as r
    where any_read

),

years as (

    select toUInt16(toYear({{ as_of_date() }})) as year

),

year_rows as (

    select y.year as year, r.* from rows as r cross join years as y

),

groups as (

    select 'all' as grouping, 'all' as group_value, toUInt16(1) as group_position
    union all
    {{ enum_groups('wt2018_requirement', 'requirement') }}

),

items as (

    select 'all' as item_key, arrayJoin(['partnerships', 'local_authorities_covered', 'reports_received']) as item,
           toUInt16(indexOf(['partnerships', 'local_authorities_covered', 'reports_received'], item)) as item_position
    union all
    {{ enum_items('evidence_level', "'*'", 10) }}
    union all
    select 'all', 'not_recorded', toUInt16(100)

),

{{ learning_long('year_rows', 'groups', 'items', 'years') }}
