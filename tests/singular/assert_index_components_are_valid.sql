-- Rule: every index in cx_index_weights is a catalogue metric of kind weighted_index, and each
-- of its components is a metric answered on a scale (not an index, not a comment); every
-- weighted_index metric has components, and every metric that is neither benchmarked nor a
-- component would be asked for nothing (a typo would silently drop a component).
with

metrics as (
    select * from {{ ref('metrics') }}
),

weights as (
    select * from {{ ref('cx_index_weights') }}
),

problems as (
    select
        weights.index_code as metric_code,
        'index is not a weighted_index metric' as problem
    from weights
    left join metrics
        on weights.index_code = metrics.metric_code
    where metrics.metric_kind is distinct from 'weighted_index'
    union all
    select
        weights.metric_code,
        'component is not a scale metric' as problem
    from weights
    left join metrics
        on weights.metric_code = metrics.metric_code
    where metrics.metric_kind is null or metrics.metric_kind in ('weighted_index', 'comment_share')
    union all
    select
        metrics.metric_code,
        'index without components' as problem
    from metrics
    where
        metrics.metric_kind = 'weighted_index'
        and metrics.metric_code not in (select weights.index_code from weights)
    union all
    select
        metrics.metric_code,
        'neither benchmarked nor a component' as problem
    from metrics
    where
        not metrics.is_benchmarked
        and metrics.metric_code not in (select weights.metric_code from weights)
)

select * from problems
