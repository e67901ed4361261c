-- One row per accepted `rapid_review.decision_made.v2` event: v1's fields and, for "no LCSPR",
-- the reason and whether another review method was proposed (null: not recorded).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.rapid_review.decision_made.v2'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('decision_date') }} as decision_date,
        ---------- categories
        JSONExtractString(data, 'decision') as decision,
        JSONExtract(data, 'no_lcspr_reason', 'Nullable(String)') as no_lcspr_reason,
        JSONExtract(data, 'alternative_review_proposed', 'Nullable(Bool)') as alternative_review_proposed
    from source

)

select * from renamed
