-- A published theme benchmark cell has at least min_clients contributors, none holding more
-- than max_client_share of its comments, and p10/p90 only with min_clients_p10_p90
-- contributors (DESIGN §5, §5.1); a withheld cell shows no statistic.
with

cells as (
    select * from {{ ref('fct_theme_benchmark_cells') }}
),

final as (
    select *
    from cells
    where
        (
            is_published
            and (
                n_clients < {{ var('min_clients') }}
                or max_client_share > {{ var('max_client_share') }}
                or (n_clients < {{ var('min_clients_p10_p90') }} and (p10 is not null or p90 is not null))
            )
        )
        or (
            not is_published
            and coalesce(n_comments, value, mean, p10, p25, median, p75, p90, moe) is not null
        )
)

select * from final
