"""Beat's and the services' Celery entry points: thin, idempotent, safe to run twice or late."""

from __future__ import annotations

import mimetypes

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _
from django.utils.translation import override

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import users_with_role
from ecomops.money import format_money

from . import pdf, selectors, services
from .models import Invoice, ReconciliationRun


@shared_task(acks_late=True)
def reconcile_yesterday() -> str:
    """02:00: reconcile yesterday (re-running replaces the same run)."""
    run = services.reconcile_yesterday()
    return f"{run.day}: {run.mismatch_count} mismatches"


@shared_task(acks_late=True)
def check_invoice_requests() -> int:
    """Every five minutes: re-send lost invoice e-mails; after the day's invoice cut, tell
    finance (once) what must still be issued today."""
    services.invoices_email_pending()
    return services.invoice_requests_check_due()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invoice_email(invoice_id: int) -> str:
    """E-mail an electronic invoice with its PDF; sent once (delivered invoices are skipped)."""
    invoice = Invoice.objects.select_related("order").get(pk=invoice_id)
    if invoice.delivered_at is not None or not invoice.email:
        return "already delivered"
    with override("zh-hans"):
        message = EmailMessage(
            subject=_("Your invoice %(number)s for order %(order)s")
            % {"number": invoice.number, "order": invoice.order.number},
            body=_(
                "Dear customer,\n\nattached is the electronic invoice %(number)s for your "
                "order %(order)s, total %(total)s.\n\n%(company)s"
            )
            % {
                "number": invoice.number,
                "order": invoice.order.number,
                "total": format_money(invoice.total_amount),
                "company": settings.COMPANY_NAME,
            },
            to=[invoice.email],
        )
        if invoice.issued_file:
            # The file the tax platform issued is the invoice itself (数电票).
            with invoice.issued_file.open("rb") as issued:
                name = invoice.issued_file.name.rsplit("/", 1)[-1]
                message.attach(name, issued.read(), mimetypes.guess_type(name)[0])
        else:
            message.attach(f"{invoice.number}.pdf", pdf.invoice_pdf(invoice), "application/pdf")
    message.send()
    services.invoice_mark_emailed(invoice_id=invoice.pk)
    return invoice.email


@shared_task(acks_late=True)
def email_reconciliation(run_id: int) -> int:
    """E-mail finance the run's summary with the CSV of mismatches attached."""
    run = ReconciliationRun.objects.get(pk=run_id)
    if run.finished_at is None or (
        run.emailed_at is not None and run.emailed_at >= run.finished_at
    ):
        return 0  # unfinished, or this run's summary already went out
    recipients = list(
        users_with_role(RoleCode.FINANCE_CLERK).exclude(email="").values_list("email", flat=True)
    )
    if not recipients:
        services.reconciliation_mark_emailed(run_id=run.pk)  # nobody to tell
        return 0
    with override("zh-hans"):
        message = EmailMessage(
            subject=_("Reconciliation %(day)s: %(count)d mismatches")
            % {"day": run.day.isoformat(), "count": run.mismatch_count},
            body=selectors.run_summary_text(run),
            to=recipients,
        )
        message.attach(f"reconciliation-{run.day:%Y-%m-%d}.csv", services.run_csv(run), "text/csv")
    message.send()
    services.reconciliation_mark_emailed(run_id=run.pk)
    return len(recipients)


@shared_task(acks_late=True)
def resume_reconciliation() -> dict[str, int]:
    """Every five minutes: run again a reconciliation left unfinished, e-mail a summary
    that never went out (the last three days)."""
    return services.reconciliations_resume()
