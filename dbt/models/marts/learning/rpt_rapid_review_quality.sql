-- Grain: one row per year x dimension x rating (LEARNING.md, `rapid_review_quality`; paras
-- 65-66). Over the rapid reviews of Y whose latest Panel feedback known at T carries a quality
-- assessment: `assessed`, and per dimension how many were rated strong, adequate, weak (the
-- share weak = weak / assessed). A feedback without one (v1, or not assessed) is in no count.
with rows as (

    select year, 'dimension' as grouping, g.1 as group_value, ['assessed', g.2] as items
    from {{ reviews_of_year() }}
    array join [('analysis_and_reflection', assumeNotNull(quality_analysis_and_reflection)),
                ('senior_leadership_input', assumeNotNull(quality_senior_leadership_input)),
                ('decision_rationale', assumeNotNull(quality_decision_rationale)),
                ('family_detail', assumeNotNull(quality_family_detail))] as g
    where quality_assessed

),

groups as (

    {{ enum_groups('quality_dimension', 'dimension') }}

),

items as (

    select '*' as item_key, 'assessed' as item, toUInt16(1) as item_position
    union all
    {{ enum_items('quality_rating', offset=1) }}

),

{{ learning_long('rows', 'groups', 'items') }}
