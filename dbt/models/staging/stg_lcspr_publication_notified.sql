-- One row per accepted `lcspr.publication_notified` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.lcspr.publication_notified.v1'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('notified_date') }} as notified_date,
        {{ json_date('planned_publication_date') }} as planned_publication_date
    from source

)

select * from renamed
