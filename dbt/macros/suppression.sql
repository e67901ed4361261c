{#- Disclosure control. A count from 1 to var('suppression_threshold') is a primary suppression;
    zeros stay 0. A count shown as 'c' must not be derivable from the totals published beside it,
    so each group needs either no suppressed member, or at least two when the group's total is
    shown (one unknown, one equation otherwise). When a group has exactly one, the smallest
    non-zero unsuppressed member of the group is suppressed too (secondary suppression). -#}
{% macro suppression_threshold() -%}
  {{ var('suppression_threshold') | int }}
{%- endmacro %}

{% macro is_primary_suppressed(count) -%}
  ({{ count }} between 1 and {{ suppression_threshold() }})
{%- endmacro %}

{% macro shown(count, suppressed) -%}
  if({{ suppressed }}, 'c', toString({{ count }}))
{%- endmacro %}
