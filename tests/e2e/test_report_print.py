"""The report printed to PDF by Chromium (issue 30; endpoints.md, Presentation): every table and
every figure is on one page with its caption, and the report's first screen still renders.

Method: the 60-subject trial of the session (tests/conftest.py `synthetic_run`, the demo's size:
F03's swimmer plot has 58 ITT subjects, so it is drawn in three parts) is run by `isadex run`;
its published report is opened in Debian's headless Chromium, spoken to over the Chrome
DevTools Protocol (tests/devtools.py, as the UI test does), and printed with `Page.printToPDF`
honouring the report's own @page size (what the browser's Print does). The PDF is then read
back with pypdf, page by page:

- A block is a table (the transfers in force, the validation outcome, `section.tbl`: its
  caption, the h2 / h3 title; its content, the first and last body rows, then its footnote) or
  a figure (its h3 title, the image, its figcaption). The
  texts of the blocks, in document order, are found in the text of the PDF in order (all
  whitespace dropped and NFKC applied on both sides, so line wrapping and ligatures do not
  matter), which gives the page of each part.
- A block no taller than a printed page must have every part on one page; a figure's page must
  also hold an image. A table taller than a page (measured in the print layout) cannot be on
  one page: it must start on the page of its caption, end on the page of its footnote, and
  every page it runs over must carry its caption (repeated in the table head).

A failure names each table or figure that breaks. The page of every block is written to
<tmp>/print/pages.txt and, with the PDF and the screenshot, copied to ISADEX_SCREENSHOT_DIR
when it is set.
"""

from __future__ import annotations

import base64
import bisect
import io
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from websockets.sync.client import connect

from dagster_project.lib.reporting.figures import DPI
from tests.devtools import DevToolsPage, chromium_binary, launch_chromium, png_size, stop_group

A4_LANDSCAPE_PT = (841.89, 595.28)  # 297 x 210 mm, the report's @page size
SCREEN = (1280, 800)  # the first screen of the screenshot test
CSS_PX_PER_MM = 96 / 25.4

# The report's blocks in document order, with the texts the PDF must show.
JS_BLOCKS = r"""
[...document.querySelectorAll('#transfers, #validation, section.tbl, figure')].map(e => {
  const text = n => n ? n.innerText : '';
  const heading = e.querySelector(':scope > h2, :scope > h3');
  const rows = [...e.querySelectorAll(':scope > table > tbody > tr')];
  const isFigure = e.tagName === 'FIGURE';
  return {
    kind: isFigure ? 'figure' : 'table',
    name: heading.textContent.trim(),
    caption: heading.textContent,
    first: isFigure ? '' : text(rows[0] || e.querySelector(':scope > .missing, :scope > .note')),
    last: isFigure ? '' : text(rows[rows.length - 1]),
    notes: isFigure ? [text(e.querySelector('figcaption'))]
                    : [...e.querySelectorAll(':scope > .note')].map(text),
    image: isFigure && !!e.querySelector('img'),
    height: e.getBoundingClientRect().height,
    // printed size / drawn size: CSS px at 96 per inch against the PNG's pixels at its dpi
    scale: isFigure && e.querySelector('img')
      ? e.querySelector('img').getBoundingClientRect().height / 96
        / (e.querySelector('img').naturalHeight / DPI)
      : 1,
  };
})
""".replace("DPI", str(DPI))
# The @page margin of the report's style sheet ("12mm"): the page area a block must fit in.
JS_PAGE_MARGIN = r"""
[...document.styleSheets].flatMap(s => [...s.cssRules])
  .filter(r => r instanceof CSSPageRule).map(r => r.style.margin)[0] || ''
"""
# Blocks wider than the page area: Chromium would shrink every page of the print to fit them.
JS_TOO_WIDE = r"""
[...document.querySelectorAll('body > *, section.tbl, figure')]
  .filter(e => e.scrollWidth > document.documentElement.clientWidth + 1)
  .map(e => (e.querySelector('h3, h2') || e).textContent.trim().slice(0, 80))
"""
JS_IMAGES_DECODED = "Promise.all([...document.images].map(i => i.decode())).then(() => true)"


def _squash(text: str) -> str:
    """Text as compared between the page and the PDF: NFKC (the PDF writes 'fi' as one
    ligature glyph), every whitespace character dropped (lines wrap differently)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Block:
    kind: str
    name: str
    caption: str
    first: str
    last: str
    notes: tuple[str, ...]
    image: bool
    height: float
    scale: float


@dataclass(frozen=True)
class Printed:
    pdf: Path
    reader: PdfReader
    blocks: list[Block]
    page_area_px: tuple[float, float]  # width, height of the page area in CSS px
    too_wide: list[str]


class PdfText:
    """The text of every page, squashed and joined, with where each page starts."""

    def __init__(self, reader: PdfReader) -> None:
        self.pages = [_squash(page.extract_text() or "") for page in reader.pages]
        self.starts, text = [], ""
        for page in self.pages:
            self.starts.append(len(text))
            text += page
        self.text = text

    def find(self, needle: str, start: int, end: int | None = None) -> int | None:
        """The position of ``needle`` at or after ``start``, None if it is not there; with
        ``end``, its last position before ``end``."""
        if not needle:
            return None
        at = self.text.find(needle, start) if end is None else self.text.rfind(needle, start, end)
        return None if at < 0 else at

    def page(self, position: int) -> int:
        """The page (from 1) holding the character at ``position``."""
        return bisect.bisect_right(self.starts, position)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chromium() -> str:
    """The system Chromium (tests/devtools.py): skipped on a workstation without it, never in CI."""
    return chromium_binary()


@pytest.fixture(scope="module")
def report(synthetic_run) -> Path:
    """The published report of the session's 60-subject trial."""
    outcome, warehouse = synthetic_run
    assert outcome.exit_code == 0, outcome.summary()
    path = warehouse.with_name("report") / "index.html"
    assert path.is_file(), f"no report at {path}"
    return path


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("print")


@pytest.fixture(scope="module")
def page(chromium: str, tmp_path_factory) -> Iterator[DevToolsPage]:
    work = tmp_path_factory.mktemp("chromium")
    proc, websocket_url = launch_chromium(
        chromium, work / "profile", work / "chromium.log", window=SCREEN
    )
    try:
        # A PDF or a screenshot arrives as one base64 message of a few MB: no frame size limit.
        with connect(websocket_url, proxy=None, max_size=None, open_timeout=10) as ws:
            cdp = DevToolsPage(ws)
            cdp.call("Page.enable")
            yield cdp
    finally:
        stop_group(proc, grace_s=3)


def _open(page: DevToolsPage, report: Path) -> None:
    page.navigate(report.as_uri())
    state = page.wait_until("document.readyState", lambda s: s == "complete")
    assert state == "complete", f"the report did not load: readyState {state!r}"
    page.evaluate(JS_IMAGES_DECODED)
    page.settle()


def _mm(css_length: str) -> float:
    match = re.fullmatch(r"\s*([\d.]+)mm\s*", css_length)
    assert match, f"the report's @page margin is {css_length!r}, expected one length in mm"
    return float(match.group(1))


@pytest.fixture(scope="module")
def printed(page: DevToolsPage, report: Path, out_dir: Path) -> Printed:
    """The report as Chromium prints it (PDF), and its blocks as laid out for print."""
    _open(page, report)
    data = page.call("Page.printToPDF", timeout=180, preferCSSPageSize=True, printBackground=True)[
        "data"
    ]
    pdf = out_dir / "report.pdf"
    pdf.write_bytes(base64.b64decode(data))
    reader = PdfReader(pdf)

    # The print layout, measured: print media, a viewport the width of the page area.
    width_pt, height_pt = (float(v) for v in reader.pages[0].mediabox.upper_right)
    margin_mm = _mm(page.evaluate(JS_PAGE_MARGIN))
    area = tuple(
        size_pt / 72 * 96 - 2 * margin_mm * CSS_PX_PER_MM for size_pt in (width_pt, height_pt)
    )
    page.call("Emulation.setEmulatedMedia", media="print")
    page.call(
        "Emulation.setDeviceMetricsOverride",
        width=round(area[0]),
        height=round(area[1]),
        deviceScaleFactor=1,
        mobile=False,
    )
    try:
        page.settle()
        blocks = [Block(**{**b, "notes": tuple(b["notes"])}) for b in page.evaluate(JS_BLOCKS)]
        too_wide = page.evaluate(JS_TOO_WIDE)
    finally:
        page.call("Emulation.setEmulatedMedia", media="")
        page.call("Emulation.clearDeviceMetricsOverride")
    return Printed(pdf, reader, blocks, area, too_wide)


def _keep(paths: list[Path]) -> None:
    extra = os.environ.get("ISADEX_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        for path in paths:
            shutil.copy2(path, Path(extra) / path.name)


# ----------------------------------------------------------------------------- tests


def test_printed_on_a4_landscape_without_shrinking(printed: Printed):
    """The report's @page size is used, and nothing is wider than the page area (a wider block
    makes Chromium scale every page down, figures and tables with it)."""
    width, height = (float(v) for v in printed.reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == tuple(round(v) for v in A4_LANDSCAPE_PT)
    assert not printed.too_wide, f"wider than the printed page: {printed.too_wide}"


def test_every_table_and_figure_is_on_one_page_with_its_caption(printed: Printed, out_dir):
    text = PdfText(printed.reader)
    images = [len(p.images) for p in printed.reader.pages]
    page_height = printed.page_area_px[1]
    figures_on = {}  # page -> figures whose title and caption are on it
    problems, lines, cursor = [], [], 0

    for block in printed.blocks:
        parts = [("caption", block.caption), ("first row", block.first), ("last row", block.last)]
        parts += [("footnote" if block.kind == "table" else "figcaption", n) for n in block.notes]
        pages, ends = {}, {}
        # The caption is the last one before the first row: the cover's contents name the
        # transfers and validation sections too, and a long table repeats its caption.
        row_start = text.find(_squash(block.first), cursor)
        for part, content in parts:
            needle = _squash(content)
            if not needle:
                continue
            if part == "caption" and row_start is not None:
                at = text.find(needle, cursor, end=row_start)
            elif part == "last row" and row_start is not None:
                at = text.find(needle, row_start)  # a one-row table's last row is its first
            else:
                at = text.find(needle, cursor)
            if at is None:
                problems.append(f"{block.name}: its {part} is not in the PDF: {content[:80]!r}")
                continue
            pages[part] = text.page(at)
            ends[part] = text.page(at + len(needle) - 1)  # a footnote may wrap onto the next page
            cursor = max(cursor, at + len(needle))
        if not pages:
            continue
        first, last = min(pages.values()), max(ends.values())
        fits = block.height <= page_height
        lines.append(
            f"{block.name}: page {first}" + (f"-{last}" if last > first else "")
            + ("" if fits else f" (taller than a page: {block.height:.0f} px > {page_height:.0f})")
        )  # fmt: skip
        if fits:
            if first != last:
                where = ", ".join(
                    f"{part} on page {p}" + (f"-{ends[part]}" if ends[part] != p else "")
                    for part, p in pages.items()
                )
                problems.append(f"{block.name}: split over pages {first}-{last} ({where})")
            if block.kind == "figure" and block.image:
                figures_on.setdefault(first, []).append(block.name)
            continue
        # Taller than a page: it starts with its caption, ends with its footnote, and carries
        # its caption on every page it runs over.
        if pages.get("caption") != pages.get("first row", pages.get("caption")):
            problems.append(f"{block.name}: caption on page {pages.get('caption')}, first row "
                            f"on page {pages.get('first row')}")  # fmt: skip
        for part in ("footnote", "figcaption"):
            if part in pages and ends[part] != ends.get("last row", pages[part]):
                problems.append(f"{block.name}: {part} on page {ends[part]}, last row on page "
                                f"{pages.get('last row')}")  # fmt: skip
        caption = _squash(block.caption)
        for p in range(first, last + 1):
            if caption not in text.pages[p - 1]:
                problems.append(f"{block.name}: runs over page {p} without its caption")

    for p, names in sorted(figures_on.items()):
        if images[p - 1] < len(names):
            problems.append(f"{', '.join(names)}: page {p} has {images[p - 1]} image(s) for "
                            f"{len(names)} figure(s)")  # fmt: skip

    summary = out_dir / "pages.txt"
    summary.write_text(f"{len(printed.reader.pages)} pages\n" + "\n".join(lines) + "\n")
    _keep([printed.pdf, summary])
    print(summary.read_text())
    kinds = {b.kind for b in printed.blocks}
    assert kinds == {"table", "figure"}, f"blocks found: {kinds}"
    assert not problems, "\n".join(problems)


def test_every_figure_prints_at_its_drawn_size(printed: Printed):
    """A figure scaled down in print shrinks its 8 pt text with it: each is drawn to fit the
    printed page's figure height (figures.PRINTED_FIGURE_MAX_IN), so it prints at 95% of its
    drawn size or more (the Kaplan-Meier figures, 6 in tall, at 98%)."""
    scales = {b.name: b.scale for b in printed.blocks if b.kind == "figure"}
    print({name: round(s, 3) for name, s in scales.items()})
    assert all(0.2 < s < 2.0 for s in scales.values()), f"scales not measured: {scales}"
    small = {name: round(s, 2) for name, s in scales.items() if s < 0.95}
    assert not small, f"figures printed below 95% of their drawn size: {small}"


def test_swimmer_plot_is_printed_in_parts_of_a_page_each(printed: Printed):
    """58 ITT subjects: F03 in three parts of at most 20 subjects, each a figure that fits a
    page with its caption (so it prints at its drawn size, lane labels 8 pt)."""
    swimmer = [b for b in printed.blocks if b.kind == "figure" and b.name.startswith("F03.")]
    assert [b.name.rsplit("(", 1)[-1] for b in swimmer] == [f"part {i} of 3)" for i in (1, 2, 3)], [
        b.name for b in swimmer
    ]
    for block in swimmer:
        assert block.image and block.height <= printed.page_area_px[1], block


def test_report_first_screen_screenshot(page: DevToolsPage, report: Path, out_dir: Path):
    """The report on screen: a PNG of the first screen, of the window's size and not blank,
    with the report's title and cut-off on it."""
    page.call(
        "Emulation.setDeviceMetricsOverride",
        width=SCREEN[0],
        height=SCREEN[1],
        deviceScaleFactor=1,
        mobile=False,
    )
    try:
        _open(page, report)
        title_box = page.evaluate(
            "(() => { const r = document.querySelector('h1').getBoundingClientRect();"
            " return [r.top, r.bottom, document.querySelector('h1').textContent]; })()"
        )
        shot = page.screenshot(out_dir / "report_first_screen.png")
    finally:
        page.call("Emulation.clearDeviceMetricsOverride")
    _keep([shot])
    assert png_size(shot) == SCREEN
    top, bottom, title = title_box
    assert 0 <= top < bottom <= SCREEN[1], f"the title is not on the first screen: {title_box}"
    assert "endpoint tables and figures" in title
    with Image.open(io.BytesIO(shot.read_bytes())) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    # None: more than 65,536 colours, certainly not blank; else text, rules and the fact band
    assert colours is None or len(colours) > 16, f"a blank screen: {len(colours)} colours"


JS_IN_FORCE_MANIFESTS = r"""
[...document.querySelectorAll('#transfers > table > tbody > tr')]
  .map(r => r.querySelector(':scope > td.hash').textContent.trim())
"""


def test_first_page_prints_every_transfer_in_force_with_its_manifest_checksum(
    printed: Printed, page: DevToolsPage
):
    """endpoints.md, Report: the transfers used with their checksums on the first page. The
    manifest's SHA-256 pins each file's (site_extracts.md: the manifest lists every file with
    its sha256), so the printed transfers block carries one per transfer in force and says how
    many files each pins."""
    text = PdfText(printed.reader)
    manifests = page.evaluate(JS_IN_FORCE_MANIFESTS)
    assert len(manifests) == 6, manifests  # the demo's six sites
    pages = []
    for sha in manifests:
        at = text.find(sha, 0)
        assert at is not None, f"manifest SHA-256 {sha} is not in the PDF"
        pages.append(text.page(at))
    assert set(pages) == {pages[0]} and pages[0] <= 2, f"manifest checksums on pages {pages}"
    assert _squash("files, each with its SHA-256 in the manifest") in text.pages[pages[0] - 1]
