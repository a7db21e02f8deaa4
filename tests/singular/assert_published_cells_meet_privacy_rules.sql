-- Rule (DESIGN §5): a published cell has at least min_clients contributors and none of them
-- holds more than max_client_share of its answers; a suppressed cell shows no statistic.
select *
from {{ ref('fct_benchmark_cells') }}
where
    (
        is_published
        and (
            n_clients < {{ var('min_clients') }}
            or max_client_share > {{ var('max_client_share') }}
            or value is null
        )
    )
    or (
        not is_published
        and (
            suppressed_reason is null
            or coalesce(value, mean, p10, p25, median, p75, p90, moe, n_responses) is not null
        )
    )
