"""Photos of the goods: uploaded by service, or sent by the customer through a signed link
that works once and for RETURNS_PHOTO_LINK_HOURS.

Each picture is judged by its bytes (JPEG, PNG or WebP, RETURNS_PHOTO_LIMITS["max_bytes"],
UPLOAD_IMAGE_MAX_PIXELS) and stored under a name made from the type found there; the
sender's file name is kept, cleaned, only to show.

The link carries a signed (link id, nonce) pair; only a hash of the nonce is stored, so a
leaked database does not give working links, and a tampered token fails its signature.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError, require_permission
from ecomops.fsm import transition
from ecomops.notifications.services import notify_users
from ecomops.uploads import detect_image_type, display_name, stored_name

from ..models import PhotoLink, ReturnPhoto, ReturnRequest, ReturnState

SALT = "returns.photo-link"
PHOTO_STATES = (ReturnState.NEW, ReturnState.AWAITING_PHOTOS, ReturnState.IN_REVIEW)


class PhotoError(ApplicationError):
    """Pictures that cannot be taken as sent."""


class PhotoLinkError(ConflictError):
    """A photo link that does not work (any more). ``extra["code"]`` says why:
    ``invalid``, ``expired`` or ``used``."""


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _lock_for_photos(request_id: int) -> ReturnRequest:
    request = ReturnRequest.objects.select_for_update().get(pk=request_id)
    if request.state not in PHOTO_STATES:
        raise ConflictError(
            _("Return %(number)s is %(state)s: no photos are needed any more.")
            % {"number": request.number, "state": request.get_state_display()}
        )
    return request


def photo_link_create(*, request_id: int, by: Any) -> str:
    """A new one-time link for the customer; asks for photos if that was not done yet.

    Returns the path of the link (the portal shows it with the site's address).
    """
    require_permission(by, "returns.handle_return")
    with transaction.atomic():
        request = _lock_for_photos(request_id)
        now = timezone.now()
        if request.state == ReturnState.NEW:
            transition(
                request, "request_photos", by=by, update_fields=["photos_requested_at"], at=now
            )
        nonce = secrets.token_urlsafe(24)
        link = PhotoLink.objects.create(
            request=request,
            token_hash=_hash(nonce),
            created_by=acting_user(by),
            expires_at=now + timedelta(hours=settings.RETURNS_PHOTO_LINK_HOURS),
        )
        token = signing.dumps({"l": link.pk, "n": nonce}, salt=SALT, compress=True)
    return reverse("returns:customer_photos", args=[token])


def photo_link_check(token: str, *, lock: bool = False) -> PhotoLink:
    """The link a token stands for, if it still works; ``PhotoLinkError`` otherwise."""
    try:
        data = signing.loads(token, salt=SALT)
        link_id, nonce = int(data["l"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise PhotoLinkError(
            _("This link is not valid. Ask customer service for a new one."), {"code": "invalid"}
        ) from None
    links = PhotoLink.objects.select_related("request")
    if lock:
        links = links.select_for_update()
    link = links.filter(pk=link_id).first()
    if link is None or not secrets.compare_digest(link.token_hash, _hash(nonce)):
        raise PhotoLinkError(
            _("This link is not valid. Ask customer service for a new one."), {"code": "invalid"}
        )
    if link.used_at is not None:
        raise PhotoLinkError(
            _("This link was already used to send photos. Ask customer service for a new one."),
            {"code": "used"},
        )
    if link.expires_at <= timezone.now() or link.request.state not in PHOTO_STATES:
        raise PhotoLinkError(
            _("This link has expired. Ask customer service for a new one."), {"code": "expired"}
        )
    return link


def _check_files(request: ReturnRequest, files: Sequence[Any]) -> list[tuple[Any, str]]:
    """Each picture with the content type its bytes showed; ``PhotoError`` naming every
    file refused and why."""
    limits = settings.RETURNS_PHOTO_LIMITS
    if not files:
        raise PhotoError(
            _("Choose at least one picture."), {"fields": {"photos": [_("No picture chosen.")]}}
        )
    if request.photos.count() + len(files) > limits["max_count"]:
        raise PhotoError(
            _("At most %(count)d pictures per return.") % {"count": limits["max_count"]},
            {"fields": {"photos": [_("Too many pictures.")]}},
        )
    problems = []
    checked = []
    for upload in files:
        try:
            content_type, _width, _height = detect_image_type(upload, max_bytes=limits["max_bytes"])
        except ValidationError as exc:
            problems.append(
                _("%(name)s: %(reason)s")
                % {
                    "name": display_name(getattr(upload, "name", ""), default=_("picture")),
                    "reason": " ".join(exc.messages),
                }
            )
        else:
            checked.append((upload, content_type))
    if problems:
        raise PhotoError(" ".join(problems), {"fields": {"photos": problems}})
    return checked


def _save(
    request: ReturnRequest, checked: Sequence[tuple[Any, str]], *, by: Any, via_link: bool
) -> list[ReturnPhoto]:
    photos = []
    for upload, content_type in checked:
        photo = ReturnPhoto(
            request=request,
            uploaded_by=acting_user(by),
            via_link=via_link,
            content_type=content_type,
            name=display_name(getattr(upload, "name", ""), default=""),
        )
        upload.seek(0)
        photo.image.save(stored_name(content_type), upload, save=False)
        photo.save()
        photos.append(photo)
    if request.state in (ReturnState.NEW, ReturnState.AWAITING_PHOTOS):
        transition(request, "photos_received", by=None)
    return photos


def photos_add(*, request_id: int, files: Sequence[Any], by: Any) -> list[ReturnPhoto]:
    """Service uploads pictures (sent by the customer by chat or e-mail)."""
    require_permission(by, "returns.handle_return")
    with transaction.atomic():
        request = _lock_for_photos(request_id)
        checked = _check_files(request, files)
        return _save(request, checked, by=by, via_link=False)


def photos_submit(*, token: str, files: Sequence[Any]) -> ReturnRequest:
    """The customer sends pictures through the link; it works once."""
    with transaction.atomic():
        link = photo_link_check(token, lock=True)
        request = ReturnRequest.objects.select_for_update().get(pk=link.request_id)
        checked = _check_files(request, files)
        _save(request, checked, by=None, via_link=True)
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        notify_users(
            users=[request.opened_by] if request.opened_by_id else [],
            title=_("The customer sent %(count)d photos for return %(number)s")
            % {"count": len(files), "number": request.number},
            url=request.get_absolute_url(),
            key=f"return-photos-{link.pk}",
        )
    return request
