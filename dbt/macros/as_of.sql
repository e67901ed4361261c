{#- The report date T (var `as_of`, default today UTC) and the end of that day, the cut-off for
    `time`. Resolved once in Jinja so every model of one build uses the same T. -#}
{% macro as_of_date_text() -%}
  {%- set v = var('as_of', none) -%}
  {%- if v is none or (v | string | trim) in ('', 'None', 'null', 'today') -%}
    {{- return(modules.datetime.datetime.utcnow().strftime('%Y-%m-%d')) -}}
  {%- endif -%}
  {%- set s = v | string | trim -%}
  {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', s) -%}
    {{ exceptions.raise_compiler_error("var as_of must be a date YYYY-MM-DD, got '" ~ s ~ "'") }}
  {%- endif -%}
  {{- return(s) -}}
{%- endmacro %}

{% macro as_of_date() -%}
  toDate('{{ as_of_date_text() }}')
{%- endmacro %}

{% macro as_of_end() -%}
  toDateTime64('{{ as_of_date_text() }} 23:59:59.999999', 6, 'UTC')
{%- endmacro %}

{#- Percentage 100 * num / den rounded to one decimal, halves away from zero (the report's rule),
    in exact integer arithmetic because ClickHouse rounds floats half-to-even; NULL when den = 0. -#}
{% macro pct_one_decimal(num, den) -%}
  if(({{ den }}) = 0, NULL,
     toFloat64(sign(toInt64({{ num }}))
       * intDiv(2 * abs(1000 * toInt64({{ num }})) + toInt64({{ den }}), 2 * toInt64({{ den }}))) / 10)
{%- endmacro %}

{#- The events of a staging model that are effective (not after the case's first withdrawal in
    arrival order; needs a `withdrawals` CTE in scope) and known at T (time <= end of T); on an
    incremental run, only those of the cases with new events. -#}
{% macro effective_as_at(model, only='') -%}
  (
    select _e.*
    from {{ ref(model) }} as _e
    left join withdrawals as _w on _w.subject = _e.subject
    where _e.event_time <= {{ as_of_end() }}
      and (_w.subject = '' or _e.case_seq <= _w.withdrawal_seq)
      {{ changed_subjects_filter('_e.subject') if only else '' }}
  )
{%- endmacro %}
