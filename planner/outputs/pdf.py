"""PDF documents from the same templates as the HTML (rendered in their print variant).

Fonts: the DejaVu Sans shipped in ``planner/fonts`` covers Latin (all accents), Greek,
Cyrillic, Armenian, Georgian, Hebrew and Arabic letters. A CJK or other system font is
added as a fallback when one is installed. Should the shipped font be unusable, the PDF
is still written with a core font and text reduced to Latin-1, never an exception.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

from fpdf import FPDF

FAMILY = "DejaVu"
# System fonts for scripts DejaVu lacks (Debian/Ubuntu package paths); first found wins.
FALLBACK_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)

log = logging.getLogger(__name__)
# fpdf2 logs each glyph a font lacks; that is expected for scripts without a fallback.
logging.getLogger("fpdf.output").setLevel(logging.ERROR)
logging.getLogger("fpdf.fonts").setLevel(logging.ERROR)


@lru_cache(maxsize=1)
def shipped_fonts() -> dict[str, Path] | None:
    folder = resources.files("planner") / "fonts"
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        return {"": Path(str(regular)), "B": Path(str(bold))}
    return None


@lru_cache(maxsize=1)
def fallback_font() -> Path | None:
    for candidate in FALLBACK_CANDIDATES:
        p = Path(candidate)
        if p.is_file():
            return p
    return None


class _Doc(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self._footer_text = footer_text
        self.core_only = False
        self.set_auto_page_break(True, margin=18)
        self.set_margins(18, 16, 18)

    def footer(self):
        self.set_y(-12)
        self.set_font(size=8)
        text = f"{self._footer_text} — {self.page_no()}/{{nb}}"
        self.cell(0, 6, latin1(text) if self.core_only else text, align="C")


def _setup_fonts(pdf: FPDF) -> str:
    fonts = shipped_fonts()
    if fonts is None:
        return "helvetica"
    try:
        for style, path in fonts.items():
            pdf.add_font(FAMILY, style, path)
        try:  # right-to-left scripts print joined and in order only with HarfBuzz, if installed
            import uharfbuzz  # noqa: F401
            pdf.set_text_shaping(True)
        except ImportError:
            pass
        fb = fallback_font()
        if fb is not None:
            try:
                pdf.add_font("Fallback", "", fb)
                pdf.set_fallback_fonts(["Fallback"], exact_match=False)
            except Exception as exc:  # a broken system font must not stop the document
                log.warning("fallback font %s not usable: %s", fb, exc)
        return FAMILY
    except Exception as exc:
        log.warning("shipped font not usable, using a core font: %s", exc)
        return "helvetica"


def latin1(text: str) -> str:
    """Core fonts only know Latin-1: drop accents where possible, '?' for the rest."""
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or {"–": "-", "—": "-", "→": "->", "’": "'", "“": '"', "”": '"'}.get(ch, "?"))
    return "".join(out)


def html_to_pdf(html: str, path: Path, title: str, created: datetime, footer: str) -> Path:
    pdf = _Doc(footer)
    family = _setup_fonts(pdf)
    if family == "helvetica":
        html, title = latin1(html), latin1(title)
        pdf.core_only = True
    pdf.set_title(title)
    pdf.set_creator("vertrekplanner")
    pdf.set_creation_date(created)  # reproducible output for the same plan
    pdf.set_font(family, size=10)
    pdf.add_page()
    pdf.write_html(html, font_family=family, table_line_separators=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


@dataclass(frozen=True)
class PdfJob:
    html: str
    path: Path
    title: str
    created: datetime
    footer: str

    def run(self) -> Path:
        return html_to_pdf(self.html, self.path, self.title, self.created, self.footer)


def _run(job: PdfJob) -> Path:
    return job.run()


def _workers(jobs: int) -> int:
    """Processes for a batch: PDF layout is CPU-bound Python, so cores help and threads do not.

    Only by fork (cheap, nothing re-imported) and only from a single-threaded process, where
    forking is safe; ``VERTREKPLANNER_PDF_WORKERS=1`` turns it off.
    """
    wanted = os.environ.get("VERTREKPLANNER_PDF_WORKERS")
    n = int(wanted) if wanted and wanted.isdigit() else min(os.cpu_count() or 1, 4)
    if (jobs < 8 or n < 2 or not sys.platform.startswith("linux")
            or "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1):
        return 1
    return n


def render_all(jobs: list[PdfJob]) -> list[Path]:
    n = _workers(len(jobs))
    if n == 1:
        return [job.run() for job in jobs]
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_run, jobs, chunksize=max(1, len(jobs) // (4 * n))))
