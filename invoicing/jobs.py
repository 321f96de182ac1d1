"""Scheduled jobs of the invoicing domain; app.scheduler runs them in Europe/Paris."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from app.jobs import JobSpec
from app.timeutils import PARIS

from .notifications import notify_overdue
from .payments import overdue_invoices
from .stripe_service import reconcile_job


def remind_overdue_invoices(fire_time: datetime) -> str:
    """Remind each member of its overdue invoices: on the first day overdue, then every 15 days."""
    today = fire_time.astimezone(PARIS).date()
    invoices = overdue_invoices(today)
    queued = sum(len(notify_overdue(invoice, today)) for invoice in invoices)
    return f"{len(invoices)} overdue invoices, {queued} reminders queued"


JOBS = [
    JobSpec(
        name="remind_overdue_invoices",
        function=remind_overdue_invoices,
        description=_l("Remind members of their overdue invoices"),
        hour=6,
        minute=0,
    ),
    JobSpec(
        name="reconcile_stripe_payments",
        function=reconcile_job,
        description=_l("Re-read from Stripe the online payments left open, in case a webhook was lost"),
        hour="*",
        minute=20,
    ),
]
