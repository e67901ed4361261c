-- One row per accepted event of any type, envelope only (FINAL: repeats of a sink write
-- collapse here). For the data-quality marts, which need every event's times but none of its
-- data: one read of the raw store instead of a union of the ten typed staging models.
with source as (

    select * from {{ source('cspr', 'raw_events') }} final

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- what
        type
    from source

)

select * from renamed
