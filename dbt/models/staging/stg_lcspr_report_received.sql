-- One row per accepted `lcspr.report_received` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    -- v2 carries v1's fields unchanged: the v1 figures count both versions (contract v2).
    where type in ('uk.gov.cspr.lcspr.report_received.v1', 'uk.gov.cspr.lcspr.report_received.v2')

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('received_date') }} as received_date,
        ---------- categories
        JSONExtractString(data, 'publication_intent') as publication_intent
    from source

)

select * from renamed
