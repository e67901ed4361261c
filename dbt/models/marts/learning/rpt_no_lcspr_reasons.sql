-- Grain: one row per year x question x answer (LEARNING.md, `no_lcspr_reasons`; paras 68-69).
-- Over notifications in Y whose decision known at T is `no_lcspr` (rpt_lcspr_decisions'
-- no_lcspr), the latest decision event's reason and whether an alternative review method was
-- proposed; not_recorded for a v1 decision.
with decided as (

    select toUInt16(toYear(notified_date)) as year, no_lcspr_reason, alternative_review_proposed
    from {{ ref('int_case_learning_as_at') }}
    where lcspr_decision = 'no_lcspr'

),

rows as (

    select year, 'question' as grouping, 'reason' as group_value,
           ['no_lcspr', coalesce(no_lcspr_reason, 'not_recorded')] as items
    from decided
    union all
    select year, 'question', 'alternative_review_proposed',
           [multiIf(alternative_review_proposed is null, 'not_recorded', alternative_review_proposed, 'yes', 'no')]
    from decided

),

groups as (

    select 'question' as grouping, 'reason' as group_value, toUInt16(1) as group_position
    union all
    select 'question', 'alternative_review_proposed', toUInt16(2)

),

items as (

    select 'reason' as item_key, 'no_lcspr' as item, toUInt16(1) as item_position
    union all
    {{ enum_items('no_lcspr_reason', "'reason'", 1) }}
    union all
    select 'reason', 'not_recorded', toUInt16(100)
    union all
    select 'alternative_review_proposed', arrayJoin(['yes', 'no', 'not_recorded']) as item,
           toUInt16(indexOf(['yes', 'no', 'not_recorded'], item))

),

{{ learning_long('rows', 'groups', 'items') }}
