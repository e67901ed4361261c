-- A relaxation window ends on or after it starts.
select * from {{ ref('relaxation_windows') }} where window_end < window_start
