"""Shop opening documents from a hostile or careless uploader (issue 23 item 1): HTML named
.pdf, a picture named .html, decompression bombs, oversize files and hostile names are
refused with a form error that keeps what was typed, or stored under a name of ours and
served with the type their bytes showed, never sniffed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import ShopDocument
from tests.orders.factories import (
    SHOP_MORNING,
    document_type_id,
    prepared,
    shop_pdf,
    start_opening,
)
from tests.upload_files import HOSTILE_NAMES, HTML, SVG, noise_png, png_bytes, png_declaring, upload

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english"),
    pytest.mark.clock(SHOP_MORNING),
]

LICENCE_NUMBER = "91330106MA2H7K3X5Q"


@pytest.fixture
def web(client: Client, manager: Any) -> Client:
    client.force_login(manager)
    return client


@pytest.fixture
def opening(manager: Any) -> Any:
    return prepared(start_opening(manager), manager)


def _post(web: Client, opening: Any, file: Any, code: str = "bank_account") -> Any:
    return web.post(
        reverse("orders:shop_action", args=[opening.pk, "upload"]),
        {
            "upload-document_type": document_type_id(opening, code),
            "upload-file": file,
            "upload-licence_number": LICENCE_NUMBER,
        },
    )


def _card(response: Any, code: str = "bank_account") -> str:
    page = str(response.content.decode())
    return page[page.index(f'id="doc-{code}"') :]


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("licence.pdf", HTML, "application/pdf"),
        ("licence.png", SVG, "image/png"),
        ("licence.html", HTML, "text/html"),
    ],
)
def test_a_wrong_type_is_refused_keeping_what_was_typed(
    web: Client, opening: Any, name: str, content: bytes, declared: str
) -> None:
    response = _post(web, opening, upload(name, content, declared))
    assert response.status_code == 400
    card = _card(response)
    assert (
        "This kind of file is not accepted. Upload one of: PDF, JPEG picture, PNG picture." in card
    )
    assert f'value="{LICENCE_NUMBER}"' in card
    assert not ShopDocument.objects.exists()


@pytest.mark.parametrize(("width", "height"), [(30_000, 30_000), (10_000, 10_000)])
def test_a_decompression_bomb_is_a_form_error_not_a_500(
    web: Client, opening: Any, width: int, height: int
) -> None:
    response = _post(web, opening, upload("licence.png", png_declaring(width, height)))
    assert response.status_code == 400
    card = _card(response)
    assert "The picture is too large to open; the limit is 50 megapixels." in card
    assert f'value="{LICENCE_NUMBER}"' in card
    assert not ShopDocument.objects.exists()


def test_an_oversize_file_is_refused_naming_the_limit(
    web: Client, opening: Any, settings: Any
) -> None:
    settings.SHOP_DOCUMENT_MAX_BYTES = 4096
    response = _post(web, opening, upload("licence.png", noise_png((100, 100))))
    assert response.status_code == 400
    assert re.search(r"The file is [\d.]+\xa0KB; the limit is 4\.0\xa0KB\.", _card(response))
    assert not ShopDocument.objects.exists()


def test_a_picture_named_html_is_stored_and_served_as_a_picture(web: Client, opening: Any) -> None:
    response = _post(web, opening, upload("evil.html", png_bytes(), "text/html"))
    assert response.status_code == 302
    document = ShopDocument.objects.get()
    assert document.content_type == "image/png"
    assert document.name == "evil.html"
    assert re.fullmatch(
        rf"shops/\d{{4}}/\d{{2}}/{opening.number}-bank_account-[0-9a-f]{{16}}\.png",
        document.file.name,
    )
    served = web.get(reverse("orders:shop_document", args=[document.pk]))
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"] == 'inline; filename="evil.png"'
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_pdf_is_served_inline_as_a_pdf(web: Client, opening: Any) -> None:
    assert _post(web, opening, shop_pdf("开户许可证.pdf")).status_code == 302
    document = ShopDocument.objects.get()
    served = web.get(reverse("orders:shop_document", args=[document.pk]))
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("inline; filename*=utf-8''")
    assert served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_never_reach_the_disk(web: Client, opening: Any, name: str) -> None:
    assert _post(web, opening, upload(name, png_bytes())).status_code == 302
    document = ShopDocument.objects.get()
    assert document.file.name.endswith(".png")
    assert f"{opening.number}-bank_account-" in document.file.name
    assert len(document.name) <= 200
    assert not re.search(r"[/\\\x00-\x1f\u202a-\u202e\u2066-\u2069]", document.name)
    page = web.get(opening.get_absolute_url())
    assert page.status_code == 200
    served = web.get(reverse("orders:shop_document", args=[document.pk]))
    assert served["Content-Type"] == "image/png"
    assert "\n" not in served["Content-Disposition"]
