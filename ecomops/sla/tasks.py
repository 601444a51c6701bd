from celery import shared_task

from . import services


@shared_task(name="ecomops.sla.tasks.sweep_sla_clocks", acks_late=True)
def sweep_sla_clocks() -> int:
    """Beat's "look now" every minute: mark and notify the clocks that ran out, warn those
    past their warning point and escalate breaches left open past their escalation delay.
    Returns how many clocks were marked breached (each step is once per clock)."""
    marked = services.sla_sweep()
    services.sla_warn()
    services.sla_escalate()
    return marked


@shared_task(name="ecomops.sla.tasks.send_sla_report", acks_late=True)
def send_sla_report() -> int:
    """Every morning: yesterday's SLA report to the managers (once per day)."""
    return services.sla_report_send_yesterday()
