-- One row per accepted `incident.withdrawn` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.incident.withdrawn.v1'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- why
        JSONExtractString(data, 'reason') as reason
    from source

)

select * from renamed
