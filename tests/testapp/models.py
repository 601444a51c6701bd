from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class Ticket(ConcurrentTransitionMixin, models.Model):
    """A tiny state machine: open -> approved -> closed, approval needs a permission."""

    class State(models.TextChoices):
        OPEN = "open", "待处理"
        APPROVED = "approved", "已批准"
        CLOSED = "closed", "已关闭"

    title = models.CharField(max_length=50)
    state = FSMField(default=State.OPEN, choices=State.choices, protected=True)
    approved_note = models.CharField(max_length=100, blank=True)

    class Meta:
        permissions = [("approve_ticket", "Can approve tickets")]

    def __str__(self) -> str:
        return self.title

    @transition(
        field=state,
        source=State.OPEN,
        target=State.APPROVED,
        permission="testapp.approve_ticket",
        custom={"label": "approve"},
    )
    def approve(self, *, note: str = "") -> None:
        self.approved_note = note

    @transition(field=state, source=State.APPROVED, target=State.CLOSED)
    def close(self) -> None:
        pass
