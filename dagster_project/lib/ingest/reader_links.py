"""Paths the CSV reader takes literally: a private folder of plain-named links to deliveries.

DuckDB's `read_csv` treats `[ ] * ?` (and `{ }`) in a path as a glob: a delivery folder
`FR01_2026112[0]T0800` beside `FR01_20261120T0800` loaded the other folder's file (issue 27).
Escaping is not a contract DuckDB documents, so the reader never sees a delivery's name:
each delivery folder gets a symbolic link with a plain name (`d<n>`) in a private
temporary folder, and DuckDB reads `<links>/d<n>/ae.csv`. The operating system resolves the
link without interpreting any character, so the bytes read are the file the manifest
check hashed. One link per delivery (not per file, no copy): nothing measurable at 100,000
subjects. Form file names are the contract's own (`ae.csv`), so they need no link of their
own, and messages that name the file read the same.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

# Characters DuckDB's file globbing interprets (plus the quote SQL literals use).
_SPECIAL = re.compile(r"[\[\]*?{}'\"]")


class ReaderLinks:
    """A temporary folder of links `d<n>` -> delivery folder; removed by close() or `with`."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="isadex-read-")
        self.root = Path(self._tmp.name)
        if _SPECIAL.search(str(self.root)):
            # TMPDIR itself names a pattern: refuse rather than read another file.
            self.close()
            raise RuntimeError(
                f"temporary folder {self.root} has a character the CSV reader would take as a "
                "pattern; set TMPDIR to a plain path"
            )
        self._count = 0

    def link(self, folder: Path) -> Path:
        """A plain-named path standing for `folder` (its files are read through it)."""
        self._count += 1
        alias = self.root / f"d{self._count}"
        alias.symlink_to(Path(folder).absolute(), target_is_directory=True)
        return alias

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> ReaderLinks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
