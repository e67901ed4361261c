-- One row per accepted `lcspr.initiated` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.lcspr.initiated.v1'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('initiated_date') }} as initiated_date
    from source

)

select * from renamed
