from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkcalendarConfig(AppConfig):
    name = "ecomops.workcalendar"
    label = "workcalendar"
    verbose_name = _("Business calendar")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from ecomops.calendar import calendar_cache_clear

        from .models import WorkCalendarDay

        def clear(**kwargs: object) -> None:
            calendar_cache_clear()

        post_save.connect(
            clear, sender=WorkCalendarDay, dispatch_uid="workcalendar-cache-save", weak=False
        )
        post_delete.connect(
            clear, sender=WorkCalendarDay, dispatch_uid="workcalendar-cache-delete", weak=False
        )
