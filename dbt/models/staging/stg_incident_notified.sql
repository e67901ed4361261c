-- One row per accepted `incident.notified` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.incident.notified.v1'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- incident
        JSONExtractString(data, 'local_authority') as local_authority,
        {{ json_date('incident_date') }} as incident_date,
        {{ json_date('notified_date') }} as notified_date,
        ---------- categories
        JSONExtractString(data, 'harm_type') as harm_type,
        JSONExtractString(data, 'category') as category,
        JSONExtract(data, 'subcategory', 'Nullable(String)') as subcategory,
        ---------- children (a JSON array, unpacked in int_children_as_at)
        JSONExtractRaw(data, 'children') as children_json,
        ---------- context
        JSONExtract(data, 'imd_quintile', 'Nullable(UInt8)') as imd_quintile,
        JSONExtract(data, 'case_characteristics', 'Array(String)') as case_characteristics,
        JSONExtractString(data, 'service_involvement', 'known_to_csc') as known_to_csc,
        JSONExtractString(data, 'service_involvement', 'court_order') as court_order,
        JSONExtractString(data, 'service_involvement', 'living_situation') as living_situation,
        JSONExtractBool(data, 'covid_factor') as covid_factor
    from source

)

select * from renamed
