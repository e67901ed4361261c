-- One row per child of a case in int_cases_folded_as_at (the children as corrected at T).
-- A view: one mart reads it, so a table would only copy it.
{{ config(materialized='view') }}
with cases as (

    select subject, notified_date, harm_type, children_json
    from {{ ref('int_cases_folded_as_at') }}

),

unpacked as (

    select
        subject,
        notified_date,
        harm_type,
        arrayJoin(JSONExtractArrayRaw(children_json)) as child_json
    from cases

)

select
    ---------- ids
    subject,
    JSONExtractString(child_json, 'child_ref') as child_ref,
    ---------- case
    notified_date,
    harm_type,
    ---------- child
    toUInt8(JSONExtractUInt(child_json, 'age_years')) as age_years,
    multiIf(age_years = 0, 'under_1', age_years <= 4, '1_to_4', age_years <= 9, '5_to_9',
            age_years <= 14, '10_to_14', '15_to_17') as age_band,
    JSONExtractString(child_json, 'gender') as gender,
    JSONExtractString(child_json, 'ethnicity') as ethnicity
from unpacked
