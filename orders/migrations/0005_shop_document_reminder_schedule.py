"""What beat looks at for shop openings (DESIGN §7: beat says "look now"; the database says
which documents run out)."""

from django.db import migrations

from ecomops.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_opening_processes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name="Shop documents: announce those running out (daily 08:30)",
            task="orders.tasks.shop_documents_remind_expiring",
            minute="30",
            hour="8",
            description="Tells the opening's shop manager and every shop manager, once per "
            "document, that a current shop document (business licence, brand authorization, "
            "legal representative's ID) runs out within SHOP_DOCUMENT_EXPIRY_NOTICE_DAYS days "
            "or has run out. Safe to run twice.",
        ),
    ]
