-- One row per rejected message and reason (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'dead_letters') }} final

),

renamed as (

    select
        ---------- ids
        raw_sha256,
        event_id,
        source,
        subject,
        type,
        ---------- why
        reason,
        detail,
        problems,
        ---------- when and where
        dead_lettered_at,
        origin_topic,
        origin_partition,
        origin_offset
    from source

)

select * from renamed
