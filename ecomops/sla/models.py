"""SLA clocks (时限): part of the shared kernel (DESIGN §4).

A *policy* (时限规则) says how long a step of a process may take and which role owns it;
a *clock* (时限计时) is one run of a policy on one object (an order, an application, ...),
attached through a generic relation so any app can time any of its objects.

Clocks run in working time (``ecomops.calendar``): a 15-minute clock started at 17:50 on
a Saturday is due at 09:05 on the next working day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecomops.accounts.roles import ROLES, Department


def _working_time_between(start: datetime, end: datetime) -> timedelta:
    # Imported when used, so loading the models never depends on the calendar module
    # (which reads its own tables) being importable yet.
    from ecomops.calendar import working_time_between

    return working_time_between(start, end)


# A policy's defaults: warn when 80 % of the allowance has passed; escalate a breach still
# open one working hour after the due time.
DEFAULT_WARNING_PERCENT = 80
DEFAULT_ESCALATION_DELAY = timedelta(hours=1)

ROLE_CHOICES = [(code, role.label) for code, role in ROLES.items()]


class SlaPolicy(models.Model):
    """时限规则: how long one step may take (in working time) and who owns it.

    A policy without ``limit`` is a deadline policy: whoever starts the clock passes the
    due time (the batch slot time, the 15:00 invoice deadline). Services and other apps
    refer to policies by ``code``; managers edit limits, names and owners in the admin.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    limit = models.DurationField(
        _("limit (working time)"),
        null=True,
        blank=True,
        help_text=_(
            "Working time allowed, e.g. 00:30:00 for 30 minutes. Leave empty when the due "
            "time is a deadline given when the clock starts."
        ),
    )
    owner_role = models.CharField(_("owner role"), max_length=50, choices=ROLE_CHOICES)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive policies start no new clocks; running clocks run on."),
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warning point (%)"),
        default=DEFAULT_WARNING_PERCENT,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_(
            "The owner role is warned once when this share of the clock's working time has "
            "passed (for a deadline, of the working time between start and due)."
        ),
    )
    escalation_delay = models.DurationField(
        _("escalation delay (working time)"),
        default=DEFAULT_ESCALATION_DELAY,
        help_text=_(
            "A breach still open this long after the due time (in working time) goes to the "
            "owner department's head and to the managers, once. 00:00:00: at the breach."
        ),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(warning_percent__gte=1, warning_percent__lte=99),
                name="sla_policy_warning_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def owner_department(self) -> Department | None:
        role = ROLES.get(self.owner_role)
        return role.department if role else None

    @property
    def is_deadline(self) -> bool:
        """The due time is passed by the starter, not computed from a limit."""
        return self.limit is None


class SlaClock(models.Model):
    """时限计时: one run of a policy on one object.

    ``owner_role`` is copied from the policy when the clock starts: a later change of the
    policy's owner applies to new clocks only, so the history of who owned a late step is
    not rewritten (and the sweep notifies whoever owned the clock when it started).

    ``breached_at`` records when a breach was recorded: by the minute sweep, the moment it
    noticed the running clock past due (and notified the owner); by a stop after the due
    time that the sweep had not seen yet, the due time itself.

    ``warn_at`` (the policy's warning point in working time) and ``escalate_at`` (the due
    time plus the policy's escalation delay in working time) are fixed when the clock starts,
    like ``due_at`` and ``owner_role``; the sweep fills them in for clocks written without
    them. ``warned_at`` and ``escalated_at`` stamp when the sweep sent the warning and the
    escalation: each is sent once.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        BREACHED = "breached", _("Overdue")
        MET = "met", _("Met")
        MISSED = "missed", _("Missed")

    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("policy")
    )
    # Not indexed on its own: sla_clock_object (content type, object) leads with it.
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("object type"), db_index=False
    )
    object_id = models.PositiveBigIntegerField(_("object ID"))
    content_object = GenericForeignKey("content_type", "object_id")
    owner_role = models.CharField(_("owner role"), max_length=50, choices=ROLE_CHOICES)
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"))
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breach recorded"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warning point"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warning sent"), null=True, blank=True)
    escalate_at = models.DateTimeField(_("escalation point"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "content_type", "object_id"],
                condition=Q(stopped_at__isnull=True),
                name="sla_one_running_clock_per_object",
            ),
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="sla_clock_object"),
            # The minute sweep: running clocks not yet marked, by due time.
            models.Index(
                fields=["due_at"],
                condition=Q(stopped_at__isnull=True, breached_at__isnull=True),
                name="sla_clock_sweep",
            ),
            # The warning sweep: running clocks not yet warned nor breached, by warning point.
            models.Index(
                fields=["warn_at"],
                condition=Q(
                    stopped_at__isnull=True, warned_at__isnull=True, breached_at__isnull=True
                ),
                name="sla_clock_warn_sweep",
            ),
            # The escalation sweep: breached running clocks not yet escalated.
            models.Index(
                fields=["escalate_at"],
                condition=Q(
                    stopped_at__isnull=True,
                    breached_at__isnull=False,
                    escalated_at__isnull=True,
                ),
                name="sla_clock_escalate_sweep",
            ),
            # Running clocks written without their warning point (bulk inserts elsewhere).
            models.Index(
                fields=["started_at"],
                condition=Q(stopped_at__isnull=True, warn_at__isnull=True),
                name="sla_clock_unplanned",
            ),
            # Queues of breached running clocks per owner.
            models.Index(
                fields=["owner_role", "due_at"],
                condition=Q(stopped_at__isnull=True),
                name="sla_clock_running_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} #{self.object_id}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None

    def is_overdue(self, now: datetime | None = None) -> bool:
        """Running and past its due time (whether or not the sweep has marked it yet)."""
        return self.is_running and (now or timezone.now()) > self.due_at

    @property
    def is_breached(self) -> bool:
        """Marked by the sweep, stopped after the due time, or running past it."""
        if self.breached_at is not None:
            return True
        if self.stopped_at is not None:
            return self.stopped_at > self.due_at
        return self.is_overdue()

    @property
    def met(self) -> bool:
        """Stopped at or before its due time."""
        return self.stopped_at is not None and self.stopped_at <= self.due_at

    @property
    def total(self) -> timedelta:
        """The working time this clock allowed, from start to due."""
        return _working_time_between(self.started_at, self.due_at)

    def time_left(self, now: datetime | None = None) -> timedelta:
        """Working time left until due; negative when overdue.

        A stopped clock answers for the moment it stopped.
        """
        at = self.stopped_at or now or timezone.now()
        if at <= self.due_at:
            return _working_time_between(at, self.due_at)
        return -_working_time_between(self.due_at, at)

    def warning_point(self) -> datetime:
        """When the countdown turns amber: ``warn_at``, or for a clock written without it
        (an unsaved row of ``annotate_sla`` without the annotation, an old clock) the
        default share of its working time."""
        if self.warn_at is not None:
            return self.warn_at
        from ecomops.calendar import add_working_time

        total = self.total
        if total <= timedelta(0):
            return self.due_at
        passed = timedelta(seconds=round(total.total_seconds() * DEFAULT_WARNING_PERCENT / 100))
        return min(add_working_time(self.started_at, passed), self.due_at)

    def is_warning(self, now: datetime | None = None) -> bool:
        """Running, not overdue, and at or past its warning point (or warned)."""
        moment = now or timezone.now()
        if not self.is_running or self.is_overdue(moment) or self.breached_at is not None:
            return False
        return self.warned_at is not None or moment >= self.warning_point()

    def status_at(self, now: datetime | None = None) -> str:
        if self.stopped_at is not None:
            return self.Status.MET if self.met else self.Status.MISSED
        if self.breached_at is not None or self.is_overdue(now):
            return self.Status.BREACHED
        return self.Status.RUNNING

    @property
    def status(self) -> str:
        """running / breached (running past due) / met / missed (stopped after due)."""
        return self.status_at()

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)
