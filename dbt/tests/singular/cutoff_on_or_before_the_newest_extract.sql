{#- adam.md, Data cut-off: an alive subject still followed is censored at CUTOFFDT (OS: "otherwise
    CUTOFFDT"). A cut-off given after the newest extract in force (`isadex run --cutoff`) thus
    counts follow-up that no transfer shows yet: a later extract may still report an event
    before that date. The rule is the spec's, so the run goes on and publishes; this warns
    (severity warn: the run's summary lists it, the exit status stays 0) so that the
    statistician sees the analysis reaches past the data. The default cut-off (the newest
    extract's date) and any earlier one pass. -#}
{{ config(severity='warn') }}

select
    cutoff_date,
    newest_extract_datetime
from {{ ref('stg_data_cut') }}
where cutoff_date > cast(newest_extract_datetime as date)
