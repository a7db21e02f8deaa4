-- The floor of `make bench` (bench/floor.py runs it): the published benchmark cells of
-- DESIGN §4-§5 computed in one query straight from the landing files, as fast as DuckDB alone
-- can. bench/floor.py puts the scans of the landing files where `@raw_sources` stands (one
-- read_csv / read_parquet / read_ndjson per kind, file lists bound as parameters) and binds
-- $seeds_dir and the publication rules of dbt_project.yml ($min_client_responses,
-- $min_clients, $max_client_share, $future_tolerance_hours).

with

raw as (
    -- @raw_sources
),

clients as (select * from read_csv($seeds_dir || '/clients.csv', all_varchar = true)),

touchpoints as (select * from read_csv($seeds_dir || '/touchpoints.csv', all_varchar = true)),

touchpoint_map as (
    select client_id, lower(trim(touchpoint_label)) as label_key, touchpoint_code
    from read_csv($seeds_dir || '/touchpoint_map.csv', all_varchar = true)
),

-- The metric catalogue: each code's kind picks its formula, as in the dbt macros.
metrics as (
    select
        metric_code,
        metric_kind,
        value_min::double as value_min,
        value_max::double as value_max,
        is_benchmarked::boolean as is_benchmarked,
        case
            when metric_kind in ('nps', 'top2box', 'comment_share') then 'proportion' else 'mean'
        end as statistic_kind
    from read_csv($seeds_dir || '/metrics.csv', all_varchar = true)
),

question_map as (
    select
        q.client_id,
        lower(trim(q.question)) as question_key,
        q.metric_code,
        metrics.metric_kind,
        q.scale_min::double as scale_min,
        q.scale_max::double as scale_max,
        q.higher_is_better::boolean as higher_is_better
    from read_csv($seeds_dir || '/question_map.csv', all_varchar = true) as q
    inner join metrics on q.metric_code = metrics.metric_code
),

weights as (
    select index_code, metric_code, weight::double as weight
    from read_csv($seeds_dir || '/cx_index_weights.csv', all_varchar = true)
),

-- Trimmed and typed as staging does: UTC timestamps, decimal comma in CSV.
typed as (
    select
        raw.filename,
        nullif(trim(raw.client_id), '') as client_id,
        nullif(trim(raw.response_id), '') as response_id,
        lower(nullif(trim(raw.question), '')) as question_key,
        lower(nullif(trim(raw.touchpoint), '')) as label_key,
        timezone('UTC', try_cast(nullif(trim(raw.responded_at), '') as timestamptz))
            as responded_at,
        nullif(trim(raw.answer), '') as answer_text,
        try_cast(
            case
                when raw.fmt = 'csv' and regexp_full_match(trim(raw.answer), '[+-]?[0-9]+,[0-9]+')
                    then replace(trim(raw.answer), ',', '.')
                else trim(raw.answer)
            end as double
        ) as x
    from raw
),

-- Only what the build accepts: known client, question and touchpoint, a usable timestamp and
-- an answer on its scale (a whole scale point for NPS and CSAT).
accepted as (
    select
        typed.client_id,
        typed.response_id,
        typed.question_key,
        typed.filename,
        typed.responded_at,
        typed.x,
        clients.industry_code,
        coalesce(touchpoint_map.touchpoint_code, touchpoints.touchpoint_code) as touchpoint_code,
        question_map.metric_code,
        question_map.metric_kind,
        question_map.scale_min,
        question_map.scale_max,
        question_map.higher_is_better
    from typed
    inner join clients on typed.client_id = clients.client_id
    inner join question_map
        on
            typed.client_id = question_map.client_id
            and typed.question_key = question_map.question_key
    left join touchpoint_map
        on
            typed.client_id = touchpoint_map.client_id
            and typed.label_key = touchpoint_map.label_key
    left join touchpoints on typed.label_key = touchpoints.touchpoint_code
    where
        typed.response_id is not null
        and coalesce(touchpoint_map.touchpoint_code, touchpoints.touchpoint_code) is not null
        and typed.responded_at is not null
        and typed.responded_at
        <= timezone('UTC', now()) + to_hours(cast($future_tolerance_hours as bigint))
        and typed.answer_text is not null
        and (
            question_map.metric_kind = 'comment_share'
            or (
                typed.x between question_map.scale_min and question_map.scale_max
                and (question_map.metric_kind not in ('nps', 'top2box') or typed.x = round(typed.x))
            )
        )
),

-- The latest delivery of an answer wins (files compare by path; see floor.py).
latest as (
    select
        client_id,
        response_id,
        question_key,
        arg_max(
            {
                'tp': touchpoint_code, 'at': responded_at, 'ind': industry_code,
                'm': metric_code, 'k': metric_kind, 'x': x, 'lo': scale_min, 'hi': scale_max,
                'up': higher_is_better
            },
            filename
        ) as a
    from accepted
    group by client_id, response_id, question_key
),

scored as (
    select
        client_id,
        response_id,
        a.ind as industry_code,
        a.tp as touchpoint_code,
        a.at as responded_at,
        a.m as metric_code,
        a.k as metric_kind,
        case
            when a.k != 'comment_share'
                then
                    case
                        when a.up then 100.0 * (a.x - a.lo) / (a.hi - a.lo)
                        else 100.0 - 100.0 * (a.x - a.lo) / (a.hi - a.lo)
                    end
        end as norm,
        case a.k
            when 'nps' then case when a.x >= 9 then 100.0 when a.x <= 6 then -100.0 else 0.0 end
            when 'top2box'
                then
                    case
                        when a.up and a.x >= a.hi - 1 then 100.0
                        when not a.up and a.x <= a.lo + 1 then 100.0
                        else 0.0
                    end
        end as points
    from latest
),

responses as (
    select
        client_id,
        response_id,
        any_value(industry_code) as industry_code,
        min(touchpoint_code) as touchpoint_code,
        min(responded_at) as responded_at
    from scored
    group by client_id, response_id
),

index_scores as (
    select
        c.client_id,
        c.response_id,
        weights.index_code,
        sum(weights.weight * c.norm) as weighted_norm,
        sum(weights.weight) as answered_weight
    from (
        select client_id, response_id, metric_code, avg(norm) as norm
        from scored
        where metric_code in (select metric_code from weights)
        group by all
    ) as c
    inner join weights on c.metric_code = weights.metric_code
    group by all
),

comment_askers as (
    select distinct client_id, metric_code from question_map where metric_kind = 'comment_share'
),

observations as (
    select
        scored.client_id,
        scored.industry_code,
        scored.touchpoint_code,
        scored.responded_at,
        scored.metric_code,
        case metrics.metric_kind
            when 'mean_rescaled'
                then metrics.value_min + (metrics.value_max - metrics.value_min) * scored.norm / 100.0
            when 'mean_norm' then scored.norm
            else scored.points
        end as p
    from scored
    inner join metrics on scored.metric_code = metrics.metric_code
    where
        metrics.is_benchmarked
        and metrics.metric_kind in ('nps', 'top2box', 'mean_rescaled', 'mean_norm')
    union all
    select
        responses.client_id,
        responses.industry_code,
        responses.touchpoint_code,
        responses.responded_at,
        index_scores.index_code,
        least(100.0, greatest(0.0, index_scores.weighted_norm / index_scores.answered_weight))
    from index_scores
    inner join responses using (client_id, response_id)
    where
        index_scores.answered_weight >= (
            select sum(weight) from weights where weights.index_code = index_scores.index_code
        ) / 2 - 1e-9
    union all
    select
        responses.client_id,
        responses.industry_code,
        responses.touchpoint_code,
        responses.responded_at,
        comment_askers.metric_code,
        case
            when exists (
                select 1 from scored
                where
                    scored.client_id = responses.client_id
                    and scored.response_id = responses.response_id
                    and scored.metric_code = comment_askers.metric_code
            ) then 100.0
            else 0.0
        end
    from responses
    inner join comment_askers on responses.client_id = comment_askers.client_id
),

monthly as (
    select
        o.client_id,
        o.industry_code,
        o.touchpoint_code,
        o.metric_code,
        metrics.statistic_kind as kind,
        date_trunc('month', o.responded_at)::date as month_start,
        count(*) as n,
        sum(o.p) as sx,
        sum(o.p * o.p) as sx2
    from observations as o
    inner join metrics on o.metric_code = metrics.metric_code
    group by all
),

by_period as (
    select
        client_id, industry_code, touchpoint_code, metric_code, kind,
        'month' as period_grain,
        strftime(month_start, '%Y-%m') as period,
        month_start as period_start,
        n, sx, sx2
    from monthly
    union all
    select
        client_id, industry_code, touchpoint_code, metric_code, kind,
        'quarter',
        strftime(month_start, '%Y') || '-Q' || quarter(month_start),
        date_trunc('quarter', month_start)::date,
        n, sx, sx2
    from monthly
    union all
    select
        client_id, industry_code, touchpoint_code, metric_code, kind,
        'year',
        strftime(month_start, '%Y'),
        date_trunc('year', month_start)::date,
        n, sx, sx2
    from monthly
),

client_periods as (
    select
        client_id,
        industry_code,
        coalesce(touchpoint_code, '*') as touchpoint_code,
        metric_code,
        kind,
        period_grain,
        period,
        period_start,
        sum(n)::bigint as n,
        sum(sx) as sx,
        sum(sx2) as sx2
    from by_period
    group by grouping sets (
        (client_id, industry_code, touchpoint_code, metric_code, kind, period_grain, period,
            period_start),
        (client_id, industry_code, metric_code, kind, period_grain, period, period_start)
    )
),

contributions as (
    select *, sx / n as value from client_periods
    where n >= $min_client_responses
),

both_industries as (
    select * from contributions
    union all
    select * replace ('*' as industry_code) from contributions
),

cells as (
    select
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        metric_code,
        count(*) as n_clients,
        sum(n)::bigint as n_responses,
        sum(sx) / sum(n) as pooled,
        any_value(kind) as kind,
        sum(n) as pn,
        sum(sx) as psx,
        sum(sx2) as psx2,
        avg(value) as mean,
        percentile_cont([0.10, 0.25, 0.50, 0.75, 0.90]) within group (order by value) as q,
        max(n) / sum(n) as share
    from both_industries
    group by industry_code, touchpoint_code, period_grain, period, metric_code
),

all_cells as (
    select distinct industry_code, touchpoint_code, period_grain, period, period_start, metric_code
    from client_periods
    union
    select distinct '*', touchpoint_code, period_grain, period, period_start, metric_code
    from client_periods
),

judged as (
    select
        all_cells.*,
        coalesce(cells.n_clients, 0) as n_clients,
        cells.n_responses,
        cells.pooled,
        cells.mean,
        cells.q,
        cells.share,
        case
            when cells.pn is null or cells.pn = 0 then null
            when cells.kind = 'proportion'
                then sqrt(
                    greatest(cells.psx2 / cells.pn - pow(cells.psx / cells.pn, 2), 0) / cells.pn
                )
            when cells.pn > 1
                then sqrt(
                    greatest((cells.psx2 - pow(cells.psx, 2) / cells.pn) / (cells.pn - 1), 0)
                    / cells.pn
                )
        end as se,
        case
            when coalesce(cells.n_clients, 0) < $min_clients then 'too_few_clients'
            when cells.share > $max_client_share then 'dominant_client'
        end as suppressed_reason
    from all_cells
    left join cells using (industry_code, touchpoint_code, period_grain, period, metric_code)
)

select
    industry_code,
    touchpoint_code,
    period_grain,
    period,
    period_start,
    metric_code,
    n_clients,
    suppressed_reason is null as is_published,
    suppressed_reason,
    case when suppressed_reason is null then n_responses end as n_responses,
    case when suppressed_reason is null then pooled end as value,
    case when suppressed_reason is null then mean end as mean,
    case when suppressed_reason is null and n_clients >= $min_clients_p10_p90 then q[1] end as p10,
    case when suppressed_reason is null then q[2] end as p25,
    case when suppressed_reason is null then q[3] end as median,
    case when suppressed_reason is null then q[4] end as p75,
    case when suppressed_reason is null and n_clients >= $min_clients_p10_p90 then q[5] end as p90,
    case when suppressed_reason is null then 1.96 * se end as moe,
    case when suppressed_reason is null then share end as max_client_share
from judged
