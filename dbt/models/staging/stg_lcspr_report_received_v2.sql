-- One row per accepted `lcspr.report_received.v2` event: v1's fields and the report's coded
-- learning, split as in stg_rapid_review_submitted_v2.
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.lcspr.report_received.v2'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('received_date') }} as received_date,
        ---------- categories
        JSONExtractString(data, 'publication_intent') as publication_intent,
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
