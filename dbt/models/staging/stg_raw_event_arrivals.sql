-- One row per row written to the raw store (no FINAL: a repeated sink write is the same case
-- arriving again, and only which cases had arrivals, and when, is read from here). The
-- incremental fold reads it to find the cases with new events.
with source as (

    select * from {{ source('cspr', 'raw_events') }}

),

renamed as (

    select
        ---------- ids
        subject,
        source,
        event_id,
        ---------- arrival
        ingested_at
    from source

)

select * from renamed
