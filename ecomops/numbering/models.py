from django.db import models
from django.utils.translation import gettext_lazy as _


class Sequence(models.Model):
    """编号序列: the last number handed out for one series (e.g. listing applications of a day)."""

    key = models.CharField(_("series"), max_length=60, unique=True)
    last = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"
