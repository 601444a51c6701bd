"""Return photos from hostile uploaders (issue 23 item 1): the anonymous customer on the
one-time link and service staff. Wrong types, HTML named .jpg, a picture named .html,
oversize files, decompression bombs and hostile names; each refused with a message (never a
500) or stored under a name of ours and served with the type its bytes showed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from returns.models import ReturnPhoto, ReturnState
from returns.services import photos as services
from tests.returns.factories import delivered_order, open_return
from tests.upload_files import (
    HOSTILE_NAMES,
    HTML,
    SVG,
    jpeg_bytes,
    noise_png,
    png_bytes,
    png_declaring,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def request_(service: Any, sku: Any) -> Any:
    return open_return(delivered_order([(sku, 1, "99.00")]), service)


@pytest.fixture
def link(request_: Any, service: Any) -> str:
    return services.photo_link_create(request_id=request_.pk, by=service)


def _page(response: Any) -> str:
    return str(response.content.decode())


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("evil.jpg", HTML, "image/jpeg"),
        ("evil.png", SVG, "image/png"),
        ("evil.html", HTML, "text/html"),
        ("photo.jpg", b"%PDF-1.4\n%%EOF\n", "image/jpeg"),
    ],
)
def test_the_customer_cannot_send_what_is_not_a_picture(
    client: Client, link: str, request_: Any, name: str, content: bytes, declared: str
) -> None:
    response = client.post(link, {"photos": [upload(name, content, declared)]})
    assert response.status_code == 200
    assert "This file is not a picture we can read." in _page(response)
    assert request_.photos.count() == 0
    # Refused, the link still works for the right pictures.
    sent = client.post(link, {"photos": [upload("ok.png", png_bytes())]})
    assert "We received your photos" in _page(sent)


@pytest.mark.parametrize(("width", "height"), [(30_000, 30_000), (10_000, 10_000), (8_000, 8_000)])
def test_a_decompression_bomb_on_the_link_is_refused_not_a_500(
    client: Client, link: str, request_: Any, width: int, height: int
) -> None:
    response = client.post(link, {"photos": [upload("bomb.png", png_declaring(width, height))]})
    assert response.status_code == 200
    assert "the limit is 50 megapixels" in _page(response)
    assert request_.photos.count() == 0


def test_a_decompression_bomb_from_service_is_a_message_not_a_500(
    client: Client, service: Any, request_: Any
) -> None:
    client.force_login(service)
    response = client.post(
        reverse("returns:photo_upload", args=[request_.pk]),
        {"photos": [upload("bomb.png", png_declaring(30_000, 30_000))]},
        follow=True,
    )
    assert response.status_code == 200
    assert "bomb.png: The picture is too large to open; the limit is 50 megapixels." in _page(
        response
    )
    assert request_.photos.count() == 0


def test_an_oversize_picture_is_refused_naming_the_limit(
    client: Client, link: str, request_: Any, settings: Any
) -> None:
    settings.RETURNS_PHOTO_LIMITS = {"max_bytes": 2048, "max_count": 6}
    response = client.post(link, {"photos": [upload("big.png", noise_png((300, 300)))]})
    assert response.status_code == 200
    assert re.search(
        r"big\.png: The picture is [\d.]+\xa0KB; the limit is 2\.0\xa0KB\.", _page(response)
    )
    assert request_.photos.count() == 0


def test_a_picture_named_html_is_stored_and_served_as_the_picture_it_is(
    client: Client, link: str, request_: Any, service: Any
) -> None:
    response = client.post(link, {"photos": [upload("evil.html", png_bytes(), "text/html")]})
    assert "We received your photos" in _page(response)
    photo = request_.photos.get()
    assert photo.content_type == "image/png"
    assert photo.name == "evil.html"  # shown to staff, never used on disk
    assert re.fullmatch(rf"returns/{request_.number}/[0-9a-f]{{16}}\.png", photo.image.name)
    assert (photo.width, photo.height) == (64, 48)
    client.force_login(service)
    served = client.get(reverse("returns:photo_file", args=[photo.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"] == 'inline; filename="evil.png"'
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"].startswith("default-src 'none'")
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]


def test_a_jpeg_named_pdf_is_stored_as_a_jpeg(service: Any, request_: Any) -> None:
    (photo,) = services.photos_add(
        request_id=request_.pk,
        files=[upload("scan.pdf", jpeg_bytes(), "application/pdf")],
        by=service,
    )
    assert photo.content_type == "image/jpeg"
    assert photo.image.name.endswith(".jpg")


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_never_reach_the_disk(
    client: Client, service: Any, sku: Any, name: str
) -> None:
    request_ = open_return(delivered_order([(sku, 1, "99.00")]), service)
    link = services.photo_link_create(request_id=request_.pk, by=service)
    response = client.post(link, {"photos": [upload(name, png_bytes())]})
    assert "We received your photos" in _page(response)
    photo = request_.photos.get()
    assert re.fullmatch(rf"returns/{request_.number}/[0-9a-f]{{16}}\.png", photo.image.name)
    assert default_storage.exists(photo.image.name)
    assert len(photo.name) <= 200
    assert not re.search(r"[/\\\x00-\x1f\u202a-\u202e\u2066-\u2069]", photo.name)
    client.force_login(service)
    served = client.get(reverse("returns:photo_file", args=[photo.pk]))
    disposition = served["Content-Disposition"]
    assert disposition.startswith("inline; filename")
    assert disposition.endswith('.png"') or disposition.endswith(".png")
    assert "\n" not in disposition
    assert "\x00" not in disposition
    # The page lists the photo; the name is only ever text.
    page = client.get(request_.get_absolute_url())
    assert page.status_code == 200


def test_the_request_moves_on_only_when_a_picture_was_taken(
    client: Client, link: str, request_: Any
) -> None:
    client.post(link, {"photos": [upload("bomb.png", png_declaring(30_000, 30_000))]})
    request_.refresh_from_db()
    assert request_.state == ReturnState.AWAITING_PHOTOS
    client.post(link, {"photos": [upload("ok.jpg", jpeg_bytes())]})
    request_.refresh_from_db()
    assert request_.state == ReturnState.IN_REVIEW


def _legacy_photo(request_: Any, name: str, content: bytes) -> ReturnPhoto:
    """A photo stored before the type was kept, under the name the uploader gave."""
    stored = default_storage.save(f"returns/{request_.number}/{name}", ContentFile(content))
    # Dimensions given, so the model does not open the file to read them.
    return ReturnPhoto.objects.create(request=request_, image=stored, width=1, height=1)


def test_photos_stored_before_are_served_by_their_bytes_not_their_name(
    client: Client, service: Any, request_: Any
) -> None:
    picture = _legacy_photo(request_, "evil.html", png_bytes())
    script = _legacy_photo(request_, "evil2.html", HTML)
    client.force_login(service)
    served = client.get(reverse("returns:photo_file", args=[picture.pk]))
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"].startswith("inline;")
    served = client.get(reverse("returns:photo_file", args=[script.pk]))
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"


def test_a_photo_whose_file_is_gone_is_a_404(client: Client, service: Any, request_: Any) -> None:
    photo = _legacy_photo(request_, "gone.png", png_bytes())
    default_storage.delete(ReturnPhoto.objects.get(pk=photo.pk).image.name)
    client.force_login(service)
    assert client.get(reverse("returns:photo_file", args=[photo.pk])).status_code == 404


def test_the_request_page_and_the_customer_page_send_the_policy(
    client: Client, link: str, request_: Any, service: Any
) -> None:
    customer = client.get(link)
    assert "script-src 'self'" in customer["Content-Security-Policy"]
    client.force_login(service)
    page = client.get(request_.get_absolute_url())
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "onclick=" not in _page(page)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_handed_to_the_service_are_cleaned(service: Any, sku: Any, name: str) -> None:
    request_ = open_return(delivered_order([(sku, 1, "99.00")]), service)
    (photo,) = services.photos_add(
        request_id=request_.pk, files=[upload(name, png_bytes())], by=service
    )
    assert re.fullmatch(rf"returns/{request_.number}/[0-9a-f]{{16}}\.png", photo.image.name)
    assert len(photo.name) <= 200
    assert not re.search(r"[/\\\x00-\x1f\u202a-\u202e\u2066-\u2069]", photo.name)
