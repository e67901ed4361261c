-- One row per case known at T and not withdrawn by T, in its state as at T (see
-- int_case_states_as_at). A view: the marts filter the incremental table the same way.
{{ config(materialized='view') }}
select * except (withdrawn_by_as_of)
from {{ ref('int_case_states_as_at') }}
where not withdrawn_by_as_of
