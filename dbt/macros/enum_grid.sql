{#- The values of one enum (seed enum_values, generated from schemas/), in the contract's order. -#}
{% macro enum_values(name) -%}
  (select enum_value, position from {{ ref('enum_values') }} where enum_name = '{{ name }}')
{%- endmacro %}
