{#- Complementary suppression (DESIGN §5.1) for any benchmark of the cell shape
    industry × touchpoint × period × measure, '*' roll-ups included.

    cells: one row per cell with the cell keys (industry_code, touchpoint_code, period_grain,
      period, <measure>), n_responses (all its contributors' answers, published or not) and
      suppressed_reason after the per-cell rule (cell_suppressed_reason).
    contributions: one row per client × cell it contributes to (its own industry's cell and the
      '*' cell) with the cell keys, client_id and n (its answers there).

    Families: '*' industry and its industries; '*' touchpoint and its touchpoints; a year and
    its quarters; a quarter and its months. Per client, the remainder of a family with a
    published parent is its answers in the parent minus its answers in the published children;
    a non-empty remainder must have min_clients clients, none above max_client_share of it.
    A failing family withholds, by var('complementary_strategy'):
      siblings (default): the set of published children with the fewest answers (then the fewest
        cells) among "the k smallest" and "one child alone" that makes the remainder pass;
      parent: its parent.
    Each round judges every family against the previous round's decision; rounds are unrolled
    (var complementary_suppression_rounds) and one more is run as a check, so a cell withheld in
    it carries suppression_round = rounds + 1, which the models' tests reject: a bound too small
    fails the build instead of publishing an unfinished decision. Ties break on the cell key, so
    the decision is deterministic. var('complementary_suppression') false keeps the per-cell rule
    only (kept to test the publish gate).

    measure may be a list of columns (a composite measure key); split names one of them whose
    value split_parent ('all') is the sum of the others (theme cells: nps_group), which adds the
    family of that parent and its children.

    Returns the cells' keys with suppressed_reason (now also 'complementary'),
    suppression_round (the round that withheld the cell; NULL otherwise) and suppression_family
    (industry, touchpoint, year_quarters, quarter_months or the split column's name: the family
    it was withheld for). -#}
{% macro complementary_suppression(cells, contributions, measure='metric_code', split=none, split_parent='all', inputs=none) -%}
    {{ return(adapter.dispatch('complementary_suppression', 'cxbench')(cells, contributions, measure, split, split_parent, inputs)) }}
{%- endmacro %}

{% macro default__complementary_suppression(cells, contributions, measure='metric_code', split=none, split_parent='all', inputs=none) -%}
    {%- set rounds = var('complementary_suppression_rounds', 3) | int -%}
    {%- set enabled = var('complementary_suppression', true) -%}
    {%- set strategy = var('complementary_strategy', 'siblings') -%}
    {#- `exceptions` is dbt's; sqlfluff's templater, which lints the models, has none. -#}
    {%- if strategy not in ['siblings', 'parent'] and exceptions is defined -%}
        {{ exceptions.raise_compiler_error("complementary_strategy must be siblings or parent, not " ~ strategy) }}
    {%- endif -%}
    {%- set spec = complementary_suppression_spec(measure, split, split_parent) -%}
    with {{ complementary_suppression_prelude(cells, contributions, spec) }}

    {% set last = namespace(name='round_0') -%}
    {%- if enabled -%}
    {%- for r in range(1, rounds + 2) %}{{ complementary_suppression_round(r, last.name, strategy) }}
    {%- set last.name = 'round_' ~ r %}
    {% endfor -%}
    {%- endif %}{{ complementary_suppression_decided(spec, last.name) }}

    select * from decided
{%- endmacro %}


{#- The cell keys and the families of a benchmark's measure (see complementary_suppression). -#}
{% macro complementary_suppression_spec(measure, split, split_parent) -%}
    {#- measure: one column or a list (a composite measure key, e.g. theme_code and nps_group). -#}
    {%- set measures = [measure] if measure is string else measure -%}
    {%- set measure_key = "cast(" ~ (measures | join(" as string), cast(")) ~ " as string)" -%}
    {%- set cell_key = "concat_ws('|', industry_code, touchpoint_code, period, " ~ measure_key ~ ")" -%}
    {%- set quarter_of_month = "left(period, 4) || '-Q' || cast(cast(floor((cast(right(period, 2) as integer) + 2) / 3) as integer) as string)" -%}
    {%- set families = [
        {'name': 'industry', 'key': "concat_ws('|', touchpoint_code, period, " ~ measure_key ~ ")",
         'parent': "industry_code = '*'", 'member': 'true'},
        {'name': 'touchpoint', 'key': "concat_ws('|', industry_code, period, " ~ measure_key ~ ")",
         'parent': "touchpoint_code = '*'", 'member': 'true'},
        {'name': 'year_quarters', 'key': "concat_ws('|', industry_code, touchpoint_code, left(period, 4), " ~ measure_key ~ ")",
         'parent': "period_grain = 'year'", 'member': "period_grain in ('year', 'quarter')"},
        {'name': 'quarter_months', 'key': "concat_ws('|', industry_code, touchpoint_code, case when period_grain = 'quarter' then period else " ~ quarter_of_month ~ " end, " ~ measure_key ~ ")",
         'parent': "period_grain = 'quarter'", 'member': "period_grain in ('quarter', 'month')"},
    ] -%}
    {#- split: a measure column whose value `split_parent` is the sum of its other values (theme
        cells: nps_group 'all' and its groups) forms one more family with that parent. -#}
    {%- if split is not none -%}
        {%- set others = measures | reject('equalto', split) | list -%}
        {%- set split_key = "concat_ws('|', industry_code, touchpoint_code, period" ~ ((", cast(" ~ (others | join(" as string), cast(")) ~ " as string)") if others else "") ~ ")" -%}
        {%- do families.append({'name': split, 'key': split_key,
            'parent': split ~ " = '" ~ split_parent ~ "'", 'member': 'true'}) -%}
    {%- endif -%}
    {{ return({'measures': measures, 'cell_key': cell_key, 'families': families}) }}
{%- endmacro %}

{#- The CTEs every round reads: cell_base, contribution_base, cell_families, client_families, round_0. -#}
{% macro complementary_suppression_prelude(cells, contributions, spec) %}{%- set measures = spec.measures -%}{%- set cell_key = spec.cell_key -%}{%- set families = spec.families -%}cell_base as (
        select
            industry_code,
            touchpoint_code,
            period_grain,
            period,
            {%- for m in measures %}
            {{ m }},
            {%- endfor %}
            {{ cell_key }} as cell_key,
            n_responses,
            suppressed_reason
        from {{ cells }}
    ),

    contribution_base as (
        select
            {{ cell_key }} as cell_key,
            client_id,
            n
        from {{ contributions }}
    ),

    -- Every cell in each family it belongs to, as parent or child.
    cell_memberships as (
        {% for family in families -%}
            select
                '{{ family.name }}|' || {{ family.key }} as family_key,
                cell_key,
                {{ family.parent }} as is_parent,
                n_responses,
                suppressed_reason
            from cell_base
            where {{ family.member }}
            {% if not loop.last %}union all{% endif %}
        {% endfor -%}
    ),

    -- The families whose parent the per-cell rule publishes. A round only withholds, so a
    -- family whose parent is withheld before round 1 is never judged, and a cell withheld
    -- before round 1 is never published again: the rounds read only these families' published
    -- cells and their contributions (most cells fail the per-cell rule). A withheld child adds
    -- nothing to a remainder, and every client of a child is a client of its parent.
    judged_families as (
        select distinct family_key
        from cell_memberships
        where is_parent and suppressed_reason is null
    ),

    cell_families as (
        select
            cell_memberships.family_key,
            cell_memberships.cell_key,
            cell_memberships.is_parent,
            cell_memberships.n_responses
        from cell_memberships
        inner join judged_families
            on cell_memberships.family_key = judged_families.family_key
        where cell_memberships.suppressed_reason is null
    ),

    client_families as (
        select
            cell_families.family_key,
            cell_families.cell_key,
            cell_families.is_parent,
            contribution_base.client_id,
            contribution_base.n
        from cell_families
        inner join contribution_base
            on cell_families.cell_key = contribution_base.cell_key
    ),

    round_0 as (
        select
            cell_key,
            suppressed_reason,
            cast(null as integer) as suppression_round,
            cast(null as string) as suppression_family
        from cell_base
    ),{% endmacro %}

{#- One round's CTEs, published_<r> to round_<r>, judged against the relation `previous`. -#}
{% macro complementary_suppression_round(r, previous, strategy) %}
    published_{{ r }} as (
        select cell_key from {{ previous }}
        where suppressed_reason is null
    ),

    {% if r > 1 -%}
    -- A family is judged again only when the previous round withheld one of its cells: one
    -- whose cells kept their decision passed then (a failing family withholds a cell of its
    -- own), and passes again on the same published cells.
    changed_families_{{ r }} as (
        select distinct cell_families.family_key
        from cell_families
        inner join {{ previous }}
            on cell_families.cell_key = {{ previous }}.cell_key
        where {{ previous }}.suppression_round = {{ r - 1 }}
    ),

    {% endif -%}
    live_families_{{ r }} as (
        select
            cell_families.family_key,
            cell_families.cell_key as parent_key
        from cell_families
        inner join published_{{ r }}
            on cell_families.cell_key = published_{{ r }}.cell_key
        {%- if r > 1 %}
        inner join changed_families_{{ r }}
            on cell_families.family_key = changed_families_{{ r }}.family_key
        {%- endif %}
        where cell_families.is_parent
    ),

    -- Per client: its answers in the parent minus those in the published children.
    remainders_{{ r }} as (
        select
            client_families.family_key,
            client_families.client_id,
            sum(
                case
                    when client_families.is_parent then client_families.n
                    when published_{{ r }}.cell_key is not null then -client_families.n
                    else 0
                end
            ) as remainder_n
        from client_families
        inner join live_families_{{ r }}
            on client_families.family_key = live_families_{{ r }}.family_key
        left join published_{{ r }}
            on client_families.cell_key = published_{{ r }}.cell_key
        group by client_families.family_key, client_families.client_id
    ),

    failing_{{ r }} as (
        select family_key
        from remainders_{{ r }}
        where remainder_n > 0
        group by family_key
        having
            count(*) < {{ var('min_clients') }}
            or max(remainder_n) > {{ var('max_client_share') }} * sum(remainder_n)
    ),

    {% if strategy == 'parent' -%}
    withheld_{{ r }} as (
        select
            live_families_{{ r }}.parent_key as cell_key,
            live_families_{{ r }}.family_key
        from live_families_{{ r }}
        inner join failing_{{ r }}
            on live_families_{{ r }}.family_key = failing_{{ r }}.family_key
    ),
    {%- else -%}
    -- The published children of each failing family, smallest first.
    siblings_{{ r }} as (
        select
            cell_families.family_key,
            cell_families.cell_key,
            cell_families.n_responses,
            row_number() over (
                partition by cell_families.family_key
                order by cell_families.n_responses, cell_families.cell_key
            ) as sibling_rank
        from cell_families
        inner join failing_{{ r }}
            on cell_families.family_key = failing_{{ r }}.family_key
        inner join published_{{ r }}
            on cell_families.cell_key = published_{{ r }}.cell_key
        where not cell_families.is_parent
    ),

    -- Candidate sets to withhold: the k smallest children, and each child alone.
    options_{{ r }} as (
        select
            upto.family_key,
            'smallest' as option_kind,
            upto.sibling_rank as option_rank,
            member.cell_key,
            member.n_responses
        from siblings_{{ r }} as upto
        inner join siblings_{{ r }} as member
            on
                upto.family_key = member.family_key
                and member.sibling_rank <= upto.sibling_rank
        union all
        select
            family_key,
            'alone' as option_kind,
            sibling_rank as option_rank,
            cell_key,
            n_responses
        from siblings_{{ r }}
    ),

    option_costs_{{ r }} as (
        select
            family_key,
            option_kind,
            option_rank,
            sum(n_responses) as answers_lost,
            count(*) as cells_lost
        from options_{{ r }}
        group by family_key, option_kind, option_rank
    ),

    -- The failing families' contributions (joined before the options, which DuckDB would
    -- otherwise match against a hash table of every family's contributions).
    failing_clients_{{ r }} as (
        select
            client_families.family_key,
            client_families.cell_key,
            client_families.client_id,
            client_families.n
        from client_families
        inner join failing_{{ r }}
            on client_families.family_key = failing_{{ r }}.family_key
    ),

    -- Per option and client: the family's remainder plus what the option's cells add back.
    option_clients_{{ r }} as (
        select
            family_key,
            option_kind,
            option_rank,
            client_id,
            sum(n) as remainder_n
        from (
            select
                option_costs_{{ r }}.family_key,
                option_costs_{{ r }}.option_kind,
                option_costs_{{ r }}.option_rank,
                remainders_{{ r }}.client_id,
                remainders_{{ r }}.remainder_n as n
            from option_costs_{{ r }}
            inner join remainders_{{ r }}
                on option_costs_{{ r }}.family_key = remainders_{{ r }}.family_key
            where remainders_{{ r }}.remainder_n > 0
            union all
            select
                options_{{ r }}.family_key,
                options_{{ r }}.option_kind,
                options_{{ r }}.option_rank,
                failing_clients_{{ r }}.client_id,
                failing_clients_{{ r }}.n
            from options_{{ r }}
            inner join failing_clients_{{ r }}
                on
                    options_{{ r }}.family_key = failing_clients_{{ r }}.family_key
                    and options_{{ r }}.cell_key = failing_clients_{{ r }}.cell_key
        ) as added
        group by family_key, option_kind, option_rank, client_id
    ),

    passing_options_{{ r }} as (
        select
            family_key,
            option_kind,
            option_rank
        from option_clients_{{ r }}
        group by family_key, option_kind, option_rank
        having
            count(*) >= {{ var('min_clients') }}
            and max(remainder_n) <= {{ var('max_client_share') }} * sum(remainder_n)
    ),

    ranked_options_{{ r }} as (
        select
            option_costs_{{ r }}.family_key,
            option_costs_{{ r }}.option_kind,
            option_costs_{{ r }}.option_rank,
            row_number() over (
                partition by option_costs_{{ r }}.family_key
                order by
                    option_costs_{{ r }}.answers_lost,
                    option_costs_{{ r }}.cells_lost,
                    option_costs_{{ r }}.option_kind,
                    option_costs_{{ r }}.option_rank
            ) as choice_rank
        from option_costs_{{ r }}
        inner join passing_options_{{ r }}
            on
                option_costs_{{ r }}.family_key = passing_options_{{ r }}.family_key
                and option_costs_{{ r }}.option_kind = passing_options_{{ r }}.option_kind
                and option_costs_{{ r }}.option_rank = passing_options_{{ r }}.option_rank
    ),

    chosen_{{ r }} as (
        select
            family_key,
            option_kind,
            option_rank
        from ranked_options_{{ r }}
        where choice_rank = 1
    ),

    -- A failing family no option repairs withholds its parent. (Withholding every child
    -- leaves the parent's own answers, which passed the per-cell rule, so this is a guard.)
    withheld_{{ r }} as (
        select
            options_{{ r }}.cell_key,
            options_{{ r }}.family_key
        from options_{{ r }}
        inner join chosen_{{ r }}
            on
                options_{{ r }}.family_key = chosen_{{ r }}.family_key
                and options_{{ r }}.option_kind = chosen_{{ r }}.option_kind
                and options_{{ r }}.option_rank = chosen_{{ r }}.option_rank
        union all
        select
            live_families_{{ r }}.parent_key as cell_key,
            live_families_{{ r }}.family_key
        from live_families_{{ r }}
        inner join failing_{{ r }}
            on live_families_{{ r }}.family_key = failing_{{ r }}.family_key
        left join chosen_{{ r }}
            on failing_{{ r }}.family_key = chosen_{{ r }}.family_key
        where chosen_{{ r }}.family_key is null
    ),
    {%- endif %}

    round_{{ r }} as (
        select
            previous.cell_key,
            case
                when previous.suppressed_reason is null and withheld.cell_key is not null
                    then 'complementary'
                else previous.suppressed_reason
            end as suppressed_reason,
            case
                when previous.suppressed_reason is null and withheld.cell_key is not null
                    then {{ r }}
                else previous.suppression_round
            end as suppression_round,
            case
                when previous.suppressed_reason is null and withheld.cell_key is not null
                    then withheld.family
                else previous.suppression_family
            end as suppression_family
        from {{ previous }} as previous
        left join (
            -- A cell two families withhold in one round is credited to the first by name.
            select
                cell_key,
                min(split_part(family_key, '|', 1)) as family
            from withheld_{{ r }}
            group by cell_key
        ) as withheld
            on previous.cell_key = withheld.cell_key
    ),{% endmacro %}

{#- The cells with the decision of the last round (relation `last_name`). -#}
{% macro complementary_suppression_decided(spec, last_name) %}

    decided as (
        select
            cell_base.industry_code,
            cell_base.touchpoint_code,
            cell_base.period_grain,
            cell_base.period,
            {%- for m in spec.measures %}
            cell_base.{{ m }},
            {%- endfor %}
            {{ last_name }}.suppressed_reason,
            {{ last_name }}.suppression_round,
            {{ last_name }}.suppression_family
        from cell_base
        inner join {{ last_name }}
            on cell_base.cell_key = {{ last_name }}.cell_key
    ){% endmacro %}

{#- Spark: the same rounds, each materialised as a table of its own before the model's query.
    As one query, every round reads the previous one several times and Spark's analyzer inlines
    every CTE copy, so the plan grows geometrically with the rounds and never finishes; as
    tables, each round's plan reads three small relations. inputs is the model's CTEs up to the
    cells and contributions (a `with` list without `with`), which these tables are built from;
    they are <model>__suppression_<step> in the model's schema, replaced on every run. -#}
{% macro spark__complementary_suppression(cells, contributions, measure='metric_code', split=none, split_parent='all', inputs=none) -%}
    {%- set rounds = var('complementary_suppression_rounds', 3) | int -%}
    {%- set enabled = var('complementary_suppression', true) -%}
    {%- set strategy = var('complementary_strategy', 'siblings') -%}
    {%- if strategy not in ['siblings', 'parent'] -%}
        {{ exceptions.raise_compiler_error("complementary_strategy must be siblings or parent, not " ~ strategy) }}
    {%- endif -%}
    {%- if inputs is none -%}
        {{ exceptions.raise_compiler_error("on Spark, complementary_suppression needs inputs= (the model's CTEs it reads)") }}
    {%- endif -%}
    {%- set spec = complementary_suppression_spec(measure, split, split_parent) -%}
    {%- set last_round = rounds + 1 if enabled else 0 -%}
    {%- set scratch = this.schema ~ '.' ~ this.identifier ~ '__suppression_' -%}
    {%- if execute -%}
        {%- set steps = [] -%}
        {%- for name in ['cell_base', 'cell_families', 'client_families', 'round_0'] -%}
            {%- do steps.append((name, 'with ' ~ inputs ~ ',\n' ~ complementary_suppression_prelude(cells, contributions, spec)
                ~ '\nsuppression_done as (select 1 as done)\nselect * from ' ~ name)) -%}
        {%- endfor -%}
        {%- for r in range(1, last_round + 1) -%}
            {%- set previous = 'round_' ~ (r - 1) -%}
            {%- do steps.append(('round_' ~ r, 'with cell_families as (select * from ' ~ scratch ~ 'cell_families),\n'
                ~ 'client_families as (select * from ' ~ scratch ~ 'client_families),\n'
                ~ previous ~ ' as (select * from ' ~ scratch ~ previous ~ '),\n'
                ~ complementary_suppression_round(r, previous, strategy)
                ~ '\nsuppression_done as (select 1 as done)\nselect * from round_' ~ r)) -%}
        {%- endfor -%}
        {%- for name, query in steps -%}
            {%- do run_query('drop table if exists ' ~ scratch ~ name) -%}
            {%- do run_query('create table ' ~ scratch ~ name ~ ' using parquet as\n' ~ query) -%}
        {%- endfor -%}
    {%- endif -%}
    with cell_base as (
        select * from {{ scratch }}cell_base
    ),

    round_{{ last_round }} as (
        select * from {{ scratch }}round_{{ last_round }}
    ),
    {{- complementary_suppression_decided(spec, 'round_' ~ last_round) }}

    select * from decided
{%- endmacro %}
