"""Photos: staff upload, and the customer's signed one-time link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from ecomops.errors import ApplicationError
from returns.models import PhotoLink, ReturnState
from returns.services import photos as services
from tests.returns.factories import delivered_order, open_return, picture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def request_(service: Any, sku: Any) -> Any:
    return open_return(delivered_order([(sku, 1, "99.00")]), service)


def test_a_link_asks_for_photos_and_stores_only_a_hash(request_: Any, service: Any) -> None:
    path = services.photo_link_create(request_id=request_.pk, by=service)
    request_.refresh_from_db()
    assert request_.state == ReturnState.AWAITING_PHOTOS
    token = path.rstrip("/").rsplit("/", 1)[-1]
    link = PhotoLink.objects.get()
    assert token not in link.token_hash
    assert services.photo_link_check(token) == link


def test_the_customer_sends_photos_once(request_: Any, service: Any, client: Client) -> None:
    path = services.photo_link_create(request_id=request_.pk, by=service)
    page = client.get(path)
    assert page.status_code == 200
    assert request_.number in page.content.decode()
    sent = client.post(path, {"photos": [picture("a.jpg"), picture("b.png", fmt="PNG")]})
    assert sent.status_code == 200
    assert "We received your photos" in sent.content.decode()
    request_.refresh_from_db()
    assert request_.state == ReturnState.IN_REVIEW
    assert [p.via_link for p in request_.photos.all()] == [True, True]
    again = client.get(path)
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    with pytest.raises(services.PhotoLinkError) as refused:
        services.photos_submit(token=path.rstrip("/").rsplit("/", 1)[-1], files=[picture()])
    assert refused.value.extra["code"] == "used"
    assert request_.photos.count() == 2


def test_an_expired_link_is_refused(
    request_: Any, service: Any, client: Client, settings: Any
) -> None:
    settings.RETURNS_PHOTO_LINK_HOURS = 48
    path = services.photo_link_create(request_id=request_.pk, by=service)
    with time_machine.travel(timezone.now() + timedelta(hours=49), tick=False):
        response = client.post(path, {"photos": [picture()]})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert request_.photos.count() == 0


def test_a_tampered_or_foreign_token_is_refused(
    request_: Any, service: Any, client: Client
) -> None:
    path = services.photo_link_create(request_id=request_.pk, by=service)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert client.get(path.replace(token, token[:-2] + "xx")).status_code == 404
    link = PhotoLink.objects.get()
    forged = signing.dumps({"l": link.pk, "n": "guessed"}, salt="other-salt")
    assert client.get(f"/returns/p/{forged}/").status_code == 404
    wrong_nonce = signing.dumps({"l": link.pk, "n": "guessed"}, salt=services.SALT, compress=True)
    assert client.get(f"/returns/p/{wrong_nonce}/").status_code == 404


def test_not_a_picture_or_too_big_is_refused_and_the_link_still_works(
    request_: Any, service: Any, client: Client, settings: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = services.photo_link_create(request_id=request_.pk, by=service)
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a picture", content_type="image/jpeg")
    response = client.post(path, {"photos": [fake]})
    assert response.status_code == 200
    assert "not a picture we can read" in response.content.decode()
    settings.RETURNS_PHOTO_LIMITS = {"max_bytes": 1000, "max_count": 6}
    response = client.post(path, {"photos": [picture(size=(800, 800))]})
    assert "the limit is" in response.content.decode()
    assert request_.photos.count() == 0
    settings.RETURNS_PHOTO_LIMITS = {"max_bytes": 5_000_000, "max_count": 6}
    assert "We received your photos" in client.post(path, {"photos": [picture()]}).content.decode()


def test_staff_upload_counts_towards_the_limit(request_: Any, service: Any, settings: Any) -> None:
    settings.RETURNS_PHOTO_LIMITS = {"max_bytes": 5_000_000, "max_count": 2}
    services.photos_add(request_id=request_.pk, files=[picture(), picture()], by=service)
    request_.refresh_from_db()
    assert request_.state == ReturnState.IN_REVIEW
    with pytest.raises(ApplicationError, match="At most 2 pictures"):
        services.photos_add(request_id=request_.pk, files=[picture()], by=service)


def test_photos_are_shown_to_staff_only(
    request_: Any, service: Any, client: Client, make_user: Any
) -> None:
    services.photos_add(request_id=request_.pk, files=[picture()], by=service)
    photo = request_.photos.get()
    url = f"/returns/photos/{photo.pk}/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_user("picker", username="picker"))
    assert client.get(url).status_code == 403
    client.force_login(service)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")  # type: ignore[attr-defined]
