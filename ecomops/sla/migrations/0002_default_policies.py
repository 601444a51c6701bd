"""The SLA policies of DESIGN §4; managers edit limits, names and owners in the admin."""

from datetime import timedelta

from django.db import migrations

# code, name, limit (None: the starter passes the deadline), owner role, description
POLICIES = [
    (
        "customer_identification",
        "客户识别",
        timedelta(minutes=15),
        "sales_rep",
        "Starts when the order is accepted; stops when the customer is matched or created.",
    ),
    (
        "sales_order",
        "销售订单创建",
        timedelta(minutes=30),
        "sales_rep",
        "Starts when the customer is identified; stops when the order is confirmed.",
    ),
    (
        "delivery_note",
        "出库单",
        timedelta(hours=1),
        "bu_parts_admin",
        "Starts when the order is confirmed; stops when stock is checked and the delivery "
        "note issued.",
    ),
    (
        "batch_processed",
        "批次处理",
        None,
        "warehouse_admin",
        "Starts when the batch is cut; stops when every order in it is packed and handed "
        "over. Due at the batch slot time.",
    ),
    (
        "invoice_issued",
        "开具发票",
        None,
        "finance_clerk",
        "Starts when an invoice is requested before 15:00; stops when it is issued. Due the "
        "same day.",
    ),
    (
        "listing_review",
        "上架审核",
        timedelta(hours=8),
        "listing_reviewer",
        "Starts when a listing application is submitted; stops when it is approved or "
        "rejected.",
    ),
    (
        "return_review",
        "退货审核",
        timedelta(hours=4),
        "aftersales_service",
        "Starts when a return is requested; stops when it is approved or rejected.",
    ),
    (
        "shop_approval",
        "开店审核",
        None,
        "shop_manager",
        "Starts when a new shop's documents are submitted to the platform; stops when the "
        "platform approves or rejects them. Due after the platform's review days (working "
        "days, e.g. 20 for Tmall).",
    ),
]


def create_policies(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    for code, name, limit, owner_role, description in POLICIES:
        SlaPolicy.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "limit": limit,
                "owner_role": owner_role,
                "description": description,
                "active": True,
            },
        )


def remove_policies(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaPolicy.objects.filter(
        code__in=[code for code, *_ in POLICIES], clocks__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(create_policies, remove_policies)]
