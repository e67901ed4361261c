-- One row per accepted `lcspr.published` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.lcspr.published.v1'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('published_date') }} as published_date
    from source

)

select * from renamed
