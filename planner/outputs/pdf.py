"""PDF documents from the same templates as the HTML (rendered in their print variant).

Fonts: the DejaVu Sans shipped in ``planner/fonts`` covers Latin (all accents), Greek,
Cyrillic, Armenian, Georgian, Hebrew and Arabic letters. A CJK or other system font is
added as a fallback when one is installed. Should the shipped font be unusable, the PDF
is still written with a core font and text reduced to Latin-1, never an exception.
"""
from __future__ import annotations

import html as html_lib
import logging
import tempfile
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont
from fpdf import FPDF, TextStyle

from ..parallel import run_all

FAMILY = "DejaVu"
# System fonts for scripts DejaVu lacks (Debian/Ubuntu package paths); first found wins.
FALLBACK_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)

# Headings as the HTML prints them (16 pt, 12.5 pt, near-black), with fpdf2's default margins cut
# down: its 24/18 pt headings and the gaps around them left the itinerary's first page half used.
TAG_STYLES = {
    "h1": TextStyle(font_size_pt=16, color="#111111", t_margin=0, b_margin=1),
    "h2": TextStyle(font_size_pt=12.5, color="#111111", t_margin=3, b_margin=1),
}
# A section heading (<h2>) starts on the next page rather than stand alone this close to a page's foot.
KEEP_WITH_NEXT_MM = 25

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


def _setup_fonts(pdf: FPDF, fonts: dict[str, Path] | None = None) -> str:
    fonts = fonts or shipped_fonts()
    if fonts is None:
        return "helvetica"
    try:
        for style, path in fonts.items():
            if style in ("", "B"):
                pdf.add_font(FAMILY, style, path)
        try:  # right-to-left scripts print joined and in order only with HarfBuzz, if installed
            import uharfbuzz  # noqa: F401
            pdf.set_text_shaping(True)
        except ImportError:
            pass
        fb = fonts.get("fallback", fallback_font())
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


def html_to_pdf(html: str, path: Path, title: str, created: datetime, footer: str,
                fonts: dict[str, Path] | None = None) -> Path:
    """One PDF; ``fonts`` (style -> file, see ``batch_fonts``) replaces the shipped fonts."""
    pdf = _Doc(footer)
    family = _setup_fonts(pdf, fonts)
    if family == "helvetica":
        html, title = latin1(html), latin1(title)
        pdf.core_only = True
    pdf.set_title(title)
    pdf.set_creator("vertrekplanner")
    pdf.set_creation_date(created)  # reproducible output for the same plan
    pdf.set_font(family, size=10)
    pdf.add_page()
    for part in sections(html):
        if part.startswith("<h2") and pdf.y > pdf.h - pdf.b_margin - KEEP_WITH_NEXT_MM:
            pdf.add_page()
        pdf.write_html(part, font_family=family, table_line_separators=True, tag_styles=TAG_STYLES)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def sections(html: str) -> list[str]:
    """The document cut before each ``<h2>``: the top-level sections the print variant is made of
    (headings, paragraphs and tables, never one inside another), each laid out in turn."""
    parts, start = [], 0
    while (at := html.find("<h2", start + 1)) != -1:
        parts.append(html[start:at])
        start = at
    parts.append(html[start:])
    return [p for p in parts if p.strip()]


@dataclass(frozen=True)
class PdfJob:
    html: str
    path: Path
    title: str
    created: datetime
    footer: str
    fonts: dict[str, Path] | None = None

    def run(self) -> Path:
        return html_to_pdf(self.html, self.path, self.title, self.created, self.footer, self.fonts)


# Always in a batch's fonts, whatever the documents say: ASCII, Latin-1, general punctuation
# (dashes, quotes, bullets), arrows, the euro sign; fpdf2 adds some of these itself.
_BASE_CHARS = frozenset(map(chr, [*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x2010, 0x2050),
                                  *range(0x2190, 0x2200), 0x20AC]))


def document_chars(jobs: list[PdfJob]) -> frozenset[str]:
    """The characters a batch's fonts are cut to: the base set and every character of the jobs."""
    used = set(_BASE_CHARS)
    for job in jobs:
        used.update(html_lib.unescape(job.html), job.html, job.title, job.footer)
    return frozenset(used)


def batch_fonts(chars: frozenset[str], folder: Path) -> dict[str, Path] | None:
    """The fonts cut down to ``chars`` (``document_chars`` of a batch), written into ``folder``.

    fpdf2 parses the whole font file for every document and subsets it again when writing;
    with a few hundred glyphs instead of DejaVu's six thousand both take a fraction of the time
    (half of a document's cost before). The cut depends only on the documents, so the same
    batch gives the same bytes, in one process or many; ``vertrekplanner pdf`` cuts them to the
    characters of the whole plan, recorded when it was written, so that one document on demand
    is byte for byte the one written with all the others.
    """
    fonts = shipped_fonts()
    if fonts is None:
        return None
    unicodes = sorted(ord(c) for c in chars)
    sources = dict(fonts)
    if fallback_font() is not None:
        sources["fallback"] = fallback_font()
    out: dict[str, Path] = {}
    try:
        for style, source in sources.items():
            options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True,
                                       name_IDs=["*"], layout_features=[], hinting=False)
            options.drop_tables += ["GSUB", "GPOS", "GDEF"]  # fpdf2 drops them too (no text shaping)
            font = TTFont(source, recalcTimestamp=False, fontNumber=0, lazy=False)
            subsetter = ftsubset.Subsetter(options)
            subsetter.populate(unicodes=unicodes)
            subsetter.subset(font)
            target = folder / f"{style or 'regular'}.ttf"
            font.save(target)
            out[style] = target
    except Exception as exc:  # an odd system font: the documents are still written, more slowly
        log.warning("fonts not cut down to the documents' characters: %s", exc)
        return None
    return out


def _run(job: PdfJob) -> Path:
    return job.run()


def render_all(jobs: list[PdfJob], chars: frozenset[str] = frozenset()) -> list[Path]:
    """Writes the PDFs of ``jobs``, in a pool of processes, from fonts cut to ``chars`` and the
    jobs' own characters (a recorded set may predate a changed template: no glyph goes missing)."""
    if not jobs:
        return []
    with tempfile.TemporaryDirectory(prefix="vertrekplanner-fonts-") as folder:
        fonts = batch_fonts(document_chars(jobs) | chars, Path(folder))
        return run_all(_run, [replace(job, fonts=fonts) for job in jobs])
