{#- Free text with personal data replaced by a tag, for what leaves the warehouse: e-mail
    addresses [email], IBANs [iban], Finnish personal identity codes (henkilötunnus, with any
    century sign, 131052-308T) [personal id], card numbers (13–19 digits, spaced or not)
    [card], and phone numbers (+358 40 123 4567, 00358…, 040-123 4567, (09) 1234 567) [phone].
    Order matters: e-mail first (it may hold digits), identity codes before card and phone
    numbers (which would take their digits), card numbers (which never start with 0) before
    phone numbers (which start with + or 0, and would take a card's tail "0055 5555 5559").
    The patterns err on the side of masking: a long order number is masked too. -#}
{% macro mask_personal_data(text) -%}
    {%- set rules = [
        ('[email]', '[^\\s\\x0B@<>(),;:"\\[\\]]+@[^\\s\\x0B@<>(),;:"\\[\\]]+\\.[a-z]{2,}'),
        ('[iban]', '\\b[a-z]{2}[0-9]{2}([ -]?[0-9a-z]{4}){2,7}([ -]?[0-9a-z]{1,4})?\\b'),
        ('[personal id]', '\\b[0-9]{6}[-+a-fu-y][0-9]{3}[0-9a-y]\\b'),
        ('[card]', '\\b[1-9]([ -]?[0-9]){12,18}\\b'),
        ('[phone]', '(\\+[0-9]{1,3}|\\b00[0-9]{1,3}|\\b0[0-9]{1,3})([ ()/-]{0,2}[0-9]){5,12}\\b'),
    ] -%}
    {%- set ns = namespace(expression=text) -%}
    {%- for tag, pattern in rules -%}
        {%- set ns.expression = regex_replace_all(ns.expression, "'" ~ pattern ~ "'", "'" ~ tag ~ "'", case_insensitive=true) -%}
    {%- endfor -%}
    {{ ns.expression }}
{%- endmacro %}
