"""Writes of the listing process; views, admin, tasks and other apps call these."""

from .applications import (
    application_approve,
    application_base_info_save,
    application_create,
    application_design_finish,
    application_design_save,
    application_image_add,
    application_info_complete,
    application_price,
    application_publish,
    application_reject,
    application_submit,
    application_update,
    application_withdraw,
)
from .catalog import (
    ListingError,
    brand_get_or_create,
    category_get_or_create,
    sku_delist,
    sku_image_add,
    sku_list_online,
)
from .pricing import (
    check_subsidy_floor,
    sales_target_suggest,
    sku_price_change,
    sku_promotion_price_set,
    sku_promotion_prices_end,
)

__all__ = [
    "ListingError",
    "application_approve",
    "application_base_info_save",
    "application_create",
    "application_design_finish",
    "application_design_save",
    "application_image_add",
    "application_info_complete",
    "application_price",
    "application_publish",
    "application_reject",
    "application_submit",
    "application_update",
    "application_withdraw",
    "brand_get_or_create",
    "category_get_or_create",
    "check_subsidy_floor",
    "sales_target_suggest",
    "sku_delist",
    "sku_image_add",
    "sku_list_online",
    "sku_price_change",
    "sku_promotion_price_set",
    "sku_promotion_prices_end",
]
