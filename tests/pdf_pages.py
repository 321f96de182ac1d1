"""Read a rendered PDF back page by page, with where each piece of text starts on the page."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from pypdf import PdfReader

# PDF points per millimetre: a point is 1/72 inch.
MM = 72 / 25.4


@dataclass
class PdfPage:
    """The text of one page and the start point of each text run, in PDF points."""

    width: float
    height: float
    text: str = ""
    runs: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def compact_text(self) -> str:
        """Return the text without any whitespace, so amounts compare whatever their spaces."""
        return compact(self.text)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def read_pages(pdf: bytes) -> list[PdfPage]:
    """Extract each page's text and the start point of every text run drawn on it."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        box = page.mediabox
        result = PdfPage(width=float(box.width), height=float(box.height))

        def visit(text, cm, tm, font_dict, font_size, result=result):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                result.runs.append((text, x, y))

        result.text = page.extract_text(visitor_text=visit)
        pages.append(result)
    return pages


def assert_runs_inside_page(pages):
    """Every text run starts on the page, at least 10 mm left of its right edge."""
    for number, page in enumerate(pages, start=1):
        for text, x, y in page.runs:
            assert 0 <= x <= page.width - 10 * MM, f"page {number}: {text!r} starts at x={x:.0f}pt"
            assert 0 <= y <= page.height, f"page {number}: {text!r} starts at y={y:.0f}pt"
