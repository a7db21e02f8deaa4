{#- The alert rule of fct_client_alerts, for every window: a two-sided test at `z_threshold`
    (|z| beyond it) whose side is a drop (every alerted metric is higher = better). False for
    a NULL z (both standard errors zero: no test). -#}
{% macro is_drop_alert(change_z, z_threshold) -%}
    (abs({{ change_z }}) > {{ z_threshold }} and {{ change_z }} < 0)
{%- endmacro %}
