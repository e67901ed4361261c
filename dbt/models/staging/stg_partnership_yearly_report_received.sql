-- One row per accepted `partnership.yearly_report_received` event (contract v2): the report,
-- the end of the period it covers and how far it evidences each Working Together 2018
-- requirement (null when not yet read). Empty until the stream routes partnership events.
with source as (

    select * from {{ source('cspr', 'raw_events') }} final
    where type = 'uk.gov.cspr.partnership.yearly_report_received.v1'

),

renamed as (

    select
        {{ envelope_columns() }},
        ---------- dates
        {{ json_date('received_date') }} as received_date,
        {{ json_date('period_end') }} as period_end,
        ---------- evidence
        JSONType(data, 'wt2018_evidence') = 'Object' as evidence_read,
        JSONExtract(data, 'wt2018_evidence', 'impact_on_outcomes', 'Nullable(String)') as impact_on_outcomes,
        JSONExtract(data, 'wt2018_evidence', 'limited_progress_analysis', 'Nullable(String)') as limited_progress_analysis,
        JSONExtract(data, 'wt2018_evidence', 'review_recommendations_decisions', 'Nullable(String)')
            as review_recommendations_decisions,
        JSONExtract(data, 'wt2018_evidence', 'child_and_family_feedback', 'Nullable(String)') as child_and_family_feedback
    from source

)

select * from renamed
