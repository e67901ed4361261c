-- One row per accepted `lcspr.report_received` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.lcspr.report_received.v1'

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
