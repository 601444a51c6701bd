"""Signals of the SLA kernel, for the apps whose objects the clocks time.

``sla_breached(sender=SlaClock, clock=clock)`` is sent once per clock that missed its due
time, inside the transaction that records the breach:

- by the minute sweep (``sla_sweep``) when it finds a running clock past due; the owner
  role has been notified in the same transaction;
- by ``sla_clock_stop`` when a clock is stopped after its due time before the sweep saw
  it (then ``clock.is_running`` is already False).

Receivers mark their object late (``clock.content_object``, ``clock.policy.code``) through
their own service; they must not raise for objects that are not theirs: check
``clock.content_type`` / ``clock.policy.code`` first.
"""

from __future__ import annotations

from django.dispatch import Signal

sla_breached = Signal()
