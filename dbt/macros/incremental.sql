{#- Incremental by case (int_case_states_as_at). Each folded row records folded_at, the
    warehouse's clock when the fold query ran; the next run with the same T re-folds the cases
    with rows ingested (raw_events.ingested_at, the same clock) since the latest folded_at, minus
    a margin of 2 seconds for a sink insert that was in flight while the fold read (a batch
    insert takes well under a second). Re-folding a case is idempotent, so the margin only
    costs time. none means "fold every case" (first run, --full-refresh, or another T). -#}
{% macro incremental_watermark() -%}
  {%- if not (execute and is_incremental()) -%}{{ return(none) }}{%- endif -%}
  {%- set found = run_query(
        "select toString(any(as_of)), toString(max(folded_at)), count() from " ~ this) -%}
  {%- set row = found.rows[0] -%}
  {%- if row[2] == 0 or row[0] != as_of_date_text() -%}{{ return(none) }}{%- endif -%}
  {{ return(row[1]) }}
{%- endmacro %}

{% macro changed_subjects_filter(column='subject') -%}
  {%- set since = incremental_watermark() -%}
  {%- if since is none -%}{{ return('') }}{%- endif -%}
  {{ return("and " ~ column ~ " in (select subject from " ~ ref('stg_raw_event_arrivals')
            ~ " where ingested_at >= toDateTime64('" ~ since ~ "', 6, 'UTC') - interval 2 second)") }}
{%- endmacro %}

{#- pre-hook: a run for another T than the table holds starts from an empty table, so
    delete+insert of every case leaves no case of the old T behind. -#}
{% macro empty_if_as_of_changed() -%}
  {%- if execute and is_incremental() and incremental_watermark() is none -%}
    truncate table {{ this }}
  {%- else -%}
    select 1
  {%- endif -%}
{%- endmacro %}
