-- One row per accepted `rapid_review.submitted.v2` event: v1's fields and the review's coded
-- learning (contract v2). A list ClickHouse cannot make Nullable is split in two columns:
-- `<list>_recorded` (false: null in the event, "not recorded") and the list itself (empty then).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.rapid_review.submitted.v2'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('received_date') }} as received_date,
        ---------- categories
        JSONExtractString(data, 'decision') as decision,
        JSONExtract(data, 'no_lcspr_reason', 'Nullable(String)') as no_lcspr_reason,
        JSONExtract(data, 'alternative_review_proposed', 'Nullable(Bool)') as alternative_review_proposed,
        ---------- learning
        JSONType(data, 'practice_themes') = 'Array' as practice_themes_recorded,
        JSONExtract(data, 'practice_themes', 'Array(String)') as practice_themes,
        JSONType(data, 'covid_factors') = 'Array' as covid_factors_recorded,
        JSONExtract(data, 'covid_factors', 'Array(String)') as covid_factors,
        JSONExtract(data, 'ethnicity_recorded', 'Nullable(Bool)') as ethnicity_recorded,
        JSONExtract(data, 'family_detail_recorded', 'Nullable(Bool)') as family_detail_recorded
    from source

)

select * from renamed
