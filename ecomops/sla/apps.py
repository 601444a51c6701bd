from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "ecomops.sla"
    label = "sla"
    verbose_name = _("SLA clocks")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal handlers)
