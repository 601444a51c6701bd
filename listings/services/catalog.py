"""Catalog writes: brands, categories, SKU pictures, listing and delisting."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError
from ecomops.fsm import transition
from ecomops.uploads import detect_image_type, stored_name

from ..models import Brand, Category, Sku, SkuImage, SkuState
from ..selectors import sku_online_price


class ListingError(ApplicationError):
    """A listing rule refused the action; ``extra["fields"]`` names the fields at fault."""


def field_error(field: str, message: str) -> ListingError:
    return ListingError(message, {"fields": {field: [message]}})


def brand_get_or_create(*, name: str, name_en: str = "", owner: str = "") -> Brand:
    brand, _created = Brand.objects.get_or_create(
        name=name.strip(), defaults={"name_en": name_en, "owner": owner}
    )
    return brand


def category_get_or_create(*, name: str, parent: Category | None = None) -> Category:
    category, _created = Category.objects.get_or_create(name=name.strip(), parent=parent)
    return category


def sku_check_unique(*, code: str, barcode: str, exclude_pk: int | None = None) -> None:
    """Refuse a SKU code or barcode already in use, naming the item that has it."""
    clash = Sku.objects.filter(Q(code=code) | Q(barcode=barcode))
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    fields: dict[str, list[str]] = {}
    for other in clash:
        if other.code == code:
            fields.setdefault("code", []).append(
                _("SKU code %(code)s is already used by %(item)s.") % {"code": code, "item": other}
            )
        if other.barcode == barcode:
            fields.setdefault("barcode", []).append(
                _("Barcode %(barcode)s is already used by %(item)s.")
                % {"barcode": barcode, "item": other}
            )
    if fields:
        raise ListingError(" ".join(m for ms in fields.values() for m in ms), {"fields": fields})


def sku_image_add(
    *, sku: Sku, upload: IO[bytes] | Any, kind: str, by: Any, caption: str = ""
) -> SkuImage:
    """Check the picture (type, size, dimensions: settings) and attach it to the SKU."""
    limits = settings.LISTING_IMAGE_LIMITS
    try:
        content_type, _width, _height = detect_image_type(
            upload,
            max_bytes=limits["max_bytes"],
            min_width=limits["min_width"],
            min_height=limits["min_height"],
        )
    except ValidationError as exc:
        raise field_error("image", exc.messages[0]) from exc
    position = SkuImage.objects.filter(sku=sku, kind=kind).count()
    image = SkuImage(sku=sku, kind=kind, caption=caption, position=position, uploaded_by=by)
    # Named from the type its bytes showed, never from the uploader's file name.
    image.image.save(stored_name(content_type, prefix=sku.code), upload, save=False)
    image.save()
    return image


@transaction.atomic
def sku_list_online(*, sku_id: int, by: Any) -> Sku:
    """List the SKU: from now on it can be ordered. It must have a price."""
    sku = Sku.objects.select_for_update().get(pk=sku_id)
    if sku.state == SkuState.LISTED:
        return sku
    if sku_online_price(sku=sku) is None:
        raise ListingError(
            _("%(sku)s has no online price yet: price it before listing.") % {"sku": sku}
        )
    transition(
        sku, "list_online", by=by, at=timezone.now(), update_fields=["listed_at", "delist_reason"]
    )
    return sku


@transaction.atomic
def sku_delist(*, sku_id: int, by: Any, reason: str) -> Sku:
    """Take the SKU offline with a reason; new orders for it are refused."""
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why the product is delisted."))
    sku = Sku.objects.select_for_update().get(pk=sku_id)
    if sku.state == SkuState.DELISTED:
        return sku
    transition(
        sku,
        "delist",
        by=by,
        reason=reason,
        delist_reason=reason,
        at=timezone.now(),
        update_fields=["delisted_at", "delist_reason"],
    )
    return sku
