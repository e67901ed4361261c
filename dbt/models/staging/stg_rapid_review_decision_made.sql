-- One row per accepted `rapid_review.decision_made` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    -- v2 carries v1's fields unchanged: the v1 figures count both versions (contract v2).
    where type in ('uk.gov.cspr.rapid_review.decision_made.v1', 'uk.gov.cspr.rapid_review.decision_made.v2')

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('decision_date') }} as decision_date,
        ---------- categories
        JSONExtractString(data, 'decision') as decision
    from source

)

select * from renamed
