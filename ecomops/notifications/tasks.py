from celery import shared_task

from . import services


@shared_task(name="ecomops.notifications.tasks.send_notification_emails", acks_late=True)
def send_notification_emails(notification_ids: list[int]) -> int:
    return services.notifications_send_emails(notification_ids=notification_ids)


@shared_task(name="ecomops.notifications.tasks.send_unsent_emails", acks_late=True)
def send_unsent_emails() -> int:
    """Every five minutes: e-mail the notifications whose e-mail never went out."""
    return services.notifications_send_unsent()
