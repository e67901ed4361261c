-- One row per accepted `panel.feedback_issued` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    -- v2 carries v1's fields unchanged: the v1 figures count both versions (contract v2).
    where type in ('uk.gov.cspr.panel.feedback_issued.v1', 'uk.gov.cspr.panel.feedback_issued.v2')

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('feedback_date') }} as feedback_date,
        ---------- categories
        JSONExtractBool(data, 'agrees_with_decision') as agrees_with_decision
    from source

)

select * from renamed
