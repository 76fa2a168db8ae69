"""A file whose records end in more than one way (LF, CRLF, CR), read as Python's csv module
reads it.

DuckDB's CSV reader takes one line ending per file: one CRLF line in an LF file stops its state
machine, and the read of the whole file fails, which refused the whole transfer (found by
fuzzing), though every record in it is sound and Python's csv module splits it. site_extracts.md
refuses a transfer only when a file "cannot be parsed at all". So when the reader gives up on
such a file, it reads a copy with every record ended by LF, written by Python's csv module from
the records it split: the same values, quoted where a value holds a delimiter, a quote or a line
break. The copy is made from the file the manifest check hashed, in the reader's private
folder (reader_links.py), and never replaces it; the transfer's REASON says which files were
read so.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path


def line_endings(data: bytes) -> list[str]:
    """The ways records end in ``data``: a subset of LF, CRLF, CR in that order (a CR or LF
    inside a quoted value counts too: only a file DuckDB could not read is looked at)."""
    crlf = data.count(b"\r\n")
    found = {"LF": data.count(b"\n") - crlf, "CRLF": crlf, "CR": data.count(b"\r") - crlf}
    return [name for name, n in found.items() if n]


def write_with_lf_endings(source: Path, target: Path) -> list[str] | None:
    """Write ``source``'s records to ``target``, each ended by LF, and return the line endings
    ``source`` mixes; None (nothing written) when it ends its records one way only, or Python's
    csv module cannot split it either (strict): its unreadability is something else. Bytes
    that are not UTF-8 pass through unchanged (surrogateescape), for the reader to quarantine
    their record as before."""
    data = source.read_bytes()
    endings = line_endings(data)
    if len(endings) < 2:
        return None
    text = data.decode("utf-8", errors="surrogateescape")
    out = io.StringIO(newline="")
    try:
        # strict: a quote out of place is an error here too, not a guess at the record
        records = csv.reader(io.StringIO(text, newline=""), strict=True)
        csv.writer(out, lineterminator="\n").writerows(records)
    except csv.Error:
        return None
    target.write_bytes(out.getvalue().encode("utf-8", errors="surrogateescape"))
    return endings
