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
