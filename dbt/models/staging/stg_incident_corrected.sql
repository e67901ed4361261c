-- One row per accepted `incident.corrected` event (FINAL: repeats of a sink write collapse here).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.incident.corrected.v1'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- which fields the correction changes (a field given replaces that whole field)
        JSONHas(data, 'changes', 'incident_date') as has_incident_date,
        JSONHas(data, 'changes', 'notified_date') as has_notified_date,
        JSONHas(data, 'changes', 'harm_type') as has_harm_type,
        JSONHas(data, 'changes', 'category') as has_category,
        JSONHas(data, 'changes', 'subcategory') as has_subcategory,
        JSONHas(data, 'changes', 'children') as has_children,
        JSONHas(data, 'changes', 'imd_quintile') as has_imd_quintile,
        JSONHas(data, 'changes', 'case_characteristics') as has_case_characteristics,
        JSONHas(data, 'changes', 'service_involvement') as has_service_involvement,
        JSONHas(data, 'changes', 'covid_factor') as has_covid_factor,
        ---------- dates
        toDateOrNull(JSONExtractString(data, 'changes', 'incident_date')) as incident_date,
        toDateOrNull(JSONExtractString(data, 'changes', 'notified_date')) as notified_date,
        ---------- categories
        JSONExtractString(data, 'changes', 'harm_type') as harm_type,
        JSONExtractString(data, 'changes', 'category') as category,
        JSONExtract(data, 'changes', 'subcategory', 'Nullable(String)') as subcategory,
        ---------- children and context
        JSONExtractRaw(data, 'changes', 'children') as children_json,
        JSONExtract(data, 'changes', 'imd_quintile', 'Nullable(UInt8)') as imd_quintile,
        JSONExtract(data, 'changes', 'case_characteristics', 'Array(String)') as case_characteristics,
        JSONExtractString(data, 'changes', 'service_involvement', 'known_to_csc') as known_to_csc,
        JSONExtractString(data, 'changes', 'service_involvement', 'court_order') as court_order,
        JSONExtractString(data, 'changes', 'service_involvement', 'living_situation') as living_situation,
        JSONExtractBool(data, 'changes', 'covid_factor') as covid_factor,
        ---------- why
        JSONExtractString(data, 'reason') as reason
    from source

)

select * from renamed
