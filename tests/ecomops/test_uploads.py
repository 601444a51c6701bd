"""Upload safety in the kernel (ecomops.uploads, ecomops.images) and the Content-Security-
Policy of every page (issue 23 item 1): types read from the bytes, decompression bombs and
oversize files refused with a message, hostile names cleaned, stored names ours, served
files typed, never sniffed, inline only for pictures and PDFs; no inline script without
the page's nonce anywhere in the templates."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from ecomops import uploads
from ecomops.images import validate_image_upload
from tests.upload_files import (
    HOSTILE_NAMES,
    HTML,
    SVG,
    jpeg_bytes,
    png_bytes,
    png_declaring,
    upload,
)

pytestmark = pytest.mark.usefixtures("english")


# --- Types from the bytes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("photo.png", png_bytes(), uploads.PNG),
        ("photo.jpg", jpeg_bytes(), uploads.JPEG),
        ("evil.html", png_bytes(), uploads.PNG),  # the name lies, the bytes decide
        ("scan.pdf", jpeg_bytes(), uploads.JPEG),
    ],
)
def test_a_picture_is_known_by_its_bytes_whatever_its_name(
    name: str, content: bytes, expected: str
) -> None:
    content_type, width, height = uploads.detect_image_type(
        upload(name, content, "text/html"), max_bytes=1_000_000
    )
    assert (content_type, width, height) == (expected, 64, 48)


@pytest.mark.parametrize(
    "content", [HTML, SVG, b"%PDF-1.4\n%%EOF\n", b"GIF89a" + b"\x00" * 40, b"just text"]
)
def test_what_is_not_an_accepted_picture_is_refused(content: bytes) -> None:
    with pytest.raises(ValidationError) as refused:
        uploads.detect_image_type(upload("photo.jpg", content, "image/jpeg"), max_bytes=10_000)
    assert refused.value.code == "image_type"
    assert "not a picture we can read" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("content", "allowed"),
    [
        (HTML, (uploads.PDF, uploads.JPEG, uploads.PNG)),
        (SVG, (uploads.PDF, uploads.JPEG, uploads.PNG)),
        (png_bytes(), (uploads.PDF,)),
    ],
)
def test_a_document_of_a_type_not_allowed_is_refused(content: bytes, allowed: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        uploads.detect_document_type(
            upload("licence.pdf", content, "application/pdf"), max_bytes=10_000, allowed=allowed
        )
    assert refused.value.code == "file_type"
    assert "This kind of file is not accepted" in refused.value.messages[0]


def test_an_oversize_file_is_refused_naming_the_limit() -> None:
    with pytest.raises(ValidationError) as refused:
        uploads.detect_document_type(
            upload("big.png", png_bytes((400, 400))), max_bytes=1024, allowed=(uploads.PNG,)
        )
    assert refused.value.code == "file_size"
    assert "the limit is 1.0\xa0KB" in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused:
        uploads.detect_image_type(upload("big.png", png_bytes((400, 400))), max_bytes=1024)
    assert refused.value.code == "image_size"
    assert "the limit is 1.0\xa0KB" in refused.value.messages[0]


# --- Decompression bombs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (30_000, 30_000),  # 900 MP: past twice Pillow's limit, it raises DecompressionBombError
        (10_000, 10_000),  # 100 MP: past Pillow's limit, it only warns
        (8_000, 8_000),  # 64 MP: Pillow would decode it; our setting refuses it
    ],
)
def test_a_decompression_bomb_is_refused_with_a_message(width: int, height: int) -> None:
    bomb = png_declaring(width, height)
    assert len(bomb) < 1_000  # cheap to send, ruinous to decode
    with pytest.raises(ValidationError) as refused:
        uploads.detect_image_type(upload("bomb.png", bomb), max_bytes=1_000_000)
    assert refused.value.code == "image_pixels"
    assert "the limit is 50 megapixels" in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused:
        uploads.detect_document_type(
            upload("bomb.png", bomb), max_bytes=1_000_000, allowed=(uploads.PDF, uploads.PNG)
        )
    assert refused.value.code == "image_pixels"
    with pytest.raises(ValidationError, match="megapixels"):
        validate_image_upload(upload("bomb.png", bomb), max_bytes=1_000_000)


def test_the_pixel_limit_is_a_setting(settings: Any) -> None:
    settings.UPLOAD_IMAGE_MAX_PIXELS = 1_000
    with pytest.raises(ValidationError) as refused:
        uploads.detect_image_type(upload("a.png", png_bytes((64, 48))), max_bytes=1_000_000)
    assert refused.value.messages == [
        "The picture is 64×48 pixels; the limit is 0.001 megapixels. Save it smaller and "
        "upload it again."
    ]


# --- Names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("photo\x00.html", "photo.html"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("zero\u200bwidth\ufeff.png", "zerowidth.png"),
        ("  two   spaces\n.png ", "two spaces .png"),
        ("tab\tand  space .png", "tab and space .png"),
        ("...", "file"),
        ("\n\r\t", "file"),
        ("", "file"),
        (None, "file"),
        ("营业执照 2026.pdf", "营业执照 2026.pdf"),
    ],
)
def test_display_names_are_cleaned(name: Any, shown: str) -> None:
    assert uploads.display_name(name) == shown


def test_a_very_long_name_is_cut_keeping_its_extension() -> None:
    shown = uploads.display_name("a" * 1000 + ".png")
    assert len(shown) == uploads.DISPLAY_NAME_MAX
    assert shown.endswith("aaa.png")
    assert len(uploads.display_name("b" * 1000)) == uploads.DISPLAY_NAME_MAX


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_nothing_of_the_uploaders_name_reaches_the_stored_name(name: str) -> None:
    stored = uploads.stored_name(uploads.PNG)
    assert re.fullmatch(r"[0-9a-f]{16}\.png", stored)
    prefixed = uploads.stored_name(uploads.PDF, prefix=f"SO-1/{name}")
    assert re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{16}\.pdf", prefixed), prefixed
    assert "/" not in prefixed
    assert ".." not in prefixed


@pytest.mark.parametrize(
    ("name", "content_type", "download"),
    [
        ("evil.html", uploads.PNG, "evil.png"),
        ("scan.JPEG", uploads.JPEG, "scan.JPEG"),
        ("report.pdf", uploads.PDF, "report.pdf"),
        ("../../etc/passwd", uploads.PDF, "passwd.pdf"),
        ("blob", "application/x-unknown", "blob"),
    ],
)
def test_downloads_carry_the_extension_of_the_stored_type(
    name: str, content_type: str, download: str
) -> None:
    assert uploads.download_name(name, content_type) == download


# --- Serving --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "served", "disposition"),
    [
        (uploads.PNG, "image/png", 'inline; filename="evil.png"'),
        (uploads.JPEG, "image/jpeg", 'inline; filename="evil.jpg"'),
        (uploads.PDF, "application/pdf", 'inline; filename="evil.pdf"'),
        (uploads.TEXT, "text/plain", 'attachment; filename="evil.txt"'),
        (uploads.XLSX, uploads.XLSX, 'attachment; filename="evil.xlsx"'),
        ("text/html", "application/octet-stream", 'attachment; filename="evil.html"'),
        ("", "application/octet-stream", 'attachment; filename="evil.html"'),
    ],
)
def test_a_served_upload_has_its_type_disposition_and_nosniff(
    content_type: str, served: str, disposition: str
) -> None:
    response = uploads.file_response(
        io.BytesIO(b"bytes"), content_type=content_type, name="evil.html"
    )
    assert response["Content-Type"] == served
    assert response["Content-Disposition"] == disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert "script-src" not in response["Content-Security-Policy"]  # so none: default-src


def test_a_non_ascii_name_is_served_encoded() -> None:
    response = uploads.file_response(
        io.BytesIO(b"%PDF-"), content_type=uploads.PDF, name="营业执照\u202e.pdf"
    )
    assert response["Content-Disposition"] == (
        "inline; filename*=utf-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf"
    )


# --- The Content-Security-Policy -------------------------------------------------------------


def _policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_portal_pages_send_the_policy(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user("sales_rep"))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
        assert not any(source.startswith(("http", "*")) for source in policy[directive])


@pytest.mark.django_db
def test_login_page_and_the_customers_photo_page_send_the_policy() -> None:
    client = Client()
    assert "script-src 'self'" in client.get(reverse("login"))["Content-Security-Policy"]
    refused = client.get(reverse("returns:customer_photos", args=["not-a-token"]))
    assert refused.status_code == 404
    assert "script-src 'self'" in refused["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_admin_sends_the_policy(django_user_model: Any) -> None:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "x"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "'unsafe-inline'" not in _policy(response)["script-src"]


@pytest.mark.django_db
def test_an_inline_style_carries_the_nonce_of_its_page(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user("promotion"))
    response = client.get(reverse("marketing:home"))
    assert response.status_code == 200
    nonces = [s for s in _policy(response)["style-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1
    html = response.content.decode()
    assert f'<style nonce="{nonces[0][7:-1]}">' in html
    again = client.get(reverse("marketing:home"))
    assert _policy(again)["style-src"] != _policy(response)["style-src"]  # a nonce per page


def _templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    found = list((root / "templates").rglob("*.html"))
    for app in [*settings.BUSINESS_APPS, "ecomops"]:
        found += [p for p in (root / app).rglob("templates/**/*.html")]
    return sorted(set(found))


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b(?![^>]*\bnonce=)[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def test_no_template_has_an_inline_script_style_or_handler_without_a_nonce() -> None:
    """The policy refuses them: a new one must take request.csp_nonce or go to static/."""
    templates = _templates()
    assert len(templates) > 50
    problems = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, HANDLER, JAVASCRIPT_URL):
            problems += [f"{path}: {m.group(0)[:80]}" for m in pattern.finditer(text)]
    assert problems == []


@pytest.mark.django_db
def test_the_api_docs_page_allows_redocs_styles_but_no_inline_script(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user("sales_rep"))
    response = client.get(reverse("api-docs"))
    policy = _policy(response)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]  # Redoc's own <style>s
    assert policy["worker-src"] == ["'self'", "blob:"]  # its search worker
    assert "'unsafe-inline'" not in policy["script-src"]
    assert not INLINE_SCRIPT.search(response.content.decode())
