"""Who heads each department (部门负责人).

Roles say what a person does; a department's head is the one colleague who speaks for it,
e.g. who may ask HR for people. Managers keep this list in the admin.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .names import person_name
from .roles import Department


class DepartmentHead(models.Model):
    """部门负责人: the head of one department (one head per department; a person may head
    several)."""

    department = models.CharField(
        _("department"), max_length=20, choices=Department.choices, unique=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="departments_headed",
        verbose_name=_("head"),
    )
    since = models.DateField(_("since"), default=timezone.localdate)

    class Meta:
        ordering = ["department"]
        verbose_name = _("department head")
        verbose_name_plural = _("department heads")

    def __str__(self) -> str:
        return f"{self.get_department_display()}: {person_name(self.user)}"
