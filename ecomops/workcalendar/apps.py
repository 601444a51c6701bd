from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkcalendarConfig(AppConfig):
    name = "ecomops.workcalendar"
    label = "workcalendar"
    verbose_name = _("Business calendar")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from ecomops.calendar import calendar_cache_clear
        from ecomops.cutoffs import cut_schedule_forget

        from .models import CutSchedule, WorkCalendarDay

        def clear(**kwargs: object) -> None:
            calendar_cache_clear()

        post_save.connect(
            clear, sender=WorkCalendarDay, dispatch_uid="workcalendar-cache-save", weak=False
        )
        post_delete.connect(
            clear, sender=WorkCalendarDay, dispatch_uid="workcalendar-cache-delete", weak=False
        )

        def forget_cuts(**kwargs: object) -> None:
            cut_schedule_forget()

        post_save.connect(
            forget_cuts, sender=CutSchedule, dispatch_uid="cutschedule-cache-save", weak=False
        )
        post_delete.connect(
            forget_cuts, sender=CutSchedule, dispatch_uid="cutschedule-cache-delete", weak=False
        )
