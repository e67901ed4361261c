-- One row per accepted `rapid_review.submitted` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    -- v2 carries v1's fields unchanged: the v1 figures count both versions (contract v2).
    where type in ('uk.gov.cspr.rapid_review.submitted.v1', 'uk.gov.cspr.rapid_review.submitted.v2')

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('received_date') }} as received_date,
        ---------- categories
        JSONExtractString(data, 'decision') as decision
    from source

)

select * from renamed
