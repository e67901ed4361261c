-- One row per child of a case in int_cases_folded_as_at (the children as corrected at T).
-- A view: one mart reads it, and the children were typed by the incremental fold.
{{ config(materialized='view') }}
with cases as (

    select subject, notified_date, harm_type, children
    from {{ ref('int_cases_folded_as_at') }}

),

unpacked as (

    select subject, notified_date, harm_type, arrayJoin(children) as child
    from cases

)

select
    ---------- ids
    subject,
    child.1 as child_ref,
    ---------- case
    notified_date,
    harm_type,
    ---------- child
    child.2 as age_years,
    multiIf(age_years = 0, 'under_1', age_years <= 4, '1_to_4', age_years <= 9, '5_to_9',
            age_years <= 14, '10_to_14', '15_to_17') as age_band,
    child.3 as gender,
    child.4 as ethnicity
from unpacked
