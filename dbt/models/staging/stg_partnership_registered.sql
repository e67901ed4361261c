-- One row per accepted `partnership.registered` event (contract v2): the local authorities a
-- safeguarding partnership covers. subject is the partnership's reference, not a case. Empty
-- until the stream routes partnership events (schemas/README.md, "the seam").
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.partnership.registered.v1'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('registered_date') }} as registered_date,
        ---------- categories
        JSONExtract(data, 'local_authorities', 'Array(String)') as local_authorities
    from source

)

select * from renamed
