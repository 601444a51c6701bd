from celery import shared_task

from . import services


@shared_task(name="ecomops.notifications.tasks.send_notification_emails", acks_late=True)
def send_notification_emails(notification_ids: list[int]) -> int:
    return services.notifications_send_emails(notification_ids=notification_ids)
