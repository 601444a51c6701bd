"""The embedded CJK font every document uses (DESIGN §6).

reportlab embeds a subset of a TrueType font (``TTFont``), so the PDF prints the same in
every viewer. The CID font ``STSong-Light`` is never used: it is not embedded and renders
as boxes wherever Adobe's Asian font pack is missing. reportlab cannot read CFF outlines,
so OpenType ``.otf`` files and the Noto Sans CJK ``.ttc`` (CFF inside) are no candidates.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

logger = logging.getLogger(__name__)

# A glyph every usable font must have: a Latin-only font would print nothing for Chinese.
_PROBE_CHARACTER = ord("发")

# (path, subfont index) tried in order after the paperang-p2-fonts-cjk package.
_SYSTEM_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # fonts-wqy-microhei
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # fonts-wqy-zenhei
    # TrueType builds of Noto CJK; Debian's fonts-noto-cjk ships CFF (unreadable, skipped).
    ("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc", 2),  # index 2: SC
    ("/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # fonts-droid-fallback
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # fonts-arphic-uming
)

_HOW_TO_FIX = (
    "Install the paperang-p2-fonts-cjk package (pip install paperang-p2-fonts-cjk, it "
    "carries WenQuanYi Micro Hei) or Debian's fonts-wqy-microhei, or set PDF_CJK_FONT_PATH "
    "(and PDF_CJK_FONT_SUBFONT_INDEX for a .ttc collection) to a TrueType CJK font."
)


@dataclass(frozen=True)
class CJKFont:
    """A CJK font registered with reportlab, by the names to pass to ``setFont``/styles.

    ``bold`` is the regular face when the font has no bold one (WenQuanYi Micro Hei has
    none, and reportlab cannot synthesize bold for TrueType): ``<b>`` in a Paragraph then
    prints in the regular face instead of failing.
    """

    name: str
    bold: str
    path: Path
    subfont_index: int


def register_cjk_font() -> str:
    """Register the CJK font (once per process) and return the font name to use."""
    return cjk_font().name


def cjk_font() -> CJKFont:
    """The CJK font from ``PDF_CJK_FONT_PATH``, or the first installed one; registered.

    Raises ``ImproperlyConfigured`` when the configured file is unusable or no font is found.
    """
    configured = str(getattr(settings, "PDF_CJK_FONT_PATH", "") or "")
    if configured:
        index = int(getattr(settings, "PDF_CJK_FONT_SUBFONT_INDEX", 0) or 0)
        return _configured_font(configured, index)
    return _discovered_font()


@functools.cache
def _configured_font(path: str, subfont_index: int) -> CJKFont:
    font_path = Path(path)
    if not font_path.is_file():
        raise ImproperlyConfigured(
            f"PDF_CJK_FONT_PATH points to {path!r}, which is not a file. "
            f"Fix the path, or leave it empty to use an installed font. {_HOW_TO_FIX}"
        )
    try:
        return _register(font_path, subfont_index)
    except (TTFError, ValueError, OSError) as exc:
        raise ImproperlyConfigured(
            f"PDF_CJK_FONT_PATH={path!r} (subfont index {subfont_index}) is unusable for "
            f"PDFs: {exc}. It must be a TrueType-outline CJK font (.ttf/.ttc); CFF-based "
            f".otf files and the Noto Sans CJK .ttc cannot be embedded by reportlab."
        ) from exc


@functools.cache
def _discovered_font() -> CJKFont:
    for path, subfont_index in _candidates():
        if path.suffix.lower() == ".otf" or not path.is_file():
            continue
        try:
            return _register(path, subfont_index)
        except (TTFError, ValueError, OSError) as exc:
            logger.info("Skipping CJK font candidate %s: %s", path, exc)
    raise ImproperlyConfigured(f"No TrueType CJK font found for PDFs. {_HOW_TO_FIX}")


def _candidates() -> list[tuple[Path, int]]:
    found: list[tuple[Path, int]] = []
    try:
        package = importlib.resources.files("paperang_p2_fonts_cjk")
    except ModuleNotFoundError:
        pass
    else:
        # The package is installed as plain files (no zip), so the path is a real file.
        found.append((Path(str(package.joinpath("fonts", "wqy-microhei.ttc"))), 0))
    found.extend((Path(path), index) for path, index in _SYSTEM_CANDIDATES)
    return found


def _register(path: Path, subfont_index: int) -> CJKFont:
    # One name per file and face, so a second font never replaces the first in reportlab's
    # process-wide registry under a name that styles already refer to.
    name = f"CJK-{path.stem}-{subfont_index}"
    font = TTFont(name, str(path), subfontIndex=subfont_index)
    if _PROBE_CHARACTER not in font.face.charToGlyph:
        raise ValueError("the font has no Chinese glyphs")
    pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return CJKFont(name=name, bold=name, path=path, subfont_index=subfont_index)
