{#- site_extracts.md, lb: LBORRES is text, "a number, or POS/NEG for SIFE, UIFE, BMCLON" (and
    SIFEADJ, 1.1). How a result is read, written once for ADLB (int_lab_results_typed) and the
    finding on a result that cannot be read (findings_labs). -#}
{% macro lab_numeric_tests() -%}
    ('SMPROT', 'UMPROT', 'KAPPA', 'LAMBDA', 'BMPC')
{%- endmacro %}

{% macro lab_flag_tests() -%}
    ('SIFE', 'UIFE', 'BMCLON', 'SIFEADJ')
{%- endmacro %}

{#- The number of a numeric test's result; NULL when it is not a finite number. -#}
{% macro lab_numeric_value(test_code, result_text) -%}
    case
        when {{ test_code }} in {{ lab_numeric_tests() }}
            and isfinite(try_cast({{ result_text }} as double))
            then try_cast({{ result_text }} as double)
    end
{%- endmacro %}

{#- POS / NEG of a qualitative test's result; NULL when it is neither. -#}
{% macro lab_flag_value(test_code, result_text) -%}
    case
        when {{ test_code }} in {{ lab_flag_tests() }} and upper({{ result_text }}) in ('POS', 'NEG')
            then upper({{ result_text }})
    end
{%- endmacro %}

{#- IMWG's thresholds are decimals (1.25 x the nadir, + 0.5 g/dL, 0.1 x BASE) and so are the
    results, as the site wrote them; but in binary floating point 0.7 - 0.2 is
    0.4999999999999999 and 1.25 x 2.24 is 2.8000000000000003, so a result exactly on a threshold
    fell on its wrong side. A comparison of lab arithmetic therefore rounds the difference of
    its two sides to 10 decimals: exact for results written with up to 10 decimals, and unknown
    (null) when a side is, as the plain comparison. -#}
{% macro lab_compare(left, operator, right) -%}
    round(({{ left }}) - ({{ right }}), 10) {{ operator }} 0
{%- endmacro %}
