-- One row per accepted `panel.feedback_issued.v2` event: v1's fields, the direction of a
-- disagreement and the Panel's quality rating per dimension (all null when not assessed).
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.panel.feedback_issued.v2'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('feedback_date') }} as feedback_date,
        ---------- categories
        JSONExtractBool(data, 'agrees_with_decision') as agrees_with_decision,
        JSONExtract(data, 'disagreement', 'Nullable(String)') as disagreement,
        ---------- quality
        JSONType(data, 'quality') = 'Object' as quality_assessed,
        JSONExtract(data, 'quality', 'analysis_and_reflection', 'Nullable(String)') as quality_analysis_and_reflection,
        JSONExtract(data, 'quality', 'senior_leadership_input', 'Nullable(String)') as quality_senior_leadership_input,
        JSONExtract(data, 'quality', 'decision_rationale', 'Nullable(String)') as quality_decision_rationale,
        JSONExtract(data, 'quality', 'family_detail', 'Nullable(String)') as quality_family_detail
    from source

)

select * from renamed
