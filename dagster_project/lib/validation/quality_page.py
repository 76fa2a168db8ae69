"""The quality page (our equivalent of GX Data Docs): checks, every expectation, findings, and
the subjects whose investigator and computed responses differ (response.md section 4: "listed
... for medical review in the quality report"), and the records deleted at the sites
(raw.deletions; site_extracts.md: a deletion "must be visible as such").

Rendered with Jinja2 from plain frames, so it costs milliseconds and needs no GX stores; GX's
own Data Docs builder would need a file context with validation-result stores written on every
run. Written as ``quality.html`` beside the report.
"""

from pathlib import Path

import jinja2
import pandas as pd

_TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left;vertical-align:top}
th{background:#f3f3f3} .pass{color:#176f2c} .fail{color:#b00020;font-weight:bold}
.warn{color:#a05a00;font-weight:bold} .note{color:#666}
</style></head><body>
<h1>{{ title }}</h1>
<p class="note">Generated {{ generated_at }}. Suites: expectations/gx/expectations/*.json
(GX {{ gx_version }}). Conformance checks block the endpoints; plausibility checks and
data-management findings are warnings.</p>
<h2>Checks</h2>
{% if checks %}<table><tr>{% for c in check_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in checks %}<tr>{% for c in check_columns %}
<td{% if c == 'OUTCOME' %} class="{{ row[c] }}"{% endif %}>{{ row[c] }}</td>{% endfor %}</tr>
{% endfor %}</table>{% else %}<p class="note">No check has run yet.</p>{% endif %}
<h2>Expectations</h2>
{% if expectations %}<table><tr>{% for c in expectation_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in expectations %}<tr>{% for c in expectation_columns %}
<td{% if c == 'SUCCESS' %} class="{{ 'pass' if row[c] else 'fail' }}"{% endif %}>{{ row[c] }}</td>
{% endfor %}</tr>{% endfor %}</table>{% else %}<p class="note">None recorded.</p>{% endif %}
<h2>Data-management findings by site</h2>
{% if sites %}<table><tr>{% for c in site_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in sites %}<tr>{% for c in site_columns %}<td>{{ row[c] }}</td>{% endfor %}</tr>
{% endfor %}</table>{% else %}<p class="note">No finding.</p>{% endif %}
<h2>Investigator and computed response differ (for medical review)</h2>
<p class="note">ITT subjects whose best confirmed investigator response (CBOR) and best
confirmed response computed from the labs and imaging (ALGCBOR) differ (response.md section 4,
quality.response_discordance): for the medical monitor, not queries to the sites.</p>
{% if discordant %}<table><tr>{% for c in discordant_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in discordant %}<tr>{% for c in discordant_columns %}<td>{{ row[c] }}</td>
{%- endfor %}</tr>
{% endfor %}</table>{% elif discordance_built %}
<p class="note">None: every subject's responses agree.</p>
{% else %}<p class="note">Not built in this run.</p>{% endif %}
<h2>Findings (queries to raise with the sites)</h2>
{% if findings %}<table><tr>{% for c in finding_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in findings %}<tr>{% for c in finding_columns %}<td>{{ row[c] }}</td>{% endfor %}</tr>
{% endfor %}</table>{% else %}<p class="note">No finding.</p>{% endif %}
<h2>Records deleted at the sites</h2>
<p class="note">Records a site's previous transfer held and its next one did not (raw.deletions,
site_extracts.md: "a deletion at the site and must be visible as such"){% if deletions_limit
and deletions | length >= deletions_limit %}; the first {{ deletions_limit }}{% endif %}.</p>
{% if deletions %}<table><tr>{% for c in deletion_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in deletions %}<tr>{% for c in deletion_columns %}<td>{{ row[c] }}</td>
{%- endfor %}</tr>
{% endfor %}</table>{% elif deletions_recorded %}<p class="note">None.</p>
{% else %}<p class="note">Not recorded: nothing was ingested into this warehouse.</p>{% endif %}
</body></html>
"""
)


def _records(frame: pd.DataFrame | None) -> tuple[list[str], list[dict[str, object]]]:
    if frame is None or frame.empty:
        return [], []
    clean = frame.astype(object).where(frame.notna(), "")
    return list(frame.columns), clean.to_dict("records")


def render_quality_page(
    checks: pd.DataFrame | None,
    expectations: pd.DataFrame | None,
    findings: pd.DataFrame | None,
    sites: pd.DataFrame | None,
    generated_at: str,
    gx_version: str = "",
    title: str = "ISA-DEX-MM data quality",
    discordant: pd.DataFrame | None = None,
    deletions: pd.DataFrame | None = None,
    deletions_limit: int | None = None,
) -> str:
    """One self-contained HTML page from the quality tables (any may be None, not built, or
    empty)."""
    check_columns, check_rows = _records(checks)
    expectation_columns, expectation_rows = _records(expectations)
    finding_columns, finding_rows = _records(findings)
    site_columns, site_rows = _records(sites)
    discordant_columns, discordant_rows = _records(discordant)
    deletion_columns, deletion_rows = _records(deletions)
    return _TEMPLATE.render(
        title=title,
        generated_at=generated_at,
        gx_version=gx_version,
        check_columns=check_columns,
        checks=check_rows,
        expectation_columns=expectation_columns,
        expectations=expectation_rows,
        finding_columns=finding_columns,
        findings=finding_rows,
        site_columns=site_columns,
        sites=site_rows,
        discordant_columns=discordant_columns,
        discordant=discordant_rows,
        discordance_built=discordant is not None,
        deletion_columns=deletion_columns,
        deletions=deletion_rows,
        deletions_recorded=deletions is not None,
        deletions_limit=deletions_limit,
    )


def write_quality_page(html: str, report_dir: Path) -> Path:
    """Write quality.html atomically (a reader never sees half a page)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "quality.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
