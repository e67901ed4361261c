-- One row per stream snapshot x inbound partition x figure x year x dimension
-- (FINAL: a retried write collapses).
with source as (

    select * from {{ source('cspr', 'stream_figures') }} final

),

renamed as (

    select
        ---------- which snapshot
        taken_at,
        as_of,
        partition,
        ---------- which figure
        toString(figure) as figure,
        year,
        dimension,
        ---------- the stream's count
        value
    from source

)

select * from renamed
