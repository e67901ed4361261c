{#- The envelope columns every staging model keeps, under the same names. -#}
{% macro envelope_columns() -%}
        -- ids
        event_id,
        source,
        subject,
        case_seq,
        -- knowledge time (UTC) and arrival
        time as event_time,
        ingested_at
{%- endmacro %}

{% macro json_date(field, path='data') -%}
  toDate(JSONExtractString({{ path }}, '{{ field }}'))
{%- endmacro %}
