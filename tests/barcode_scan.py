"""Read printed barcodes back as a scanner would: PDF pages to pixels, pixels to text.

pdftoppm (Debian's poppler-utils) renders each page; zxing-cpp (the ``dev`` extra)
decodes every QR and Code128 symbol on it. A test that prints a barcode checks what a
scanner reads, not how the symbol was drawn.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image


@dataclass(frozen=True)
class Scan:
    """What one page's symbols read: ``qr`` and ``code128`` in the order found."""

    qr: list[str]
    code128: list[str]
    qr_left: list[int]  # each QR symbol's left edge, in pixels from the page's left


def scan_pdf(content: bytes | Path, *, dpi: int = 150) -> list[Scan]:
    """Every page of the PDF (bytes or a file), one ``Scan`` per page."""
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp is in the dev extra")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "in.pdf")
        if isinstance(content, Path):
            source = content
        else:
            source.write_bytes(content)
        pdftoppm = shutil.which("pdftoppm")
        assert pdftoppm, "pdftoppm is in Debian's poppler-utils (.ci/run installs it)"
        subprocess.run(  # noqa: S603 (our own file names)
            [pdftoppm, "-r", str(dpi), "-gray", "-png", str(source), str(Path(folder, "page"))],
            check=True,
            capture_output=True,
        )
        scans = []
        for image_path in sorted(Path(folder).glob("page-*.png"), key=_page_number):
            with Image.open(image_path) as image:
                found = zxingcpp.read_barcodes(image)
            qr = [r for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]
            scans.append(
                Scan(
                    qr=[r.text for r in qr],
                    code128=[r.text for r in found if r.format == zxingcpp.BarcodeFormat.Code128],
                    qr_left=[min(r.position.top_left.x, r.position.bottom_left.x) for r in qr],
                )
            )
        return scans


def _page_number(path: Path) -> int:
    return int(path.stem.rsplit("-", 1)[1])
